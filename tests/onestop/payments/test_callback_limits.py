"""The anonymous payment callback (IPN) is bounded (issue 7, item 6).

Each test is an attacker's request against /api/v1/onestop/payments/<provider>/ipn/: a
forged callback stores nothing, a large one is refused before it is read, an address
that floods or keeps forging is refused, and malformed bodies get a 400, never a 500."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from tests.onestop.conftest import submit
from tinhso.audit.models import AuditEntry
from tinhso.onestop.models import Payment, PaymentCallback
from tinhso.onestop.payments import sandbox

pytestmark = pytest.mark.django_db
IPN = "/api/v1/onestop/payments/sandbox/ipn/"


def _signed(payment, **override) -> dict[str, str]:
    params = sandbox.SandboxProvider().callback_params(
        reference=payment.reference,
        amount=payment.amount_vnd,
        order=str(payment.dossier.uid),
        success=True,
        txn="SBX1",
    )
    params.update(override)
    return params


def _forged(payment, n: int = 0) -> dict[str, str]:
    params = _signed(payment)
    params["sig"] = f"{n:064x}"
    return params


def _nothing_stored() -> bool:
    return (
        not PaymentCallback.objects.exists()
        and not AuditEntry.objects.filter(action__startswith="onestop.payment").exists()
    )


@pytest.fixture
def pending(fee_world):
    dossier = submit(fee_world)
    return Payment.objects.get(dossier=dossier)


def test_forged_callbacks_store_nothing(pending):
    client = APIClient()
    for n in range(5):
        response = client.post(IPN, _forged(pending, n))
        assert response.status_code == 200 and response.json()["RspCode"] == "97"
    response = client.get(IPN, _forged(pending, 99))
    assert response.json()["RspCode"] == "97"
    assert _nothing_stored()
    pending.refresh_from_db()
    assert pending.status == "pending" and pending.callback_count == 0


def test_a_200_kb_forged_callback_is_refused_before_it_is_read(pending):
    client = APIClient()
    body = _forged(pending)
    body["padding"] = "x" * 200_000
    response = client.post(IPN, body)
    assert response.status_code == 413
    assert response.json()["code"] == "callback_too_large"
    as_json = client.post(IPN, json.dumps(body), content_type="application/json")
    assert as_json.status_code == 413
    in_query = client.get(IPN, {**_forged(pending), "padding": "x" * 5000})
    assert in_query.status_code == 413
    assert _nothing_stored()


def test_malformed_callbacks_get_a_400_not_a_500(pending):
    client = APIClient()
    cases = [
        ("[" * 3000, "application/json"),  # deeply nested, small
        ("[1, 2, 3]", "application/json"),  # not an object
        (json.dumps({**_signed(pending), "amount": {"n": 1}}), "application/json"),
        ("{not json", "application/json"),
    ]
    for body, content_type in cases:
        response = client.post(IPN, body, content_type=content_type)
        assert response.status_code == 400, (body[:20], response.content)
        assert response.json()["code"] == "callback_malformed"
    bad_length = client.post(IPN, _forged(pending), CONTENT_LENGTH="-5")
    assert bad_length.status_code == 400
    assert _nothing_stored()


def test_an_address_that_keeps_forging_is_refused_even_with_a_valid_signature(pending, settings):
    settings.PAYMENT_CALLBACK_REJECTED_RATE = "3/10min"
    attacker = APIClient(REMOTE_ADDR="203.0.113.7")
    for n in range(3):
        assert attacker.post(IPN, _forged(pending, n)).json()["RspCode"] == "97"
    refused = attacker.post(IPN, _forged(pending, 3))
    assert refused.status_code == 429 and refused.json()["code"] == "callback_rate_limited"
    # a spoofed X-Forwarded-For does not make a new client
    spoofed = attacker.post(IPN, _signed(pending), HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert spoofed.status_code == 429
    pending.refresh_from_db()
    assert pending.status == "pending"
    # the provider's own server (another address) is not affected
    provider = APIClient(REMOTE_ADDR="192.0.2.10")
    assert provider.post(IPN, _signed(pending)).json()["RspCode"] == "00"
    pending.refresh_from_db()
    assert pending.status == "paid"


def test_an_address_flooding_the_callback_is_limited_per_minute(pending, settings):
    settings.PAYMENT_CALLBACK_RATE = "5/min"
    settings.PAYMENT_CALLBACK_REJECTED_RATE = "1000/min"
    client = APIClient(REMOTE_ADDR="203.0.113.8")
    codes = [
        client.post(IPN, _forged(pending, n), HTTP_X_FORWARDED_FOR=f"10.0.0.{n}").status_code
        for n in range(8)
    ]
    assert codes == [200] * 5 + [429] * 3
    assert _nothing_stored()


def test_a_verified_callback_writes_the_payment_its_evidence_and_its_audit_entry(pending):
    response = APIClient().post(IPN, _signed(pending))
    assert response.json() == {"RspCode": "00", "Message": "Confirm Success"}
    pending.refresh_from_db()
    assert pending.status == "paid" and pending.callback_count == 1
    kept = PaymentCallback.objects.get()
    assert kept.outcome == "applied" and kept.payment == pending
    assert kept.params["ref"] == pending.reference
    assert AuditEntry.objects.filter(action="onestop.payment_paid").count() == 1


def test_a_provider_that_is_not_enabled_has_no_callback(pending):
    response = APIClient().post("/api/v1/onestop/payments/vnpay/ipn/", _signed(pending))
    assert response.status_code == 404
    assert response.json()["code"] == "payment_provider_unknown"
    assert _nothing_stored()
