"""Checks run by `tinhso check --deploy` (Django's system-check framework).

Each check is a plain function `(app_configs, **kwargs) -> list[CheckMessage]` in
DEPLOY_CHECKS; `CoreConfig.ready()` registers them all with the `deploy` flag. Add a
check by writing the function and appending it to the list.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks


def check_secret_key(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """An error (not a warning) when SECRET_KEY is empty, published or too short: it signs
    sessions, reset links and callbacks, and derives the keys of stored secrets."""
    from tinhso.core.secret_key import MIN_LENGTH, weakness

    why = weakness(getattr(settings, "SECRET_KEY", "") or "")
    if why is None:
        return []
    return [
        checks.Error(
            f"SECRET_KEY is not a real secret key ({why}).",
            hint=f"Set the SECRET_KEY environment variable to a random value of at least "
            f"{MIN_LENGTH} characters, e.g. "
            '`python -c "import secrets; print(secrets.token_urlsafe(64))"`.',
            id="tinhso.E001",
        )
    ]


def check_payment_sandbox(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """An error when the sandbox payment gateway is on (PAYMENT_SANDBOX): with it, any
    applicant can mark a fee paid without paying (onestop/payments)."""
    if not getattr(settings, "PAYMENT_SANDBOX", False):
        return []
    return [
        checks.Error(
            "The sandbox payment gateway is on (PAYMENT_SANDBOX): any applicant can mark "
            "a fee paid without paying.",
            hint="Unset PAYMENT_SANDBOX and configure a real provider in PAYMENT_PROVIDERS "
            "(or none: fees are then paid at the counter).",
            id="payments.E001",
        )
    ]


DEPLOY_CHECKS = [check_secret_key, check_payment_sandbox]


def register() -> None:
    for check in DEPLOY_CHECKS:
        checks.register(check, checks.Tags.security, deploy=True)
