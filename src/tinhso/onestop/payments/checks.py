"""System checks of payments: `check --deploy` refuses the sandbox gateway; every
configured provider must import."""

from __future__ import annotations

from django.core.checks import Error, Tags, register

from tinhso.onestop.payments import conf


@register(Tags.security, deploy=True)
def sandbox_not_deployed(app_configs, **kwargs) -> list[Error]:
    if not conf.sandbox_enabled():
        return []
    return [
        Error(
            "The sandbox payment gateway is on (PAYMENT_SANDBOX): any applicant can mark "
            "a fee paid without paying.",
            hint="Unset PAYMENT_SANDBOX and configure a real provider in PAYMENT_PROVIDERS "
            "(or none: fees are then paid at the counter).",
            id="payments.E001",
        )
    ]


@register()
def providers_load(app_configs, **kwargs) -> list[Error]:
    from tinhso.onestop.payments import enabled_providers

    try:
        enabled_providers()
    except Exception as exc:  # an import error, a bad path, the reserved name
        return [
            Error(
                f"PAYMENT_PROVIDERS cannot be loaded: {exc}",
                hint="List dotted paths of payment provider classes, comma-separated.",
                id="payments.E002",
            )
        ]
    return []
