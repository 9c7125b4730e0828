"""Display helpers of the one-stop pages: money in VND, working days, percentages."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.formats import number_format
from django.utils.translation import ngettext

register = template.Library()


@register.filter
def vnd(value) -> str:
    try:
        amount = int(value or 0)
    except (TypeError, ValueError):
        return ""
    return f"{amount:,}".replace(",", ".") + " đ"


def _amount(value) -> Decimal | None:
    """A number of days as an exact decimal without trailing zeros (5, 0.5, 2.25)."""
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except (ArithmeticError, ValueError):
        return None
    if not amount.is_finite():
        return None
    return (
        amount.quantize(Decimal(1)) if amount == amount.to_integral_value() else amount.normalize()
    )


def _count(amount: Decimal) -> int:
    """The count ngettext picks a plural form with: 1 for exactly one, else the plural
    ("0.5 days", "1.5 days"; gettext would round 0.9 to 1 and say "0.9 day")."""
    return 1 if amount == 1 else 2


@register.filter
def days(value) -> str:
    """A number of days in the reader's language: "0,5" in Vietnamese, "0.5" in English."""
    amount = _amount(value)
    if amount is None:
        return ""
    exponent = amount.as_tuple().exponent
    places = max(0, -exponent) if isinstance(exponent, int) else 0
    return number_format(amount, decimal_pos=places)


@register.filter
def working_days(value) -> str:
    """ "5 ngày làm việc" / "1 working day", "0.5 working days"."""
    amount = _amount(value)
    if amount is None:
        return ""
    return ngettext("%(count)s ngày làm việc", "%(count)s ngày làm việc", _count(amount)) % {
        "count": days(amount)
    }


@register.filter
def days_count(value) -> str:
    """ "0,5 ngày" / "1 day", "0.1 days" (a step's share of the processing time)."""
    amount = _amount(value)
    if amount is None:
        return ""
    return ngettext("%(count)s ngày", "%(count)s ngày", _count(amount)) % {"count": days(amount)}


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
