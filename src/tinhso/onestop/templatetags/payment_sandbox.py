"""`{% payment_sandbox_banner %}`: the banner every page carries while the sandbox payment
gateway is on (PAYMENT_SANDBOX), so nobody mistakes the demo's payments for real ones."""

from django import template

from tinhso.onestop.payments import conf

register = template.Library()


@register.inclusion_tag("onestop/payments/_sandbox_banner.html")
def payment_sandbox_banner() -> dict:
    return {"sandbox": conf.sandbox_enabled()}
