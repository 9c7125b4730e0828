"""Payment endpoints: the providers' callback (IPN) and the sandbox's checkout page.

The sandbox checkout page stands in for an external gateway: it checks the signed
request, lets the tester choose success or cancellation, sends the signed callback to our
IPN handler (as a real provider's server would) and redirects the browser back. It exists
only when PAYMENT_SANDBOX is on (404 otherwise).
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import ParseError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tinhso.core import ratelimit
from tinhso.core.api import ApiErrorSerializer
from tinhso.core.middleware import client_ip
from tinhso.onestop.models import Payment
from tinhso.onestop.payments import CallbackOutcome, conf, is_enabled, sandbox
from tinhso.onestop.payments.errors import (
    CallbackMalformed,
    CallbackRateLimited,
    CallbackTooLarge,
    ProviderUnknown,
)
from tinhso.onestop.payments.receipts import dossier_code
from tinhso.onestop.payments.services import handle_callback
from tinhso.onestop.serializers import CallbackOutput

CALLBACK_RESPONSES = {
    200: CallbackOutput,
    400: ApiErrorSerializer,
    404: ApiErrorSerializer,
    413: ApiErrorSerializer,
    429: ApiErrorSerializer,
}


class PaymentCallbackView(APIView):
    """IPN: the provider's signed server-to-server callback.

    Bounded before anything is read or stored: the provider must be enabled (404), the
    client IP within PAYMENT_CALLBACK_RATE and, for bad signatures, within
    PAYMENT_CALLBACK_REJECTED_RATE (429; counted in the shared store, per client IP as
    core.middleware.client_ip trusts it), the request within PAYMENT_CALLBACK_MAX_BYTES
    (413). Then the signature
    is verified; only a verified callback writes (see services.handle_callback)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes: list = []
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    RESPONSES = {
        CallbackOutcome.APPLIED: ("00", "Confirm Success"),
        CallbackOutcome.FAILED: ("00", "Confirm Success"),
        CallbackOutcome.DUPLICATE: ("02", "Order already confirmed"),
        CallbackOutcome.UNKNOWN_PAYMENT: ("01", "Order not found"),
        CallbackOutcome.AMOUNT_MISMATCH: ("04", "Invalid amount"),
        CallbackOutcome.DOSSIER_MISMATCH: ("01", "Order not found"),
        CallbackOutcome.BAD_SIGNATURE: ("97", "Invalid signature"),
    }

    def _handle(self, request: Request, provider: str) -> Response:
        if not is_enabled(provider):
            raise ProviderUnknown()
        ip = client_ip(request._request) or "unknown"
        if not ratelimit.hit("payments_ipn", ip, conf.callback_rate()).allowed:
            raise CallbackRateLimited()
        if not ratelimit.peek("payments_ipn_rejected", ip, conf.callback_rejected_rate()).allowed:
            raise CallbackRateLimited()
        params = _bounded_params(request)
        outcome, _payment = handle_callback(provider=provider, params=params)
        if outcome == CallbackOutcome.BAD_SIGNATURE:
            ratelimit.hit("payments_ipn_rejected", ip, conf.callback_rejected_rate())
        code, message = self.RESPONSES[outcome]
        return Response({"RspCode": code, "Message": message})

    @extend_schema(tags=["onestop"], responses=CALLBACK_RESPONSES, summary="IPN (GET)")
    def get(self, request: Request, provider: str) -> Response:
        return self._handle(request, provider)

    @extend_schema(
        tags=["onestop"],
        request=OpenApiTypes.OBJECT,
        responses=CALLBACK_RESPONSES,
        summary="IPN (POST)",
    )
    def post(self, request: Request, provider: str) -> Response:
        return self._handle(request, provider)


def _bounded_params(request: Request) -> dict[str, str]:
    """The callback's flat parameters (query and body), refusing what is too large before
    the body is read, and anything that is not a flat list of short values."""
    limit = conf.callback_max_bytes()
    meta = request._request.META
    try:
        length = int(meta.get("CONTENT_LENGTH") or 0)
    except ValueError as exc:
        raise CallbackMalformed() from exc
    if length < 0:
        raise CallbackMalformed()
    if length + len(meta.get("QUERY_STRING", "")) > limit:
        raise CallbackTooLarge()
    params: dict[str, Any] = dict(request.query_params.items())
    if length:
        try:
            data = request.data
        except (ParseError, RecursionError, ValueError) as exc:
            raise CallbackMalformed() from exc
        if not hasattr(data, "items"):
            raise CallbackMalformed()
        params.update(data.items())
    if not all(isinstance(v, str | int) and not isinstance(v, bool) for v in params.values()):
        raise CallbackMalformed()
    return {str(k): str(v) for k, v in params.items()}


@require_http_methods(["GET", "POST"])
def sandbox_checkout(request: HttpRequest) -> HttpResponse:
    if not conf.sandbox_enabled():
        raise Http404
    provider = sandbox.SandboxProvider()
    params = {k: request.GET.get(k, "") for k in ("ref", "amount", "order", "info", "return_url")}
    params["sig"] = request.GET.get("sig", "")
    if not provider.verify_request(params):
        return HttpResponseBadRequest("Yêu cầu thanh toán không hợp lệ (sai chữ ký).")
    payment = (
        Payment.objects.select_related("dossier__procedure").filter(reference=params["ref"]).first()
    )
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
        outcome, _payment = handle_callback(provider=conf.SANDBOX, params=callback)
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
        {
            "payment": payment,
            "code": dossier_code(payment.dossier),
            "params": params,
            "label": sandbox.LABEL,
        },
    )
