"""REST API of the one-stop app (/api/v1/onestop/...). Thin: parse, call a service or a
selector, serialise. Domain errors become {"code", "message"} with a 4xx status."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers as drf
from rest_framework.generics import ListAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from tinhso.accounts.rules import can, require
from tinhso.core import ratelimit
from tinhso.core.api import (
    JSONParser,
    domain_error_json,
    json_response,
    loads_json,
    query,
    throttled_json,
)
from tinhso.core.collation import vi
from tinhso.core.errors import DomainError, NotFound, ValidationFailed
from tinhso.core.pagecache import public_json
from tinhso.directory.models import Agency
from tinhso.onestop import selectors, services, workflow
from tinhso.onestop import serializers as s
from tinhso.onestop import statistics as stats
from tinhso.onestop.errors import OnestopError as E
from tinhso.onestop.models import Dossier, Payment, ProcessStep, WalletItem
from tinhso.signing.serializers import RemotePreparedSerializer

# JSON, or multipart/form-data when files are uploaded (files cannot be sent url-encoded).
PARSERS = [JSONParser, MultiPartParser]


def _dossier(user, uid: Any) -> Dossier:
    dossier = services.get_dossier(uid=uid)
    if not can(user, "onestop.view_dossier", dossier):
        raise NotFound("Không tìm thấy hồ sơ.", code=E.DOSSIER_NOT_FOUND)
    return dossier


def _detail(request: Request, uid: Any) -> dict:
    """The dossier as the caller may see it (the applicant: the result once returned)."""
    dossier = _dossier(request.user, uid)
    return dict(s.DossierDetailSerializer(dossier, context={"request": request}).data)


def _agency(code: str | None) -> Agency | None:
    if not code:
        return None
    agency = Agency.objects.filter(code=code.strip().upper()).first()
    if agency is None:
        raise NotFound(f"Không tìm thấy cơ quan {code}.", code=E.AGENCY_NOT_FOUND)
    return agency


def _user(username: str | None):
    if not username:
        return None
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise NotFound(f"Không tìm thấy người dùng {username}.", code=E.USER_NOT_FOUND)
    return user


def _attachments(request: Request, data: dict, procedure, owner) -> list[services.Attachment]:
    """Uploads (`files`, or `file_<paper id>` for a given paper) and wallet picks."""
    papers = {p.pk: p for p in procedure.papers.all()}
    keep = bool(data.get("save_to_wallet"))  # uploads go to the wallet only when asked
    result: list[services.Attachment] = []
    for key in request.FILES:
        if key.startswith("file_"):
            try:
                paper = papers[int(key[5:])]
            except (ValueError, KeyError) as exc:
                raise ValidationFailed(
                    f"Thành phần hồ sơ {key[5:]} không thuộc thủ tục.",
                    code=E.PAPER_NOT_IN_PROCEDURE,
                ) from exc
            for item in request.FILES.getlist(key):
                result.append(services.Attachment(file=item, paper=paper, save_to_wallet=keep))
    for upload in data.get("files") or []:
        result.append(services.Attachment(file=upload, save_to_wallet=keep))
    for pick in data.get("wallet_items") or []:
        item = WalletItem.objects.filter(uid=pick["item"]).first()
        if item is None or owner is None or item.owner_id != owner.pk:
            raise ValidationFailed(
                "Giấy tờ trong kho dữ liệu không thuộc về người nộp.", code=E.WALLET_NOT_OWNER
            )
        paper = papers.get(pick.get("paper")) if pick.get("paper") else None
        result.append(services.Attachment(wallet_item=item, paper=paper))
    return result


def _is_upload(request: Request) -> bool:
    return (request.content_type or "").startswith("multipart/")


def _parse(serializer_class, request: Request, upload_class=None) -> dict:
    """The body validated by `serializer_class` (JSON) or `upload_class` (multipart)."""
    data = request.data
    if _is_upload(request):
        serializer_class = upload_class or serializer_class
        if "files" in request.FILES:
            data = data.copy()
            data.setlist("files", request.FILES.getlist("files"))
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    values = dict(serializer.validated_data)
    if isinstance(values.get("form_data"), str):
        text = values["form_data"].strip()
        try:
            values["form_data"] = loads_json(text) if text else {}
        except ValueError as exc:
            raise ValidationFailed("form_data không phải JSON hợp lệ.", code=E.PARSE_ERROR) from exc
        if not isinstance(values["form_data"], dict):
            raise ValidationFailed("form_data phải là một đối tượng JSON.", code=E.PARSE_ERROR)
    return values


def _body(json_serializer, upload_serializer=None) -> dict:
    """The documented request bodies: JSON, and multipart/form-data when files go along."""
    return {
        "application/json": json_serializer,
        "multipart/form-data": upload_serializer or json_serializer,
    }


# ---------------------------------------------------------------------------------------
# Catalog (public)


@extend_schema(tags=["onestop"], parameters=[s.ProcedureQuerySerializer])
class ProcedureList(ListAPIView):
    """Thủ tục hành chính: tìm kiếm không phân biệt dấu, lọc theo lĩnh vực, cơ quan, cấp."""

    permission_classes = [AllowAny]
    serializer_class = s.ProcedureListSerializer

    @public_json
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        p = query(s.ProcedureQuerySerializer, self.request)
        return selectors.search_procedures(
            q=p.get("q", ""),
            field=p.get("field") or None,
            agency=_agency(p.get("agency")),
            level=p.get("level", ""),
            online_type=p.get("online_type", ""),
        )


class ProcedureDetail(APIView):
    permission_classes = [AllowAny]

    @extend_schema(tags=["onestop"], responses=s.ProcedureDetailSerializer)
    @public_json
    def get(self, request: Request, code: str) -> Response:
        procedure = selectors.get_procedure(code=code)
        return Response(s.ProcedureDetailSerializer(procedure).data)


class FieldList(ListAPIView):
    """Lĩnh vực thủ tục hành chính."""

    permission_classes = [AllowAny]
    serializer_class = s.FieldSerializer
    pagination_class = None

    @extend_schema(tags=["onestop"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        from tinhso.onestop.models import Field

        return Field.objects.order_by(vi("name"))


# ---------------------------------------------------------------------------------------
# Dossiers


class DossierList(ListAPIView):
    """Citizens: their own dossiers. Officials: a queue (`queue=`) or their agencies'."""

    parser_classes = PARSERS
    serializer_class = s.DossierListSerializer

    @extend_schema(tags=["onestop"], parameters=[s.DossierQuerySerializer])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        user = self.request.user
        queue = query(s.DossierQuerySerializer, self.request).get("queue")
        if queue:
            return selectors.queue(user, queue)
        if getattr(user, "is_official", False) or user.is_superuser:
            return selectors.agency_dossiers(user)
        return selectors.my_dossiers(user)

    @extend_schema(
        tags=["onestop"],
        request=_body(s.OnestopSubmitSerializer, s.OnestopSubmitUploadSerializer),
        responses={201: s.DossierDetailSerializer},
        summary="Nộp hồ sơ trực tuyến",
    )
    def post(self, request: Request) -> Response:
        values = _parse(s.OnestopSubmitSerializer, request, s.OnestopSubmitUploadSerializer)
        procedure = selectors.get_procedure(code=values["procedure"])
        attachments = _attachments(request, values, procedure, request.user)
        dossier = services.submit_dossier(
            user=request.user,
            procedure=procedure,
            form_data=values.get("form_data") or {},
            attachments=attachments,
            agency=_agency(values.get("agency")),
            applicant_name=values.get("applicant_name", ""),
            applicant_id_number=values.get("applicant_id_number", ""),
            applicant_phone=values.get("applicant_phone", ""),
            applicant_email=values.get("applicant_email", ""),
            applicant_address=values.get("applicant_address", ""),
            return_method=values.get("return_method") or "online",
            postal_address=values.get("postal_address", ""),
        )
        return Response(_detail(request, dossier.uid), 201)


