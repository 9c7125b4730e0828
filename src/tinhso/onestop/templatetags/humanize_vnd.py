"""Display helpers of the one-stop pages: money in VND, working days, percentages."""

from __future__ import annotations

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def vnd(value) -> str:
    try:
        amount = int(value or 0)
    except (TypeError, ValueError):
        return ""
    return f"{amount:,}".replace(",", ".") + " đ"


@register.filter
def days(value) -> str:
    from tinhso.onestop.pdf import days_text

    if value in (None, ""):
        return ""
    return days_text(Decimal(str(value)))


@register.filter
def percent(value) -> str:
    if value is None:
        return "—"
    number = float(value)
    if number <= 1:
        number *= 100
    return f"{number:.1f}".replace(".", ",") + " %"


@register.filter
def get(mapping, key):
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def action_label(action: str) -> str:
    from tinhso.onestop.pdf import action_label as label

    return label(action or "")
