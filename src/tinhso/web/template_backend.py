"""Django's template engine, with tinhso's `i18n` library in the place of Django's own.

`web.templatetags.fast_i18n` is installed under the name `i18n` on purpose (TEMPLATES'
"libraries"): it is Django's library with a cheaper `{% translate "literal" %}`. Django's
system check warns of any library name given to two modules (templates.W003); this
engine says so for every name but that one override, so a real clash still warns.
"""

from __future__ import annotations

from django.core.checks import CheckMessage
from django.template.backends.django import DjangoTemplates

OVERRIDES = {"i18n": "tinhso.web.templatetags.fast_i18n"}


class Templates(DjangoTemplates):
    def _check_for_template_tags_with_the_same_name(self) -> list[CheckMessage]:
        return [
            warning
            for warning in super()._check_for_template_tags_with_the_same_name()  # type: ignore[misc]
            if not any(warning.msg == _clash(name, module) for name, module in OVERRIDES.items())
        ]


def _clash(name: str, module: str) -> str:
    """Django's words for the override's clash with Django's own library of that name."""
    items = ", ".join(repr(item) for item in sorted({f"django.templatetags.{name}", module}))
    return f"{name!r} is used for multiple template tag modules: {items}"
