"""The sandbox provider: a fake payment gateway inside the platform (no money moves).

Request and callback parameters are signed with HMAC-SHA256 over the sorted
`key=value` pairs (like VNPay's vnp_SecureHash), keyed by ONESTOP_SANDBOX_SECRET
(derived from SECRET_KEY when unset).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse

from tinhso.onestop.payments import CallbackResult
from tinhso.onestop.payments.receipts import dossier_code

SUCCESS = "00"
CANCELLED = "24"
LABEL = "MÔI TRƯỜNG THỬ NGHIỆM"


def secret() -> bytes:
    configured = getattr(settings, "ONESTOP_SANDBOX_SECRET", "")
    if configured:
        return configured.encode()
    return hashlib.sha256(f"onestop-sandbox:{settings.SECRET_KEY}".encode()).digest()


def sign(params: dict[str, Any]) -> str:
    pairs = "&".join(f"{k}={params[k]}" for k in sorted(params) if k != "sig")
    return hmac.new(secret(), pairs.encode(), hashlib.sha256).hexdigest()


class SandboxProvider:
    name = "sandbox"
    label = "Cổng thanh toán thử nghiệm (không thu tiền thật)"

    def checkout_params(self, payment, return_url: str = "") -> dict[str, str]:
        params = {
            "ref": payment.reference,
            "amount": str(payment.amount_vnd),
            "order": str(payment.dossier.uid),
            "info": f"Thanh toan ho so {dossier_code(payment.dossier)}".strip(),
            "return_url": return_url,
        }
        params["sig"] = sign(params)
        return params

    def create_payment_url(self, payment, return_url: str = "") -> str:
        url = reverse("onestop_sandbox_checkout")
        return f"{url}?{urlencode(self.checkout_params(payment, return_url))}"

    def verify_request(self, params: dict[str, Any]) -> bool:
        given = str(params.get("sig", ""))
        clean = {k: str(v) for k, v in params.items() if k != "sig"}
        return hmac.compare_digest(given, sign(clean))

    def callback_params(
        self, *, reference: str, amount: int, order: str, success: bool, txn: str
    ) -> dict[str, str]:
        params = {
            "ref": reference,
            "amount": str(amount),
            "order": order,
            "txn": txn,
            "status": SUCCESS if success else CANCELLED,
        }
        params["sig"] = sign(params)
        return params

    def verify_callback(self, params: dict[str, Any]) -> CallbackResult:
        flat = {k: (v[0] if isinstance(v, list | tuple) else v) for k, v in params.items()}
        flat = {k: str(v) for k, v in flat.items()}
        valid = "sig" in flat and hmac.compare_digest(flat["sig"], sign(flat))
        try:
            amount = int(flat.get("amount", ""))
        except ValueError:
            amount = None
        return CallbackResult(
            valid_signature=valid,
            reference=flat.get("ref", ""),
            amount_vnd=amount,
            dossier_uid=flat.get("order", ""),
            provider_ref=flat.get("txn", ""),
            success=flat.get("status") == SUCCESS,
            raw=flat,
        )
