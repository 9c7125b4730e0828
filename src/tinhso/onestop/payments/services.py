"""Payment use-cases: create, redirect, apply the provider's callback (once), cash."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from tinhso.accounts.rules import require
from tinhso.audit.services import record
from tinhso.onestop.clock import now as clock_now
from tinhso.onestop.models import Dossier, Payment, PaymentCallback
from tinhso.onestop.payments import (
    CallbackOutcome,
    default_provider_name,
    get_provider,
    is_enabled,
    receipts,
)
from tinhso.onestop.payments.errors import (
    InvalidAmount,
    PaymentNotPending,
    ProviderUnavailable,
)
from tinhso.onestop.payments.signals import payment_confirmed

log = logging.getLogger(__name__)
COUNTER = "counter"


def create_payment(
    *,
    dossier: Dossier,
    amount_vnd: int,
    purpose: str = "fee",
    online: bool = True,
    provider: str | None = None,
) -> Payment:
    """A pending payment with a fresh reference (no permission: called by other services).

    Online payments go through `provider`, else the default enabled provider; with none
    configured the provider stays empty and paying online says so."""
    if not online:
        provider = COUNTER
    elif provider is None:
        provider = default_provider_name()
    return Payment.objects.create(
        dossier=dossier,
        purpose=purpose,
        amount_vnd=int(amount_vnd),
        provider=provider,
        online=online,
        reference=f"TS{uuid.uuid4().hex[:20].upper()}",
        payer_name=dossier.applicant_name,
    )


@transaction.atomic
def payment_url(*, user, payment: Payment, return_url: str = "") -> str:
    """Where to send the applicant's browser to pay (the provider's checkout)."""
    require(user, "onestop.act_as_applicant", payment.dossier)
    locked = Payment.objects.select_for_update().select_related("dossier").get(pk=payment.pk)
    if locked.status != Payment.Status.PENDING or not locked.online:
        raise PaymentNotPending()
    if not is_enabled(locked.provider):
        # created while no provider (or another one) was enabled: use today's default
        name = default_provider_name()
        if not name:
            raise ProviderUnavailable()
        locked.provider = name
        locked.save(update_fields=["provider"])
        payment.provider = name
    return get_provider(locked.provider).create_payment_url(locked, return_url)


def _mark_paid(payment: Payment, *, provider_ref: str, online: bool, actor=None) -> Payment:
    at = clock_now()
    payment.status = Payment.Status.PAID
    payment.paid_at = at
    payment.provider_ref = provider_ref
    receipts.number_receipt(payment, at)
    payment.save(
        update_fields=[
            "status",
            "paid_at",
            "provider_ref",
            "collecting_agency",
            "receipt_series",
            "receipt_number",
        ]
    )
    dossier = payment.dossier
    # the dossier side (fee paid / obligation fulfilled, with its version and audit entry)
    if not payment_confirmed.send(sender=Payment, payment=payment, actor=actor):
        raise ImproperlyConfigured("No receiver applies confirmed payments to dossiers.")
    record(
        actor=actor,
        action="onestop.payment_paid",
        obj=payment,
        object_id=payment.reference,
        agency=dossier.receiving_agency_id,
        summary={
            "dossier": receipts.dossier_code(dossier) or str(dossier.uid),
            "amount_vnd": payment.amount_vnd,
            "receipt": payment.receipt_reference,
            "collecting_agency": payment.collecting_agency_id,
            "online": online,
        },
    )
    receipts.schedule_issue(payment.pk)
    return payment


def handle_callback(
    *, provider: str, params: dict[str, Any]
) -> tuple[CallbackOutcome, Payment | None]:
    """Apply a provider's callback; returns (outcome, payment).

    The signature is checked before anything is stored: a callback that does not carry
    the provider's valid signature writes nothing (no row, no audit entry) and is only
    logged. A verified callback is kept as evidence (PaymentCallback) whatever its
    outcome; only APPLIED and FAILED change the payment, each with its audit entry."""
    gateway = get_provider(provider)  # ProviderUnknown: no such enabled provider
    result = gateway.verify_callback(params)
    if not result.valid_signature:
        log.info("payment callback with a bad signature (provider %s)", provider)
        return CallbackOutcome.BAD_SIGNATURE, None
    return _apply_verified(provider, result)


@transaction.atomic
def _apply_verified(provider: str, result) -> tuple[CallbackOutcome, Payment | None]:
    payment = (
        Payment.objects.select_for_update()
        .select_related("dossier")
        .filter(reference=result.reference, provider=provider)
        .first()
    )
    if payment is None:
        outcome = CallbackOutcome.UNKNOWN_PAYMENT
    elif result.amount_vnd != payment.amount_vnd:
        outcome = CallbackOutcome.AMOUNT_MISMATCH
    elif result.dossier_uid != str(payment.dossier.uid):
        outcome = CallbackOutcome.DOSSIER_MISMATCH
    elif payment.status != Payment.Status.PENDING:
        outcome = CallbackOutcome.DUPLICATE
    elif result.success:
        _mark_paid(payment, provider_ref=result.provider_ref, online=True)
        outcome = CallbackOutcome.APPLIED
    else:
        _mark_failed(payment, provider_ref=result.provider_ref)
        outcome = CallbackOutcome.FAILED
    PaymentCallback.objects.create(
        provider=provider, payment=payment, params=result.raw, outcome=outcome
    )
    if payment is not None:
        Payment.objects.filter(pk=payment.pk).update(callback_count=payment.callback_count + 1)
    if outcome in (
        CallbackOutcome.UNKNOWN_PAYMENT,
        CallbackOutcome.AMOUNT_MISMATCH,
        CallbackOutcome.DOSSIER_MISMATCH,
    ):
        # correctly signed yet not ours: the provider's error or a leaked key
        record(
            actor=None,
            action="onestop.payment_callback_rejected",
            object_type="onestop.payment",
            object_id=result.reference[:80],
            agency=payment.dossier.receiving_agency_id if payment else None,
            summary={"outcome": str(outcome), "provider": provider},
        )
    return outcome, payment


def _mark_failed(payment: Payment, *, provider_ref: str) -> Payment:
    """The provider says the payer cancelled or the payment failed: the applicant may try
    again with a fresh pending payment (a new reference)."""
    payment.status = Payment.Status.FAILED
    payment.provider_ref = provider_ref
    payment.save(update_fields=["status", "provider_ref"])
    retry = create_payment(
        dossier=payment.dossier,
        amount_vnd=payment.amount_vnd,
        purpose=payment.purpose,
        provider=payment.provider,
    )
    record(
        actor=None,
        action="onestop.payment_failed",
        obj=payment,
        object_id=payment.reference,
        agency=payment.dossier.receiving_agency_id,
        summary={
            "dossier": receipts.dossier_code(payment.dossier) or str(payment.dossier.uid),
            "amount_vnd": payment.amount_vnd,
            "provider": payment.provider,
            "retry_reference": retry.reference,
        },
    )
    return payment


def cancel_pending(*, dossier: Dossier, actor=None, reason: str) -> list[Payment]:
    """Cancel the dossier's pending payments (it was withdrawn or stopped), each with its
    audit entry. Runs in the caller's transaction."""
    cancelled = list(
        Payment.objects.select_for_update().filter(dossier=dossier, status=Payment.Status.PENDING)
    )
    for payment in cancelled:
        payment.status = Payment.Status.CANCELLED
        payment.save(update_fields=["status"])
        record(
            actor=actor,
            action="onestop.payment_cancelled",
            obj=payment,
            object_id=payment.reference,
            agency=dossier.receiving_agency_id,
            summary={
                "dossier": receipts.dossier_code(dossier) or str(dossier.uid),
                "amount_vnd": payment.amount_vnd,
                "reason": reason,
            },
        )
    return cancelled


@transaction.atomic
def record_cash_payment(*, payment: Payment, officer) -> Payment:
    """The one-stop officer records a payment made in cash at the counter."""
    require(officer, "onestop.accept_dossier", payment.dossier)
    locked = Payment.objects.select_for_update().get(pk=payment.pk)
    if locked.status != Payment.Status.PENDING:
        raise PaymentNotPending("Khoản thanh toán này đã được xử lý.")
    locked.online = False
    locked.provider = COUNTER
    locked.save(update_fields=["online", "provider"])
    return _mark_paid(locked, provider_ref="", online=False, actor=officer)


MAX_AMOUNT_VND = 10**13  # ten trillion đồng: far above any fee, well inside the column


def check_amount(value: Any) -> int:
    """A whole, positive amount in đồng within MAX_AMOUNT_VND, else InvalidAmount."""
    if isinstance(value, bool) or isinstance(value, float) and not value.is_integer():
        raise InvalidAmount()
    try:
        amount = int(value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise InvalidAmount() from exc
    if amount <= 0:
        raise InvalidAmount("Số tiền phải lớn hơn 0.")
    if amount > MAX_AMOUNT_VND:
        raise InvalidAmount("Số tiền vượt quá giới hạn cho phép.")
    return amount
