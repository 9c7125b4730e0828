"""The form renderer: Django's, with its most used widget templates written in Python.

A form page renders dozens of widgets and a select one template include per option; on
the clerk's registration form that was half of the page's CPU. The functions below
write the same bytes as Django's templates (`tests/web/test_form_renderer.py` renders
each both ways and compares); any other template goes through Django as before.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe


def _text(value: Any) -> str:
    """`{{ value|stringformat:'s' }}` under autoescape."""
    return conditional_escape("%s" % (value,))  # noqa: UP031 - stringformat's own rule


def _attrs(attrs: Mapping[str, Any]) -> str:
    """django/forms/widgets/attrs.html"""
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            out.append(f" {conditional_escape(name)}")
        else:
            out.append(f' {conditional_escape(name)}="{_text(value)}"')
    return "".join(out)


def _input(widget: Mapping[str, Any]) -> str:
    """django/forms/widgets/input.html (text, number, date, email, hidden, checkbox...)"""
    value = widget["value"]
    shown = "" if value is None else f' value="{_text(value)}"'
    return (
        f'<input type="{conditional_escape(widget["type"])}" '
        f'name="{conditional_escape(widget["name"])}"{shown}{_attrs(widget["attrs"])}>'
    )


def _option(option: Mapping[str, Any]) -> str:
    """django/forms/widgets/select_option.html"""
    return (
        f'<option value="{_text(option["value"])}"{_attrs(option["attrs"])}>'
        f"{conditional_escape(option['label'])}</option>"
    )


def _select(widget: Mapping[str, Any], after_option: str) -> str:
    """django/forms/widgets/select.html, or web/widgets/select.html (`after_option` is
    what the included option template leaves after each option: its final newline)."""
    out = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            out.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        for option in group_choices:
            out.append(f"\n  {_option(option)}{after_option}")
        if group_name:
            out.append("\n  </optgroup>")
    out.append("\n</select>")
    return "".join(out)


def _textarea(widget: Mapping[str, Any]) -> str:
    """django/forms/widgets/textarea.html"""
    value = widget["value"]
    body = conditional_escape(value) if value else ""
    return (
        f'<textarea name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>\n'
        f"{body}</textarea>"
    )


_INPUTS = (
    "text",
    "number",
    "email",
    "url",
    "password",
    "hidden",
    "date",
    "datetime",
    "time",
    "checkbox",
    "search",
    "tel",
    "color",
    "file",
    "input",
)

WIDGETS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    **{f"django/forms/widgets/{name}.html": _input for name in _INPUTS},
    "django/forms/widgets/select.html": lambda w: _select(w, "\n"),
    "web/widgets/select.html": lambda w: _select(w, ""),
    "django/forms/widgets/select_option.html": _option,
    "django/forms/widgets/textarea.html": _textarea,
}


class FormRenderer(DjangoTemplates):
    """settings.FORM_RENDERER: the widgets of `WIDGETS` in Python, the rest as Django."""

    def render(self, template_name: str, context: dict, request=None) -> str:
        write = WIDGETS.get(template_name)
        if write is not None:
            return mark_safe(write(context["widget"]).strip())  # noqa: S308 - escaped above
        return super().render(template_name, context, request=request)