class CounterDossierCreate(APIView):
    parser_classes = PARSERS

    @extend_schema(
        tags=["onestop"],
        request=_body(s.OnestopCounterSerializer, s.OnestopCounterUploadSerializer),
        responses={201: s.DossierDetailSerializer},
        summary="Tiếp nhận hồ sơ trực tiếp/bưu chính (cán bộ một cửa nhập thay)",
    )
    def post(self, request: Request) -> Response:
        values = _parse(s.OnestopCounterSerializer, request, s.OnestopCounterUploadSerializer)
        procedure = selectors.get_procedure(code=values["procedure"])
        attachments = _attachments(request, values, procedure, None)
        papers = {p.pk: p for p in procedure.papers.all()}
        received = []
        for item in values.get("papers_received") or []:
            if item["paper"] not in papers:
                raise ValidationFailed(
                    f"Thành phần hồ sơ {item['paper']} không thuộc thủ tục.",
                    code=E.PAPER_NOT_IN_PROCEDURE,
                )
            received.append(
                services.PaperReceived(papers[item["paper"]], item["originals"], item["copies"])
            )
        dossier = services.receive_counter_dossier(
            officer=request.user,
            procedure=procedure,
            papers_received=received,
            applicant_name=values.get("applicant_name", ""),
            form_data=values.get("form_data") or {},
            attachments=attachments,
            agency=_agency(values.get("agency")),
            applicant_id_number=values.get("applicant_id_number", ""),
            applicant_phone=values.get("applicant_phone", ""),
            applicant_email=values.get("applicant_email", ""),
            applicant_address=values.get("applicant_address", ""),
            channel=values.get("channel", "counter"),
            return_method=values.get("return_method") or "counter",
            postal_address=values.get("postal_address", ""),
            accept=values.get("accept", True),
            fee_paid_cash=values.get("fee_paid_cash", False),
        )
        return Response(_detail(request, dossier.uid), 201)


