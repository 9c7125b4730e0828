"""`{% translate "literal" %}` of tinhso's `i18n` library (tinhso.web.templatetags.fast_i18n)
writes what Django's own writes: for every message of the project's catalogues, in
Vietnamese and in English, with and without autoescaping, percent signs and markup
included; and every other form of the tag (`as`, `context`, `noop`, a filter, a
variable) is Django's own node."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from django.template import Context, Engine
from django.templatetags.i18n import TranslateNode
from django.utils import translation

from tinhso.web.templatetags.fast_i18n import LiteralTranslateNode

SRC = Path(__file__).resolve().parents[2] / "src" / "tinhso"
DJANGO = Engine(libraries={"i18n": "django.templatetags.i18n"})
OURS = Engine(libraries={"i18n": "tinhso.web.templatetags.fast_i18n"})


def _messages() -> list[str]:
    """Every single-line msgid of the project's catalogues (a template can hold it)."""
    found = set()
    for po in SRC.rglob("django.po"):
        for line in po.read_text(encoding="utf-8").splitlines():
            if line.startswith('msgid "') and line != 'msgid ""':
                found.add(line[7:-1].encode().decode("unicode_escape").encode("latin-1").decode())
    return sorted(m for m in found if "\n" not in m and not ('"' in m and "'" in m))


def _tag(message: str) -> str:
    quote = "'" if '"' in message else '"'
    return f"{{% translate {quote}{message}{quote} %}}"


def test_the_catalogues_have_messages_with_percent_signs():
    messages = _messages()
    assert len(messages) > 1000 and any("%" in m for m in messages)


@pytest.mark.parametrize(
    ("language", "autoescape"), list(itertools.product(["vi", "en"], [True, False]))
)
def test_every_catalogue_message_is_written_as_django_writes_it(language, autoescape):
    messages = _messages() + ["50% hồ sơ", "100%% xong", "<b>Đậm</b> & nhạt", ""]
    source = "{% load i18n %}" + "|".join(_tag(m) for m in messages)
    with translation.override(language):
        ours = OURS.from_string(source).render(Context(autoescape=autoescape))
        theirs = DJANGO.from_string(source).render(Context(autoescape=autoescape))
    assert ours == theirs
    assert sum(isinstance(n, LiteralTranslateNode) for n in OURS.from_string(source).nodelist)


@pytest.mark.parametrize(
    "source",
    [
        '{% translate "Tra cứu hồ sơ" as label %}[{{ label }}]',
        '{% translate "Tháng" context "lịch" %}',
        '{% translate "Tra cứu hồ sơ" noop %}',
        '{% translate "Tra cứu hồ sơ"|upper %}',
        "{% translate title %}",
        "{% trans title %}",
    ],
)
def test_any_other_form_of_the_tag_is_djangos_node(source):
    template = OURS.from_string("{% load i18n %}" + source)
    assert any(isinstance(n, TranslateNode) for n in template.nodelist)
    for language in ("vi", "en"):
        with translation.override(language):
            context = {"title": "Tra cứu hồ sơ"}
            assert template.render(Context(context)) == DJANGO.from_string(
                "{% load i18n %}" + source
            ).render(Context(context))


def test_the_projects_templates_load_tinhsos_library():
    from django.template import engines

    engine = engines["django"].engine
    assert engine.template_libraries["i18n"].tags["translate"].__module__ == (
        "tinhso.web.templatetags.fast_i18n"
    )


def test_the_system_check_warns_of_a_real_library_clash_but_not_of_the_override(settings):
    from django.template import engines
    from django.template.backends.django import DjangoTemplates

    engine = engines["django"]
    assert isinstance(engine, DjangoTemplates) and engine.check() == []
    clash = Engine(libraries={"i18n": OURS.libraries["i18n"], "static": "tinhso.web.fast_date"})
    engine.engine, original = clash, engine.engine
    try:
        found = [w.id for w in engine.check()]
    finally:
        engine.engine = original
    assert found == ["templates.W003"]
