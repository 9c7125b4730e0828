"""The dossier side of a confirmed payment, in the payment's transaction.

Payments never import the dossier services: they send `payments.signals.payment_confirmed`
and this module's receiver applies it with `payment_settled`, the one dossier service for
it. A fee marks the dossier's fee paid (a transition with the version, an event on the
process slip, an audit entry); a financial obligation ends the wait (status 6 back to
processing, `obligation_fulfilled`). Either way the applicant is told the receipt's
number.
"""

from __future__ import annotations

from django.dispatch import receiver

from tinhso.onestop.models import Dossier, DossierState, Payment
from tinhso.onestop.payments.receipts import money
from tinhso.onestop.payments.signals import payment_confirmed
from tinhso.onestop.services.clock import now as clock_now
from tinhso.onestop.services.common import _audit, _event, _transition, notify_applicant
from tinhso.onestop.services.processing import obligation_fulfilled


def payment_settled(*, payment: Payment, actor=None) -> Dossier:
    """Apply a payment just marked paid to its dossier (see the module's docstring)."""
    dossier = (
        Dossier.objects.select_for_update(of=("self",))
        .select_related("procedure", "receiving_agency", "agency", "applicant", "current_step")
        .get(pk=payment.dossier_id)
    )
    note = f"{money(payment.amount_vnd)} đồng, biên lai {payment.receipt_reference}"
    if payment.purpose == Payment.Purpose.FEE:
        _transition(
            dossier,
            allowed=DossierState.values,
            action_label="ghi nhận nộp phí, lệ phí",
            fee_paid=True,
            paid_online=payment.online,
        )
        _event(dossier, action="paid", actor=actor, at=clock_now(), note=note)
        _audit(
            actor,
            "fee_paid",
            dossier,
            payment=payment.reference,
            amount_vnd=payment.amount_vnd,
            receipt=payment.receipt_reference,
            online=payment.online,
        )
    else:
        obligation_fulfilled(dossier=dossier, actor=actor, paid_online=payment.online, note=note)
    notify_applicant(
        dossier,
        "onestop_receipt",
        amount=money(payment.amount_vnd),
        receipt_number=payment.receipt_reference,
    )
    return dossier


@receiver(payment_confirmed, dispatch_uid="tinhso.onestop.services.fees")
def _on_payment_confirmed(sender, *, payment: Payment, actor=None, **kwargs) -> Dossier:
    return payment_settled(payment=payment, actor=actor)