class DossierDetail(APIView):
    @extend_schema(tags=["onestop"], responses=s.DossierDetailSerializer)
    def get(self, request: Request, uid: str) -> Response:
        return Response(_detail(request, uid))


def _step(dossier: Dossier, order: int | None) -> ProcessStep | None:
    if order is None:
        return None
    step = ProcessStep.objects.filter(template_id=dossier.process_template_id, order=order).first()
    if step is None:
        raise ValidationFailed("Bước không tồn tại trong quy trình.", code=E.INVALID_STEP)
    return step


# The API's inputs, by the API's action names (kept as clients know them). Which states,
# who and what runs are the transition table's (`onestop.workflow`), as on the page.
INPUTS: dict[str, type[drf.Serializer]] = {
    "accept": s.NoteInput,
    "request-supplement": s.SupplementInput,
    "answer-supplement": s.AnswerSupplementInput,
    "refuse": s.ReasonsInput,
    "assign": s.AssignInput,
    "start": s.VersionedInput,
    "forward": s.ForwardInput,
    "send-back": s.SendBackInput,
    "request-obligation": s.ObligationInput,
    "pause": s.PauseInput,
    "resume": s.NoteInput,
    "extend": s.ExtendInput,
    "approve": s.ApproveInput,
    "reject": s.ReasonsInput,
    "attach-result": s.ResultInput,
    "return": s.ReturnInput,
    "withdraw": s.WithdrawInput,
    "rate": s.RateInput,
    "prepare-signature": s.VersionedInput,
}


def _values(request: Request, dossier: Dossier, name: str, values: dict) -> dict:
    """The API's input in the table's terms: people by username, steps by order, files."""
    values = dict(values)
    if "assignee" in values:
        values["assignee"] = _user(values.get("assignee"))
    if "to_user" in values:
        values["to_user"] = _user(values.get("to_user"))
    if "to_step" in values:
        values["to_step"] = _step(dossier, values.get("to_step"))
    if name == "answer-supplement":
        owner = dossier.applicant if dossier.applicant_id else None
        values["attachments"] = _attachments(request, values, dossier.procedure, owner)
    return values


def _summary(api_name: str) -> str:
    labels = [str(a.label) for a in workflow.TABLE if a.api_name == api_name]
    return " / ".join(dict.fromkeys(labels))


# action name -> (input serializer, summary)
ACTIONS: dict[str, tuple[type[drf.Serializer], str]] = {
    name: (INPUTS[name], _summary(name)) for name in workflow.API_NAMES
}


