"""Payments and dossiers (issue 8, inside): a confirmed payment goes through one dossier
service (the transition with the version, the event, the audit entry), payments never
import the dossier services, and every change of a payment's state is audited."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import tinhso.onestop.payments as payments_package
from tests.onestop.conftest import accepted, submit
from tinhso.audit.models import AuditEntry
from tinhso.core.errors import DomainError
from tinhso.onestop import services
from tinhso.onestop.models import DossierEvent, DossierState, Payment
from tinhso.onestop.payments import errors, sandbox
from tinhso.onestop.payments.services import handle_callback, record_cash_payment
from tinhso.onestop.payments.signals import payment_confirmed

pytestmark = pytest.mark.django_db


def _callback(payment: Payment, *, success: bool = True) -> dict[str, str]:
    return sandbox.SandboxProvider().callback_params(
        reference=payment.reference,
        amount=payment.amount_vnd,
        order=str(payment.dossier.uid),
        success=success,
        txn=f"SBX{payment.pk}",
    )


def _audited(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action))


def test_a_paid_fee_changes_the_dossier_through_its_transition(fee_world):
    dossier = submit(fee_world)
    version = dossier.version
    payment = Payment.objects.get(dossier=dossier)
    assert handle_callback(provider="sandbox", params=_callback(payment))[0] == "applied"
    dossier.refresh_from_db()
    payment.refresh_from_db()
    assert dossier.fee_paid and dossier.paid_online
    assert dossier.version == version + 1  # an officer's page from before must reload
    event = DossierEvent.objects.get(dossier=dossier, action="paid")
    assert payment.receipt_reference in event.note and "200.000 đồng" in event.note
    [entry] = _audited("onestop.fee_paid")
    assert entry.summary["payment"] == payment.reference
    assert len(_audited("onestop.payment_paid")) == 1


def test_an_officer_acting_on_the_version_before_the_payment_gets_a_conflict(fee_world):
    w = fee_world
    dossier = submit(w)
    stale = dossier.version
    payment = Payment.objects.get(dossier=dossier)
    handle_callback(provider="sandbox", params=_callback(payment))
    with pytest.raises(DomainError) as caught:
        services.accept_dossier(officer=w.officer, dossier=dossier, version=stale)
    assert caught.value.code == "dossier_changed"


def test_a_paid_obligation_resumes_processing_and_counts_as_paid_online(world):
    w = world
    dossier = accepted(w)
    payment = services.request_financial_obligation(
        official=w.officer, dossier=dossier, amount_vnd=500000
    )
    assert handle_callback(provider="sandbox", params=_callback(payment))[0] == "applied"
    dossier.refresh_from_db()
    assert dossier.state == DossierState.PROCESSING and dossier.paid_online
    assert DossierEvent.objects.filter(dossier=dossier, action="obligation_paid").exists()
    assert len(_audited("onestop.obligation_fulfilled")) == 1


def test_a_cash_fee_at_the_counter_is_audited_with_the_officer(fee_world):
    w = fee_world
    dossier = services.receive_counter_dossier(
        officer=w.officer,
        procedure=w.procedure,
        applicant_name="Lê Văn C",
        form_data={"ho_ten": "Lê Văn C"},
        accept=False,
    )
    payment = Payment.objects.get(dossier=dossier)
    record_cash_payment(payment=payment, officer=w.officer)
    dossier.refresh_from_db()
    assert dossier.fee_paid and not dossier.paid_online
    [paid] = _audited("onestop.payment_paid")
    [fee] = _audited("onestop.fee_paid")
    assert paid.actor_id == w.officer.pk and fee.actor_id == w.officer.pk


def test_if_the_dossier_side_fails_the_payment_stays_pending_and_takes_no_number(fee_world):
    dossier = submit(fee_world)
    payment = Payment.objects.get(dossier=dossier)

    def refuse(sender, **kwargs):
        raise RuntimeError("the dossier could not be updated")

    payment_confirmed.connect(refuse, dispatch_uid="test-refuse")
    try:
        with pytest.raises(RuntimeError):
            handle_callback(provider="sandbox", params=_callback(payment))
    finally:
        payment_confirmed.disconnect(dispatch_uid="test-refuse")
    payment.refresh_from_db()
    dossier.refresh_from_db()
    assert payment.status == "pending" and payment.receipt_number is None
    assert not dossier.fee_paid
    # the provider retries: applied, and the receipt is the agency's first of the year
    assert handle_callback(provider="sandbox", params=_callback(payment))[0] == "applied"
    payment.refresh_from_db()
    assert payment.receipt_number == "0000001"


def test_withdrawing_cancels_pending_payments_each_with_an_audit_entry(fee_world):
    w = fee_world
    dossier = submit(w)
    services.withdraw(user=w.citizen, dossier=dossier, reason="Nộp nhầm")
    payment = Payment.objects.get(dossier=dossier)
    assert payment.status == "cancelled"
    [entry] = _audited("onestop.payment_cancelled")
    assert entry.actor_id == w.citizen.pk and entry.summary["reason"] == "withdrawn"
    # the provider's late success for a cancelled payment changes nothing
    assert handle_callback(provider="sandbox", params=_callback(payment))[0] == "duplicate"


def test_stopping_a_dossier_cancels_its_pending_obligation_with_an_audit_entry(world):
    w = world
    dossier = accepted(w)
    payment = services.request_financial_obligation(
        official=w.officer, dossier=dossier, amount_vnd=300000
    )
    services.reject(official=w.leader, dossier=dossier, reasons="Không đủ điều kiện")
    payment.refresh_from_db()
    assert payment.status == "cancelled"
    [entry] = _audited("onestop.payment_cancelled")
    assert entry.actor_id == w.leader.pk and entry.summary["reason"] == "stopped"


def test_a_failed_payment_is_audited_with_the_retry_reference(fee_world):
    dossier = submit(fee_world)
    payment = Payment.objects.get(dossier=dossier)
    assert handle_callback(provider="sandbox", params=_callback(payment, success=False))[0] == (
        "failed"
    )
    retry = Payment.objects.get(dossier=dossier, status="pending")
    [entry] = _audited("onestop.payment_failed")
    assert entry.summary["retry_reference"] == retry.reference


def test_payments_never_import_the_dossier_services():
    root = Path(payments_package.__file__).parent
    offending = []
    for path in sorted(root.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            if any(
                n == "tinhso.onestop.services" or n.startswith("tinhso.onestop.services.")
                for n in names
            ):
                offending.append(f"{path.name}:{node.lineno}")
    assert offending == []


def test_payment_error_codes_are_an_enum_with_the_old_values():
    assert errors.PaymentErrorCode.NOT_PENDING == "payment_not_pending"
    assert errors.PaymentErrorCode.PROVIDER_UNKNOWN == "payment_provider_unknown"
    assert errors.PaymentErrorCode.NO_PENDING_PAYMENT == "no_pending_payment"
    assert errors.PaymentErrorCode.INVALID_AMOUNT == "invalid_amount"
    for klass in (
        errors.ProviderUnknown,
        errors.ProviderUnavailable,
        errors.PaymentNotPending,
        errors.NoPendingPayment,
        errors.InvalidAmount,
        errors.CallbackTooLarge,
        errors.CallbackRateLimited,
        errors.CallbackMalformed,
        errors.ReceiptNotAvailable,
    ):
        assert isinstance(klass.code, errors.PaymentErrorCode), klass


@pytest.mark.parametrize("amount", ["1e20", 10**20, -5, 0, "abc", 1.5, True, float("inf")])
def test_an_obligation_amount_out_of_bounds_is_refused_and_changes_nothing(world, amount):
    w = world
    dossier = accepted(w)
    version = dossier.version
    with pytest.raises(errors.InvalidAmount):
        services.request_financial_obligation(
            official=w.officer, dossier=dossier, amount_vnd=amount
        )
    dossier.refresh_from_db()
    assert dossier.version == version and not Payment.objects.filter(dossier=dossier).exists()
