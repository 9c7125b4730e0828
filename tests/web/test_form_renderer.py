"""The form renderer writes, in Python, the same bytes Django's widget templates write."""

from __future__ import annotations

import datetime

import pytest
from django import forms
from django.conf import settings
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe

from tinhso.web import widgets
from tinhso.web.form_renderer import WIDGETS, FormRenderer

CHOICES = [
    ("", "— chọn —"),
    ("cv", "Công văn"),
    ("qd", 'Quyết định "số" <1> & khác'),
    ("Nhóm", [(1, "Một"), (2, "Hai")]),
]


class Everything(forms.Form):
    text = forms.CharField(max_length=20, help_text="gợi ý")
    optional = forms.CharField(required=False)
    number = forms.IntegerField(min_value=1)
    email = forms.EmailField()
    url = forms.URLField(required=False, assume_scheme="https")
    password = forms.CharField(widget=forms.PasswordInput(render_value=True))
    hidden = forms.CharField(widget=forms.HiddenInput)
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    tick = forms.BooleanField(required=False)
    pick = forms.ChoiceField(choices=CHOICES)
    many = forms.MultipleChoiceField(choices=CHOICES, required=False)
    inline = forms.ChoiceField(choices=CHOICES, widget=widgets.Select)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "data-x": True}))
    upload = forms.FileField(required=False)
    disabled = forms.CharField(disabled=True, required=False)


VALUES = [
    {},
    {
        "text": 'a "quoted" <b>value</b> & more',
        "optional": "",
        "number": "7",
        "email": "x@example.vn",
        "password": "bí mật",
        "hidden": "h",
        "date": "2026-12-02",
        "tick": "on",
        "pick": "qd",
        "many": ["cv", "2"],
        "inline": "1",
        "body": "dòng 1\n<script>dòng 2</script>",
        "disabled": "khóa",
    },
    {"text": "x" * 30, "number": "-1", "email": "not-an-email", "pick": "zz"},
]


@pytest.mark.parametrize("data", VALUES)
@pytest.mark.parametrize("bound", [True, False])
def test_every_widget_renders_the_bytes_django_templates_render(data, bound):
    """Bound (with errors and values) and unbound (initial values): each field the same."""
    if bound:
        form = Everything(data=data)
        form.is_valid()
    else:
        initial = dict(data, date=datetime.date(2026, 12, 2), pick=mark_safe("cv"))
        form = Everything(initial=initial)
    django_renderer = DjangoTemplates()
    ours = FormRenderer()
    for name in form.fields:
        bound_field = form[name]
        form.renderer = django_renderer
        expected = bound_field.as_widget(attrs={"class": "form-control"})
        form.renderer = ours
        got = bound_field.as_widget(attrs={"class": "form-control"})
        form.renderer = django_renderer
        assert got == expected, name
        assert "<" in got


def test_the_fast_path_covers_the_widgets_a_form_page_uses():
    """Selects, options, text inputs and text areas never reach a template."""
    for template in (
        "django/forms/widgets/select.html",
        "django/forms/widgets/select_option.html",
        "django/forms/widgets/text.html",
        "django/forms/widgets/textarea.html",
        "web/widgets/select.html",
    ):
        assert template in WIDGETS


def test_the_platform_renders_forms_with_it():
    assert settings.FORM_RENDERER == "tinhso.web.form_renderer.FormRenderer"