# Actions whose body carries files: (JSON body or None, multipart body).
UPLOAD_BODIES: dict[str, tuple[type[drf.Serializer] | None, type[drf.Serializer]]] = {
    "answer-supplement": (s.AnswerSupplementInput, s.AnswerSupplementUploadInput),
    "attach-result": (None, s.ResultInput),
}


def _action_view(name: str) -> type[APIView]:
    input_serializer, summary = ACTIONS[name]
    json_body, upload_body = UPLOAD_BODIES.get(name, (input_serializer, input_serializer))
    body = {"multipart/form-data": upload_body}
    if json_body is not None:
        body = {"application/json": json_body, **body}

    class ActionView(APIView):
        parser_classes = PARSERS if json_body is not None else [MultiPartParser]

        @extend_schema(
            tags=["onestop"],
            operation_id=f"onestop_dossier_{name.replace('-', '_')}",
            summary=summary,
            request=body,
            responses={200: s.DossierDetailSerializer},
        )
        def post(self, request: Request, uid: str) -> Response:
            dossier = _dossier(request.user, uid)
            values = _parse(json_body or upload_body, request, upload_body)
            workflow.ensure_current(dossier, values.get("version"))
            action = workflow.for_api(name, dossier)
            action.execute(
                user=request.user,
                dossier=dossier,
                values=_values(request, dossier, name, values),
                version=values.get("version"),
            )
            return Response(_detail(request, uid))

    ActionView.__name__ = ActionView.__qualname__ = (
        "Dossier" + "".join(p.title() for p in name.split("-")) + "View"
    )
    return ActionView


class DossierPrepareSignatureView(APIView):
    """The leader's USB token signs the result: the server prepares the signature of the
    current result draft and answers what the token must sign; the signing client posts
    the token's signature to `/api/v1/signing/remote/{session_id}/complete`, then the
    leader approves with `"signing": "token"`."""

    parser_classes = PARSERS

    @extend_schema(
        tags=["onestop"],
        operation_id="onestop_dossier_prepare_signature",
        summary=_summary("prepare-signature"),
        request=s.VersionedInput,
        responses={200: RemotePreparedSerializer},
    )
    def post(self, request: Request, uid: str) -> Response:
        dossier = _dossier(request.user, uid)
        values = _parse(s.VersionedInput, request)
        prepared = workflow.get("prepare_signature").execute(
            user=request.user, dossier=dossier, values=values, version=values.get("version")
        )
        return Response(prepared)


ACTION_VIEWS: dict[str, type[APIView]] = {
    name: _action_view(name) for name in ACTIONS if name != "prepare-signature"
}
ACTION_VIEWS["prepare-signature"] = DossierPrepareSignatureView


# ---------------------------------------------------------------------------------------
# Payments


class DossierPay(APIView):
    @extend_schema(
        tags=["onestop"],
        request=s.PayInput,
        responses=s.PayOutput,
        summary="Lấy địa chỉ thanh toán trực tuyến",
    )
    def post(self, request: Request, uid: str) -> Response:
        from tinhso.onestop.payments.errors import NoPendingPayment
        from tinhso.onestop.payments.services import payment_url

        dossier = _dossier(request.user, uid)
        values = _parse(s.PayInput, request)
        pending = dossier.payments.filter(status=Payment.Status.PENDING, online=True)
        if values.get("payment"):
            pending = pending.filter(uid=values["payment"])
        payment = pending.order_by("-created_at").first()
        if payment is None:
            raise NoPendingPayment()
        url = payment_url(user=request.user, payment=payment, return_url=values["return_url"])
        return Response({"payment": payment.uid, "url": url, "provider": payment.provider})


# ---------------------------------------------------------------------------------------
# Wallet


