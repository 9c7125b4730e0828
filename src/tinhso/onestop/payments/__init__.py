"""Payment providers: the usual redirect + signed server-to-server callback (IPN).

A provider implements:

    name, label
    create_payment_url(payment, return_url) -> str   where to send the payer's browser
    verify_callback(params) -> CallbackResult        check the signature and read the result

Which providers exist is configuration (`conf.py`): the classes listed in
PAYMENT_PROVIDERS, plus the built-in `sandbox` only when PAYMENT_SANDBOX is on. A
provider that is not enabled does not exist: its URLs answer 404 and paying says that no
provider is configured.

`services.handle_callback` checks the signature first (a forged callback stores nothing),
then the amount and the dossier against our own payment row, and applies it once
(idempotent): a wrong amount, a wrong dossier, an unknown reference or a replay changes
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from tinhso.onestop.payments import conf


@dataclass(frozen=True)
class CallbackResult:
    valid_signature: bool
    reference: str = ""
    amount_vnd: int | None = None
    dossier_uid: str = ""
    provider_ref: str = ""
    success: bool = False
    raw: dict[str, Any] = field(default_factory=dict)


class CallbackOutcome(StrEnum):
    """What a provider's callback did. Only APPLIED and FAILED change a payment."""

    APPLIED = "applied"
    FAILED = "failed"
    DUPLICATE = "duplicate"
    BAD_SIGNATURE = "bad_signature"
    UNKNOWN_PAYMENT = "unknown_payment"
    AMOUNT_MISMATCH = "amount_mismatch"
    DOSSIER_MISMATCH = "dossier_mismatch"


class PaymentProvider(Protocol):
    name: str
    label: str

    def create_payment_url(self, payment: Any, return_url: str = "") -> str: ...

    def verify_callback(self, params: dict[str, Any]) -> CallbackResult: ...


def _configured() -> dict[str, PaymentProvider]:
    found: dict[str, PaymentProvider] = {}
    for path in conf.provider_paths():
        if path == conf.SANDBOX_PATH:
            raise ImproperlyConfigured(
                "The sandbox payment provider is enabled with PAYMENT_SANDBOX=1, "
                "not through PAYMENT_PROVIDERS."
            )
        provider = import_string(path)()
        if provider.name == conf.SANDBOX:
            raise ImproperlyConfigured(f"{path}: the provider name 'sandbox' is reserved.")
        found[provider.name] = provider
    if conf.sandbox_enabled():
        from tinhso.onestop.payments.sandbox import SandboxProvider

        found[conf.SANDBOX] = SandboxProvider()
    return found


def enabled_providers() -> dict[str, PaymentProvider]:
    """The providers that exist now, by name (the configured ones first)."""
    return _configured()


def is_enabled(name: str) -> bool:
    return bool(name) and name in _configured()


def default_provider_name() -> str:
    """The provider new online payments go through ('' when none is configured)."""
    return next(iter(_configured()), "")


def get_provider(name: str) -> PaymentProvider:
    """The enabled provider `name`, else ProviderUnknown (a 404 for URLs naming it)."""
    from tinhso.onestop.payments.errors import ProviderUnknown

    provider = _configured().get(name or "")
    if provider is None:
        raise ProviderUnknown()
    return provider
