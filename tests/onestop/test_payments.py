"""Payments: sandbox redirect + signed callback, verified and idempotent; e-receipts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from tinhso.audit.models import AuditEntry
from tinhso.onestop import services
from tinhso.onestop.models import DossierState, Payment, PaymentCallback
from tinhso.onestop.payments import sandbox
from tinhso.onestop.payments.services import handle_callback, record_cash_payment

from .conftest import accepted, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_procedure(world):
    world.procedure.fee_vnd = 8000
    world.procedure.save()
    return world


def _callback(payment, **override):
    provider = sandbox.SandboxProvider()
    params = provider.callback_params(
        reference=payment.reference,
        amount=payment.amount_vnd,
        order=str(payment.dossier.uid),
        success=True,
        txn="SBX1",
    )
    params.update(override)
    return params


def test_fee_creates_a_pending_payment_and_the_sandbox_url_is_signed(paid_procedure):
    w = paid_procedure
    dossier = submit(w)
    payment = Payment.objects.get(dossier=dossier)
    assert payment.status == "pending" and payment.amount_vnd == 8000
    response = APIClient()
    response.force_authenticate(w.citizen)
    body = response.post(f"/api/v1/onestop/dossiers/{dossier.uid}/pay/", {}, format="json").json()
    assert "/onestop/payments/sandbox/checkout/" in body["url"] and "sig=" in body["url"]
    page = APIClient().get(body["url"])
    assert page.status_code == 200
    assert "MÔI TRƯỜNG THỬ NGHIỆM" in page.content.decode()
    # the tester pays on the sandbox page: the IPN is applied, a receipt is issued
    page = APIClient().post(body["url"], {"decision": "pay"})
    assert page.status_code in (200, 302)
    payment.refresh_from_db()
    assert payment.status == "paid" and payment.receipt_series.startswith("BL-")
    assert payment.receipt_number == "0000001"
    dossier.refresh_from_db()
    assert dossier.fee_paid and dossier.paid_online


def test_valid_callback_applies_once_and_replays_change_nothing(paid_procedure):
    w = paid_procedure
    dossier = submit(w)
    payment = Payment.objects.get(dossier=dossier)
    params = _callback(payment)
    assert handle_callback(provider="sandbox", params=params)[0] == "applied"
    payment.refresh_from_db()
    receipt, paid_at = payment.receipt_number, payment.paid_at
    assert handle_callback(provider="sandbox", params=params)[0] == "duplicate"
    response = APIClient().get("/api/v1/onestop/payments/sandbox/ipn/", params)
    assert response.json()["RspCode"] == "02"
    payment.refresh_from_db()
    assert (payment.receipt_number, payment.paid_at) == (receipt, paid_at)
    assert Payment.objects.filter(receipt_number__isnull=False).count() == 1


def test_forged_callbacks_change_nothing(paid_procedure):
    w = paid_procedure
    dossier = submit(w)
    other = submit(w)
    payment = Payment.objects.get(dossier=dossier)
    bad_sig = _callback(payment)
    bad_sig["sig"] = "0" * 64
    tampered_amount = _callback(payment)
    tampered_amount["amount"] = "1"  # signature no longer matches
    # correctly signed (e.g. a leaked key) but wrong amount / wrong dossier
    provider = sandbox.SandboxProvider()
    wrong_amount = provider.callback_params(
        reference=payment.reference, amount=1, order=str(dossier.uid), success=True, txn="X"
    )
    wrong_dossier = provider.callback_params(
        reference=payment.reference, amount=8000, order=str(other.uid), success=True, txn="X"
    )
    unknown = provider.callback_params(
        reference="TSNOPE", amount=8000, order=str(dossier.uid), success=True, txn="X"
    )
    outcomes = [
        handle_callback(provider="sandbox", params=p)[0]
        for p in (bad_sig, tampered_amount, wrong_amount, wrong_dossier, unknown)
    ]
    assert outcomes == [
        "bad_signature",
        "bad_signature",
        "amount_mismatch",
        "dossier_mismatch",
        "unknown_payment",
    ]
    payment.refresh_from_db()
    assert payment.status == "pending" and payment.receipt_number is None
    # only the correctly signed ones are kept as evidence (a forged one stores nothing)
    assert sorted(PaymentCallback.objects.values_list("outcome", flat=True)) == [
        "amount_mismatch",
        "dossier_mismatch",
        "unknown_payment",
    ]
    assert AuditEntry.objects.filter(action="onestop.payment_callback_rejected").count() == 3
    response = APIClient().get("/api/v1/onestop/payments/sandbox/ipn/", bad_sig)
    assert response.status_code == 200 and response.json()["RspCode"] == "97"


def test_financial_obligation_pauses_the_clock_until_paid(world):
    from tinhso.onestop.services.clock import frozen
    from tinhso.workdays.services import VN

    from .conftest import vn

    w = world
    with frozen(vn(2026, 3, 2, 9, 0)):
        dossier = accepted(w)
    with frozen(vn(2026, 3, 3, 9, 0)):
        payment = services.request_financial_obligation(
            official=w.officer, dossier=dossier, amount_vnd=500000, note="Lệ phí trước bạ"
        )
    assert dossier.state == DossierState.FINANCIAL and dossier.portal_status == 6
    with frozen(vn(2026, 3, 5, 9, 0)):  # paid two working days later
        assert handle_callback(provider="sandbox", params=_callback(payment))[0] == "applied"
    dossier.refresh_from_db()
    assert dossier.state == DossierState.PROCESSING
    assert dossier.paused_days == Decimal(2)
    assert dossier.due_at.astimezone(VN) == vn(2026, 3, 11, 17, 0)


def test_cash_payment_at_the_counter_gets_a_receipt(paid_procedure):
    w = paid_procedure
    dossier = services.receive_counter_dossier(
        officer=w.officer,
        procedure=w.procedure,
        applicant_name="Lê Văn C",
        form_data={"ho_ten": "Lê Văn C"},
        fee_paid_cash=True,
    )
    payment = Payment.objects.get(dossier=dossier)
    assert payment.status == "paid" and not payment.online and payment.receipt_number
    dossier.refresh_from_db()
    assert dossier.fee_paid and not dossier.paid_online
    from tinhso.core.errors import InvalidTransition

    with pytest.raises(InvalidTransition):
        record_cash_payment(payment=payment, officer=w.officer)


def test_a_cancelled_payment_can_be_retried_with_a_new_reference(paid_procedure):
    w = paid_procedure
    dossier = submit(w)
    first = Payment.objects.get(dossier=dossier)
    provider = sandbox.SandboxProvider()
    cancel = provider.callback_params(
        reference=first.reference, amount=8000, order=str(dossier.uid), success=False, txn="C"
    )
    assert handle_callback(provider="sandbox", params=cancel)[0] == "failed"
    retry = Payment.objects.get(dossier=dossier, status="pending")
    assert retry.reference != first.reference
    assert handle_callback(provider="sandbox", params=_callback(retry))[0] == "applied"
    # a replay of the old cancellation changes nothing
    assert handle_callback(provider="sandbox", params=cancel)[0] == "duplicate"
    assert Payment.objects.filter(dossier=dossier, status="pending").count() == 0
    dossier.refresh_from_db()
    assert dossier.fee_paid