class WalletList(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(tags=["onestop"], responses=s.WalletItemSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(s.WalletItemSerializer(selectors.wallet(request.user), many=True).data)

    @extend_schema(
        tags=["onestop"],
        request={"multipart/form-data": s.WalletUploadInput},
        responses={201: s.WalletItemSerializer},
    )
    def post(self, request: Request) -> Response:
        values = _parse(s.WalletUploadInput, request)
        item = services.add_to_wallet(user=request.user, file=values["file"], name=values["name"])
        return Response(s.WalletItemSerializer(item).data, status=201)


class WalletItemDetail(APIView):
    @extend_schema(tags=["onestop"], responses={204: None})
    def delete(self, request: Request, uid: str) -> Response:
        item = WalletItem.objects.filter(uid=uid, owner=request.user).first()
        if item is None:
            raise NotFound("Không tìm thấy giấy tờ.", code=E.WALLET_ITEM_NOT_FOUND)
        services.remove_from_wallet(user=request.user, item=item)
        return Response(status=204)


# ---------------------------------------------------------------------------------------
# Public lookup


class LookupThrottle(ratelimit.ClientRateThrottle):
    """Per client IP, signed-in users too (settings.ONESTOP_LOOKUP_RATE)."""

    scope = "onestop_lookup"
    rate_setting = "ONESTOP_LOOKUP_RATE"


_CODE_LIMITED = (
    "Hồ sơ này đã được tra cứu sai quá nhiều lần. Vui lòng thử lại sau, hoặc đăng nhập "
    "để xem hồ sơ của mình."
)


CODE_SCOPE = "onestop_lookup_code"


def code_key(code: str | None) -> str:
    """The per-code limit's key: the code as the lookup reads it."""
    return (code or "").strip().upper()


def limited_lookup(*, code: str, secret: str, code_decision: ratelimit.Decision | None = None):
    """The public lookup, limited per dossier code too (the secret is 4 digits and codes
    are sequential): wrong attempts on one code count from every IP; a right one is free.

    A wrong attempt is counted (atomically) before it is answered, and refused once over
    the limit; a right one only reads the count, and is refused too once the code is over
    its limit, so guessing on stays useless. A right answer thus writes nothing (counting
    then refunding it cost two writes on the hottest public path). `code_decision` is the
    code's count already read (`ratelimit.hit_and_peek`, with the caller's own limit)."""
    key = code_key(code)
    rate = settings.ONESTOP_LOOKUP_CODE_RATE
    try:
        result = selectors.lookup(code=code, secret=secret)
    except NotFound:
        ratelimit.enforce(CODE_SCOPE, key, rate, _CODE_LIMITED)
        raise
    decision = code_decision or ratelimit.peek(CODE_SCOPE, key, rate)
    if not decision.allowed:
        raise ratelimit.RateLimited(_CODE_LIMITED, retry_after=decision.retry_after)
    return result


# Accept headers that can only mean this operation's JSON (none, anything, JSON itself).
_JSON_ACCEPTS = frozenset({"", "*/*", "application/json"})
_LOOKUP_FIELDS = s.LookupQuerySerializer._declared_fields
_DATETIME = drf.DateTimeField()  # the output field of LookupSerializer's dates, built once


def _plain_text(value: str | None, max_length: int) -> str | None:
    """A query value that LookupQuerySerializer takes as is once trimmed (ASCII, neither
    blank nor too long, no NUL), trimmed; None for anything it might refuse or change."""
    if value is None or not value.isascii():
        return None
    value = value.strip()
    if not value or len(value) > max_length or "\x00" in value:
        return None
    return value


def plain_lookup_params(request: HttpRequest) -> tuple[str, str] | None:
    """(code, secret) of a lookup that DRF would answer with no say of its own: GET or
    HEAD, JSON accepted, no format override, both parameters plainly valid. None
    otherwise: DRF answers (405, 406, OPTIONS, a 400 naming the bad parameter)."""
    if request.method not in ("GET", "HEAD"):
        return None
    if request.META.get("HTTP_ACCEPT", "").strip() not in _JSON_ACCEPTS:
        return None
    params = request.GET
    if api_settings.URL_FORMAT_OVERRIDE in params:
        return None
    code = _plain_text(params.get("code"), _LOOKUP_FIELDS["code"].max_length)
    secret = _plain_text(params.get("secret"), _LOOKUP_FIELDS["secret"].max_length)
    if code is None or secret is None:
        return None
    return code, secret


def lookup_answer(result: selectors.LookupResult) -> dict[str, Any]:
    """LookupSerializer's output for `result`, built directly (tests hold the two equal)."""
    return {
        "code": str(result.code),
        "tracking_code": str(result.tracking_code),
        "procedure": str(result.procedure),
        "status": int(result.status),
        "status_label": str(result.status_label),
        "status_detail": str(result.status_detail),
        "step": str(result.step),
        "due_at": _DATETIME.to_representation(result.due_at) if result.due_at else None,
        "received_at": (
            _DATETIME.to_representation(result.received_at) if result.received_at else None
        ),
    }


class Lookup(APIView):
    """Tra cứu hồ sơ: mã hồ sơ + 4 số cuối điện thoại hoặc số định danh của người nộp →
    trạng thái, bước xử lý, ngày hẹn trả (không có thông tin cá nhân)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [LookupThrottle]

    def dispatch(self, request, *args, **kwargs):
        """The hottest public path (issue 18): a plain lookup is answered here, with the
        same limits and the same bytes, without DRF's request wrapper, negotiation and
        serializers (which deep-copied their declared fields twice per lookup); any other
        request goes through DRF (`get`), which also documents the operation."""
        params = plain_lookup_params(request)
        if params is None:
            return super().dispatch(request, *args, **kwargs)
        code, secret = params
        allow = {"Allow": ", ".join(self.allowed_methods)}
        # The caller's limit counted and the code's read in one round trip to the store.
        first, *others = self.get_throttles()
        allowed, code_decision = first.allow_request_and_peek(
            request, CODE_SCOPE, code_key(code), settings.ONESTOP_LOOKUP_CODE_RATE
        )
        waits = [] if allowed else [first.wait()]
        for throttle in others:
            if not throttle.allow_request(request, self):
                waits.append(throttle.wait())
        if waits:
            return throttled_json(
                max((w for w in waits if w is not None), default=None), headers=allow
            )
        try:
            result = limited_lookup(code=code, secret=secret, code_decision=code_decision)
        except DomainError as err:
            return domain_error_json(err, headers=allow)
        return json_response(lookup_answer(result), headers=allow)

    @extend_schema(
        tags=["onestop"], parameters=[s.LookupQuerySerializer], responses=s.LookupSerializer
    )
    def get(self, request: Request) -> Response:
        params = query(s.LookupQuerySerializer, request)
        result = limited_lookup(code=params["code"], secret=params["secret"])
        return Response(s.LookupSerializer(result.__dict__).data)


# ---------------------------------------------------------------------------------------
# Statistics


class Statistics(APIView):
    @extend_schema(
        tags=["onestop"],
        description="Kỳ thống kê: từ `start` đến `end` (tính cả hai ngày), không quá 3 năm, "
        "trong khoảng 01/01/1900–31/12/2099; sai thì 400 `invalid_period`.",
        parameters=[s.StatisticsQuerySerializer],
        responses=inline_serializer(
            "OnestopStatistics",
            {
                "rules": drf.CharField(),
                "rows": s.StatisticsRowSerializer(many=True),
            },
        ),
    )
    def get(self, request: Request) -> Response:
        serializer = s.StatisticsQuerySerializer(data=request.query_params.dict())
        if not serializer.is_valid():
            raise ValidationFailed(
                "Vui lòng nhập kỳ thống kê (start, end dạng YYYY-MM-DD, trong khoảng "
                "01/01/1900–31/12/2099).",
                code=E.INVALID_PERIOD,
                details=serializer.errors,
            )
        p = serializer.validated_data
        agency = _agency(p.get("agency"))
        require(request.user, "onestop.view_statistics", agency)
        period = stats.Period.checked(p["start"], p["end"])
        rows = stats.summary(period=period, group_by=p.get("group_by") or None, agency=agency)
        return Response({"rules": stats.RULES.strip(), "rows": rows})


class Queues(APIView):
    @extend_schema(
        tags=["onestop"],
        responses=inline_serializer(
            "OnestopQueueCounts", {name: drf.IntegerField() for name in selectors.QUEUES}
        ),
    )
    def get(self, request: Request) -> Response:
        return Response(selectors.queue_counts(request.user))
