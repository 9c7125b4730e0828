"""Payment providers: the usual redirect + signed server-to-server callback (IPN).

A provider implements:

    create_payment_url(payment, return_url) -> str   where to send the payer's browser
    verify_callback(params) -> CallbackResult        check the signature and read the result

`services.handle_callback` then checks the amount and the dossier against our own
payment row and applies it once (idempotent): a forged callback (bad signature, wrong
amount, wrong dossier, unknown reference) or a replayed one changes nothing.

The `sandbox` provider lives inside the platform for development and demos; its checkout
page is clearly labelled "MÔI TRƯỜNG THỬ NGHIỆM" and moves no money.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class CallbackResult:
    valid_signature: bool
    reference: str = ""
    amount_vnd: int | None = None
    dossier_uid: str = ""
    provider_ref: str = ""
    success: bool = False
    raw: dict[str, Any] = field(default_factory=dict)


class PaymentProvider(Protocol):
    name: str
    label: str

    def create_payment_url(self, payment: Any, return_url: str = "") -> str: ...

    def verify_callback(self, params: dict[str, Any]) -> CallbackResult: ...


def get_provider(name: str = "sandbox") -> PaymentProvider:
    from tinhso.core.errors import NotFound

    if name == "sandbox":
        from tinhso.onestop.payments.sandbox import SandboxProvider

        return SandboxProvider()
    raise NotFound(f"Không có cổng thanh toán '{name}'.", code="payment_provider_unknown")
