"""REST endpoints of the security monitoring centre (thin: parse, call, serialise).

The intake endpoint is what a Wazuh `custom-tinhso` integration posts to
(`src/tinhso/security/integrations/custom-tinhso`): one alert JSON (4.x) or ECS finding
(5.x), a JSON array of them, or NDJSON (one per line), authenticated by the source's
token (`Authorization: Bearer <token>`). The answer comes after the events and their
alerts are committed: a sender that got 202 may forget them; one that did not may send
again (replays are dropped by source + alert id).
"""

from __future__ import annotations

import json
from typing import Any

from django.db import transaction
from django.utils import timezone
from drf_spectacular.utils import (
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.parsers import BaseParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tinhso.accounts.rules import require
from tinhso.core.api import ApiErrorSerializer, JSONBooleanField, JSONCharField, query
from tinhso.core.errors import NotFound
from tinhso.core.middleware import client_ip
from tinhso.core.pagination import BoundedLimitOffsetPagination, limit_field, offset_field
from tinhso.core.parsers import JSONParser
from tinhso.security import intake, selectors, services
from tinhso.security.errors import IntakeRefused, SecurityErrorCode
from tinhso.security.models import Alert, Incident, InformationSystem, Severity
from tinhso.security.parsing import MAX_EVENT_BYTES, from_json, load_json_object

MAX_BODY_BYTES = 2_000_000
MAX_EVENTS_PER_REQUEST = 2_000


class RawBodyParser(BaseParser):
    """Leaves the body to the view (JSON, a JSON array or NDJSON, read once)."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        return None


def _token(request: Request) -> str:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    for prefix in ("Bearer ", "Token "):
        if header.startswith(prefix):
            return header[len(prefix) :]
    return request.META.get("HTTP_X_TINHSO_TOKEN", "")


def split_body(body: bytes) -> list[str]:
    """The events of a body: one object, an array of objects, or NDJSON."""
    text = body.decode("utf-8", "replace").strip()
    if not text:
        raise IntakeRefused("Yêu cầu không có sự kiện nào.", code=SecurityErrorCode.EMPTY_BATCH)
    if text.startswith("["):
        try:
            items = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise IntakeRefused(
                "Dữ liệu JSON không đọc được.", code=SecurityErrorCode.MALFORMED_JSON
            ) from exc
        if not isinstance(items, list):
            raise IntakeRefused(
                "Dữ liệu JSON không đọc được.", code=SecurityErrorCode.MALFORMED_JSON
            )
        return [json.dumps(item, ensure_ascii=False) for item in items]
    if "\n" in text:
        lines = [line for line in text.splitlines() if line.strip()]
        if len(lines) > 1 and all(line.lstrip().startswith("{") for line in lines):
            return lines
    return [text]


INTAKE_RESULT = inline_serializer(
    "SecurityIntakeResult",
    {
        "accepted": serializers.IntegerField(),
        "duplicates": serializers.IntegerField(),
        "refused": serializers.ListField(child=serializers.DictField()),
        "alerts_raised": serializers.IntegerField(),
    },
)


class WazuhIntakeView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    parser_classes = [RawBodyParser]

    @extend_schema(
        operation_id="security_intake_wazuh",
        summary="Nhận cảnh báo Wazuh (tích hợp custom-)",
        description="Thân yêu cầu: một cảnh báo Wazuh 4.x (alert JSON), một finding Wazuh 5.x "
        "(ECS), một mảng JSON các cảnh báo, hoặc NDJSON (mỗi dòng một cảnh báo); tối đa "
        f"{MAX_EVENTS_PER_REQUEST} sự kiện, {MAX_BODY_BYTES // 1000} KB, mỗi sự kiện "
        f"{MAX_EVENT_BYTES // 1024} KB. Xác thực: `Authorization: Bearer <mã của nguồn>`. "
        "Trả 202 sau khi đã lưu; gửi lại cùng mã cảnh báo không tạo bản sao.",
        request={"application/json": {"type": "object"}},
        responses={
            202: INTAKE_RESULT,
            400: ApiErrorSerializer,
            401: ApiErrorSerializer,
            413: ApiErrorSerializer,
            429: ApiErrorSerializer,
        },
        tags=["security"],
    )
    def post(self, request: Request) -> Response:
        arrived = timezone.now()  # events count from here (arrival → alert)
        peer = client_ip(request._request) or ""
        try:
            source = services.source_for_token(_token(request))
        except IntakeRefused as err:
            services.reject(channel="http", code=err.code, reason=err.message, peer=peer)
            return Response(err.as_dict(), status=401)
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        try:
            if length > MAX_BODY_BYTES:
                raise IntakeRefused(
                    f"Yêu cầu vượt quá {MAX_BODY_BYTES // 1000} KB; hãy chia nhỏ.",
                    code=SecurityErrorCode.BODY_TOO_LARGE,
                    status=413,
                )
            texts = split_body(request._request.body)
            if len(texts) > MAX_EVENTS_PER_REQUEST:
                raise IntakeRefused(
                    f"Tối đa {MAX_EVENTS_PER_REQUEST} sự kiện mỗi yêu cầu.",
                    code=SecurityErrorCode.TOO_MANY_EVENTS,
                    status=413,
                )
            services.charge_rate(source, len(texts))
        except IntakeRefused as err:
            services.reject(
                channel="http",
                code=err.code,
                reason=err.message,
                peer=peer,
                source=source,
                sample=request._request.body[:2048] if err.status != 429 else b"",
            )
            return Response(err.as_dict(), status=err.status)
        parsed: list = []
        refused: list[dict[str, Any]] = []
        for index, text in enumerate(texts):
            try:
                item = from_json(load_json_object(text), text)
                if not item.extra.get("agent_ip"):
                    item.extra["agent_ip"] = None
                parsed.append(item)
            except IntakeRefused as err:
                refused.append({"index": index, "code": str(err.code), "message": err.message})
        if refused:
            with transaction.atomic():
                for row in refused[:20]:
                    services.reject(
                        channel="http",
                        code=row["code"],
                        reason=row["message"],
                        peer=peer,
                        source=source,
                        sample=texts[row["index"]],
                    )
        if not parsed:
            first = refused[0]
            return Response(
                {"code": first["code"], "message": first["message"], "details": refused[:50]},
                status=400,
            )
        result = intake.ingest(source=source, items=parsed, received_at=arrived)
        return Response(
            {
                "accepted": result.accepted,
                "duplicates": result.duplicates,
                "refused": refused[:50],
                "alerts_raised": result.alerts_raised,
            },
            status=202,
        )


# ---------------------------------------------------------------------------------------
# Reads for the centre's other tools


class AlertSerializer(serializers.ModelSerializer):
    agency = serializers.CharField(source="agency.code", default=None, allow_null=True)
    system = serializers.CharField(source="system.code", default=None, allow_null=True)
    rule = serializers.CharField(source="rule.code", default=None, allow_null=True)
    incident = serializers.CharField(source="incident.code", default=None, allow_null=True)

    class Meta:
        model = Alert
        fields = [
            "uid",
            "title",
            "severity",
            "category",
            "status",
            "count",
            "first_seen",
            "last_seen",
            "agency",
            "system",
            "rule",
            "incident",
        ]


class IncidentSerializer(serializers.ModelSerializer):
    agency = serializers.CharField(source="agency.code", default=None, allow_null=True)
    system = serializers.CharField(source="system.code", default=None, allow_null=True)
    assignee = serializers.CharField(source="assignee.username", default=None, allow_null=True)
    overdue = serializers.BooleanField(source="is_overdue")

    class Meta:
        model = Incident
        fields = [
            "uid",
            "code",
            "title",
            "severity",
            "category",
            "status",
            "agency",
            "system",
            "assignee",
            "deadline",
            "overdue",
            "must_report",
            "reported_at",
            "created_at",
            "resolved_at",
            "closed_at",
        ]


class SystemSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.code")
    owner_name = serializers.CharField(source="owner.name")
    layers_in_place = serializers.IntegerField()
    proposed_level = serializers.IntegerField(allow_null=True, min_value=1, max_value=5)
    approved_level = serializers.IntegerField(allow_null=True, min_value=1, max_value=5)

    class Meta:
        model = InformationSystem
        fields = [
            "uid",
            "code",
            "name",
            "owner",
            "owner_name",
            "operator",
            "holds_personal_data",
            "personal_data_subjects",
            "user_count",
            "criteria",
            "proposed_level",
            "approved_level",
            "approval_number",
            "approval_date",
            "status",
            "last_review_on",
            "next_review_on",
            "layer_onsite",
            "layer_monitoring",
            "layer_assessment",
            "layer_national",
            "layers_in_place",
        ]


def _require_viewer(request: Request) -> None:
    require(request.user, "security.view", None)


class AlertQuery(serializers.Serializer):
    status = serializers.ChoiceField(choices=["open", *Alert.Status.values], required=False)
    severity = serializers.ChoiceField(choices=Severity.values, required=False)
    limit = limit_field()
    offset = offset_field()


class IncidentQuery(serializers.Serializer):
    status = serializers.ChoiceField(choices=Incident.Status.values, required=False)
    to_report = serializers.BooleanField(
        required=False, default=False, help_text="chỉ sự cố phải báo cáo mà chưa báo cáo"
    )
    limit = limit_field()
    offset = offset_field()


class SystemQuery(serializers.Serializer):
    level = serializers.IntegerField(
        required=False, min_value=1, max_value=5, help_text="cấp độ được phê duyệt (1–5)"
    )
    limit = limit_field()
    offset = offset_field()


class _PagedList(APIView):
    permission_classes = [IsAuthenticated]
    pagination_class = BoundedLimitOffsetPagination

    def page(self, request: Request, qs, serializer) -> Response:
        paginator = BoundedLimitOffsetPagination()
        rows = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(serializer(rows, many=True).data)


class AlertListView(_PagedList):
    @extend_schema(
        operation_id="security_alerts",
        summary="Danh sách cảnh báo",
        parameters=[AlertQuery],
        responses={200: AlertSerializer(many=True), 403: ApiErrorSerializer},
        tags=["security"],
    )
    def get(self, request: Request) -> Response:
        _require_viewer(request)
        params = query(AlertQuery, request)
        qs = selectors.filter_alerts(
            selectors.alerts_for(request.user),
            selectors.AlertFilter(
                status=params.get("status", ""), severity=params.get("severity", "")
            ),
        ).order_by("-last_seen", "-id")
        return self.page(request, qs, AlertSerializer)


class IncidentListView(_PagedList):
    @extend_schema(
        operation_id="security_incidents",
        summary="Danh sách sự cố",
        parameters=[IncidentQuery],
        responses={200: IncidentSerializer(many=True), 403: ApiErrorSerializer},
        tags=["security"],
    )
    def get(self, request: Request) -> Response:
        _require_viewer(request)
        params = query(IncidentQuery, request)
        qs = selectors.incidents_for(request.user)
        if params.get("status"):
            qs = qs.filter(status=params["status"])
        if params["to_report"]:
            qs = qs.filter(must_report=True, reported_at__isnull=True)
        return self.page(request, qs.order_by("-created_at", "-id"), IncidentSerializer)


class IncidentDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="security_incident",
        summary="Một sự cố",
        responses={200: IncidentSerializer, 403: ApiErrorSerializer, 404: ApiErrorSerializer},
        tags=["security"],
    )
    def get(self, request: Request, uid) -> Response:
        _require_viewer(request)
        incident = selectors.incidents_for(request.user).filter(uid=uid).first()
        if incident is None:
            raise NotFound()
        return Response(IncidentSerializer(incident).data)


class SystemListView(_PagedList):
    @extend_schema(
        operation_id="security_systems",
        summary="Sổ đăng ký hệ thống thông tin theo cấp độ",
        parameters=[SystemQuery],
        responses={200: SystemSerializer(many=True), 403: ApiErrorSerializer},
        tags=["security"],
    )
    def get(self, request: Request) -> Response:
        _require_viewer(request)
        params = query(SystemQuery, request)
        qs = selectors.systems_for(request.user)
        if params.get("level"):
            qs = qs.filter(approved_level=params["level"])
        return self.page(request, qs.order_by("code"), SystemSerializer)


class LevelQuery(serializers.Serializer):
    criteria = serializers.ListField(
        child=JSONCharField(max_length=60), max_length=50, allow_empty=True
    )
    holds_personal_data = JSONBooleanField(required=False, default=False)
    personal_data_subjects = serializers.IntegerField(
        required=False, default=0, min_value=0, max_value=200_000_000
    )


class LevelSuggestionView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser]  # a list of criteria: JSON only, no form encoding

    @extend_schema(
        operation_id="security_level_suggestion",
        summary="Cấp độ theo các tiêu chí (Nghị định 85/2016)",
        request=LevelQuery,
        responses={
            200: inline_serializer(
                "SecurityLevelSuggestion",
                {"level": serializers.IntegerField(), "criteria": serializers.ListField()},
            ),
            400: ApiErrorSerializer,
        },
        tags=["security"],
    )
    def post(self, request: Request) -> Response:
        data = LevelQuery(data=request.data)
        data.is_valid(raise_exception=True)
        params = data.validated_data
        level, held = services.suggested_level(
            criteria=params["criteria"],
            holds_personal_data=params["holds_personal_data"],
            personal_data_subjects=params["personal_data_subjects"],
        )
        return Response(
            {
                "level": level,
                "criteria": [{"code": c.code, "text": c.text, "level": c.level} for c in held],
            }
        )
