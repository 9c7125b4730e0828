"""System check of payments: every configured provider must load. (`check --deploy`
refusing the sandbox gateway is tinhso.core.checks.check_payment_sandbox.)"""

from __future__ import annotations

from django.core.checks import Error, register


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
