"""The applicant's payment pages: pay online, the confirmation after paying, the e-receipt.

Mounted by onestop/urls.py (and re-exported by onestop.views under their old names).
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tinhso.accounts.rules import can
from tinhso.core.errors import DomainError
from tinhso.onestop.models import Dossier, Payment
from tinhso.onestop.payments import receipts
from tinhso.onestop.payments.services import payment_url
from tinhso.onestop.views.common import _dossier_or_404, _error, _forbidden, _pdf_response


def _payment_of(dossier: Dossier, payment_uid) -> Payment:
    payment = (
        dossier.payments.select_related("dossier__procedure", "collecting_agency")
        .filter(uid=payment_uid)
        .first()
    )
    if payment is None:
        raise Http404(_("Không tìm thấy khoản thanh toán."))
    return payment


@require_POST
def pay(request: HttpRequest, uid, payment_uid) -> HttpResponse:
    """Send the applicant to the provider's checkout; it comes back to `payment_done`."""
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    dossier = _dossier_or_404(uid)
    payment = _payment_of(dossier, payment_uid)
    back = request.build_absolute_uri(
        reverse("onestop:payment_done", kwargs={"uid": dossier.uid, "payment_uid": payment.uid})
    )
    try:
        url = payment_url(user=request.user, payment=payment, return_url=back)
    except DomainError as exc:
        _error(request, exc)
        return redirect("onestop:dossier", uid=dossier.uid)
    return redirect(url)


@require_GET
def payment_done(request: HttpRequest, uid, payment_uid) -> HttpResponse:
    """Where the provider sends the payer back: what our records say about the payment
    (the provider's signed callback decides, never the query string of this page)."""
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    dossier = _dossier_or_404(uid)
    if not can(request.user, "onestop.view_dossier", dossier):
        return _forbidden(request, _("Bạn không có quyền xem hồ sơ này."))
    payment = _payment_of(dossier, payment_uid)
    retry = None
    if payment.status in (Payment.Status.FAILED, Payment.Status.CANCELLED):
        retry = (
            dossier.payments.filter(status=Payment.Status.PENDING, purpose=payment.purpose)
            .order_by("-created_at")
            .first()
        )
    return render(
        request,
        "onestop/payments/done.html",
        {
            "dossier": dossier,
            "payment": payment,
            "code": receipts.dossier_code(dossier),
            "retry": retry,
            "is_applicant": can(request.user, "onestop.act_as_applicant", dossier),
        },
    )


@require_GET
def payment_receipt(request: HttpRequest, uid, payment_uid) -> HttpResponse:
    """The e-receipt exactly as issued and sealed (issued now if the worker has not yet)."""
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    dossier = _dossier_or_404(uid)
    if not can(request.user, "onestop.view_dossier", dossier):
        return _forbidden(request, _("Bạn không có quyền xem hồ sơ này."))
    payment = _payment_of(dossier, payment_uid)
    if payment.status != Payment.Status.PAID or not payment.receipt_number:
        raise Http404(_("Không có biên lai."))
    try:
        data = receipts.stored_pdf(payment)
    except DomainError as exc:
        _error(request, exc)
        return redirect("onestop:dossier", uid=dossier.uid)
    name = f"bien-lai-{payment.receipt_series}-{payment.receipt_number}.pdf".replace("--", "-")
    return _pdf_response(data, name)
