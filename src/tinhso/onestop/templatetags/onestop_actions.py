"""The action cards of a dossier page, written in Python: `{% action_card card primary %}`.

An official's dossier page carries the next expected action and, behind a disclosure, the
seven or eight others, each a form of its own. Written by the template language the
cards were a quarter of the page's CPU (each field's label, widget and help resolved,
localised and escaped through a dozen nodes). This tag writes the same markup
(`tests/onestop/test_action_cards.py` renders the template it replaced and compares),
with the same escaping; the widgets are still the forms' own (`tinhso.web.form_renderer`).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

register = template.Library()


def _field(field: Any) -> str:
    if field.is_hidden:
        return str(field)
    help_text = (
        format_html('<div class="form-text">{}</div>', field.help_text) if field.help_text else ""
    )
    return format_html(
        '<div class="mb-2"><label class="form-label small" for="{}">{}</label>{}{}</div>',
        field.id_for_label,
        field.label,
        field,
        help_text,
    )


@register.simple_tag(takes_context=True)
def action_card(context: template.Context, card: dict[str, Any], primary: bool) -> SafeString:
    """One action's form: its fields, the dossier's version, the viewer's CSRF token."""
    action, form, dossier = card["action"], card["form"], context["dossier"]
    classes = f"card h-100 action-{action.name}"
    if primary:
        classes += f" border-{action.style.replace('outline-', '')} border-2"
    confirm = (
        format_html(' data-confirm="{}"', gettext("Xác nhận thao tác này?"))
        if action.style == "outline-danger"
        else ""
    )
    help_text = format_html('<p class="small">{}</p>', action.help) if action.help else ""
    fields = "".join(_field(field) for field in form)
    return format_html(
        '<form method="post" enctype="multipart/form-data" action="{}" class="{}"{}>'
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
        '<input type="hidden" name="version" value="{}">'
        '<div class="card-body"><h3 class="{}">{}</h3>{}{}'
        '<button class="btn btn-{}" type="submit">{}</button></div></form>',
        reverse("onestop:official_action", args=[dossier.uid, action.name]),
        classes,
        confirm,
        str(context.get("csrf_token", "")),
        dossier.version,
        "h5" if primary else "h6",
        action.label,
        help_text,
        mark_safe(fields),  # noqa: S308 - each part escaped by format_html above
        action.style,
        action.button or action.label,
    )
