"""Payment use-cases: create, redirect, apply the provider's callback (once), cash."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction

from tinhso.accounts.rules import require
from tinhso.audit.services import record
from tinhso.core.errors import InvalidTransition, ValidationFailed
from tinhso.onestop import codes
from tinhso.onestop.models import Dossier, Payment, PaymentCallback
from tinhso.onestop.payments import get_provider
from tinhso.onestop.services.clock import now as clock_now


def create_payment(
    *,
    dossier: Dossier,
    amount_vnd: int,
    purpose: str = "fee",
    online: bool = True,
    provider: str = "sandbox",
) -> Payment:
    """A pending payment with a fresh reference (no permission: called by other services)."""
    return Payment.objects.create(
        dossier=dossier,
        purpose=purpose,
        amount_vnd=int(amount_vnd),
        provider=provider if online else "counter",
        online=online,
        reference=f"TS{uuid.uuid4().hex[:20].upper()}",
        payer_name=dossier.applicant_name,
    )


def payment_url(*, user, payment: Payment, return_url: str = "") -> str:
    """Where to send the applicant's browser to pay (the provider's checkout)."""
    require(user, "onestop.act_as_applicant", payment.dossier)
    if payment.status != Payment.Status.PENDING:
        raise InvalidTransition(
            "Khoản thanh toán này không còn chờ thanh toán.", code="payment_not_pending"
        )
    return get_provider(payment.provider).create_payment_url(payment, return_url)


def _mark_paid(payment: Payment, *, provider_ref: str, online: bool, actor=None) -> Payment:
    at = clock_now()
    payment.status = Payment.Status.PAID
    payment.paid_at = at
    payment.provider_ref = provider_ref
    payment.receipt_number = codes.next_receipt_number(at)
    payment.save(update_fields=["status", "paid_at", "provider_ref", "receipt_number"])
    dossier = Dossier.objects.select_related("procedure", "receiving_agency", "applicant").get(
        pk=payment.dossier_id
    )
    if payment.purpose == Payment.Purpose.FEE:
        Dossier.objects.filter(pk=dossier.pk).update(fee_paid=True, paid_online=online)
    else:
        from tinhso.onestop.services.dossiers import obligation_fulfilled

        if online:
            Dossier.objects.filter(pk=dossier.pk).update(paid_online=True)
            dossier.refresh_from_db(fields=["version"])
        obligation_fulfilled(dossier=dossier, actor=actor)
    from tinhso.onestop.services.dossiers import notify_applicant

    notify_applicant(
        dossier,
        "onestop_receipt",
        amount=f"{payment.amount_vnd:,}".replace(",", "."),
        receipt_number=payment.receipt_number,
    )
    record(
        actor=actor,
        action="onestop.payment_paid",
        obj=payment,
        object_id=payment.reference,
        agency=dossier.receiving_agency_id,
        summary={
            "dossier": dossier.code or str(dossier.uid),
            "amount_vnd": payment.amount_vnd,
            "receipt": payment.receipt_number,
            "online": online,
        },
    )
    return payment


@transaction.atomic
def handle_callback(*, provider: str, params: dict[str, Any]) -> tuple[str, Payment | None]:
    """Apply a provider's callback. Returns (outcome, payment); outcome is one of
    applied / failed / duplicate / bad_signature / unknown_payment / amount_mismatch /
    dossier_mismatch. Only `applied` and `failed` change anything."""
    result = get_provider(provider).verify_callback(params)
    payment = None
    if not result.valid_signature:
        outcome = "bad_signature"
    else:
        payment = (
            Payment.objects.select_for_update()
            .select_related("dossier")
            .filter(reference=result.reference, provider=provider)
            .first()
        )
        if payment is None:
            outcome = "unknown_payment"
        elif result.amount_vnd != payment.amount_vnd:
            outcome = "amount_mismatch"
        elif result.dossier_uid != str(payment.dossier.uid):
            outcome = "dossier_mismatch"
        elif payment.status != Payment.Status.PENDING:
            outcome = "duplicate"
        elif result.success:
            _mark_paid(payment, provider_ref=result.provider_ref, online=True)
            outcome = "applied"
        else:
            payment.status = Payment.Status.FAILED
            payment.provider_ref = result.provider_ref
            payment.save(update_fields=["status", "provider_ref"])
            # the applicant may try again: a fresh pending payment with a new reference
            create_payment(
                dossier=payment.dossier,
                amount_vnd=payment.amount_vnd,
                purpose=payment.purpose,
                provider=provider,
            )
            outcome = "failed"
    PaymentCallback.objects.create(
        provider=provider, payment=payment, params=result.raw or dict(params), outcome=outcome
    )
    if payment is not None:
        Payment.objects.filter(pk=payment.pk).update(callback_count=payment.callback_count + 1)
    if outcome not in ("applied", "failed", "duplicate"):
        record(
            actor=None,
            action="onestop.payment_callback_rejected",
            object_type="onestop.payment",
            object_id=result.reference[:80],
            summary={"outcome": outcome, "provider": provider},
        )
    return outcome, payment


@transaction.atomic
def record_cash_payment(*, payment: Payment, officer) -> Payment:
    """The one-stop officer records a payment made in cash at the counter."""
    require(officer, "onestop.accept_dossier", payment.dossier)
    locked = Payment.objects.select_for_update().get(pk=payment.pk)
    if locked.status != Payment.Status.PENDING:
        raise InvalidTransition("Khoản thanh toán này đã được xử lý.", code="payment_not_pending")
    locked.online = False
    locked.provider = "counter"
    locked.save(update_fields=["online", "provider"])
    return _mark_paid(locked, provider_ref="", online=False, actor=officer)


def check_amount(value: Any) -> int:
    try:
        amount = int(value)
    except (TypeError, ValueError) as exc:
        raise ValidationFailed("Số tiền không hợp lệ.", code="invalid_amount") from exc
    if amount <= 0:
        raise ValidationFailed("Số tiền phải lớn hơn 0.", code="invalid_amount")
    return amount
