"""The sandbox provider's checkout page ("MÔI TRƯỜNG THỬ NGHIỆM") and its IPN endpoint.

The checkout page stands in for an external gateway: it checks the signed request,
lets the tester choose success or cancellation, sends the signed callback to our IPN
handler (as a real provider's server would) and redirects the browser back.
"""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from tinhso.onestop.models import Payment
from tinhso.onestop.payments import sandbox
from tinhso.onestop.payments.services import handle_callback


@require_http_methods(["GET", "POST"])
def sandbox_checkout(request: HttpRequest) -> HttpResponse:
    provider = sandbox.SandboxProvider()
    params = {k: request.GET.get(k, "") for k in ("ref", "amount", "order", "info", "return_url")}
    params["sig"] = request.GET.get("sig", "")
    if not provider.verify_request(params):
        return HttpResponseBadRequest("Yêu cầu thanh toán không hợp lệ (sai chữ ký).")
    payment = Payment.objects.select_related("dossier").filter(reference=params["ref"]).first()
    if payment is None:
        return HttpResponseBadRequest("Không tìm thấy giao dịch.")
    if request.method == "POST":
        success = request.POST.get("decision") == "pay"
        callback = provider.callback_params(
            reference=payment.reference,
            amount=int(params["amount"]),
            order=params["order"],
            success=success,
            txn=f"SBX{uuid.uuid4().hex[:16].upper()}",
        )
        outcome, _payment = handle_callback(provider="sandbox", params=callback)
        back = params["return_url"]
        if back and url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return redirect(f"{back}{'&' if '?' in back else '?'}{urlencode(callback)}")
        return render(
            request,
            "onestop/payments/sandbox_done.html",
            {"payment": payment, "outcome": outcome, "label": sandbox.LABEL},
        )
    return render(
        request,
        "onestop/payments/sandbox_checkout.html",
        {"payment": payment, "params": params, "label": sandbox.LABEL},
    )
