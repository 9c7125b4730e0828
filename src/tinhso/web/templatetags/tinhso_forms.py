"""Accessible Bootstrap rendering of form fields: `{% load tinhso_forms %}{% form_field f %}`
(or `{% form_fields form %}` for all of a form's).

Each field gets a visible <label>, its help text and errors tied to the input with
aria-describedby, and aria-invalid when it has errors.
"""

from __future__ import annotations

from django import forms, template

register = template.Library()


@register.inclusion_tag("web/_field.html")
def form_field(field):
    widget = field.field.widget
    if isinstance(widget, forms.CheckboxInput):
        css = "form-check-input"
    elif isinstance(widget, forms.Select):
        css = "form-select"
    else:
        css = "form-control"
    attrs = {"class": css}
    described = []
    if field.help_text:
        described.append(f"{field.auto_id}_help")
    if field.errors:
        described.append(f"{field.auto_id}_errors")
        attrs["aria-invalid"] = "true"
        attrs["class"] += " is-invalid"
    if described:
        attrs["aria-describedby"] = " ".join(described)
    return {
        "field": field,
        "widget": field.as_widget(attrs=attrs),
        "is_checkbox": css == "form-check-input",
    }


@register.inclusion_tag("web/_form_fields.html")
def form_fields(form):
    """A whole form's fields the way `form_field` draws one, with its own errors first."""
    return {"form": form}


@register.inclusion_tag("web/_form_errors.html")
def form_errors(form):
    return {"form": form}
