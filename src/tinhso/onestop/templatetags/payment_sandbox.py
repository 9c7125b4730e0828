"""`{% payment_sandbox_banner %}`: the banner every page carries while the sandbox payment
gateway is on (PAYMENT_SANDBOX), so nobody mistakes the demo's payments for real ones."""

from django import template

from tinhso.onestop.payments import conf

register = template.Library()


@register.inclusion_tag("onestop/payments/_sandbox_banner.html")
def payment_sandbox_banner() -> dict:
    return {"sandbox": conf.sandbox_enabled()}


@register.simple_tag
def online_payment_available() -> bool:
    """Whether any online payment provider is enabled (else fees are paid at the counter)."""
    from tinhso.onestop.payments import default_provider_name

    return bool(default_provider_name())
