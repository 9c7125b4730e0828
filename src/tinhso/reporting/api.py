"""REST endpoints of the reporting app (thin: parse, call a selector, serialise).

The national reporting system's link is `…/national`: a report (one agency's, or the
province's assembled one) in the JSON shape documented in `reporting.exports`
(`NATIONAL_SHAPE`, format "tinhso-httbc-1"), produced by its adapter.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tinhso.accounts.rules import can
from tinhso.core.api import ApiErrorSerializer, query
from tinhso.core.errors import NotFound, PermissionDenied
from tinhso.core.pagination import limit_field, offset_field, page_params
from tinhso.directory import selectors as directory
from tinhso.reporting import exports, index766, kpis, periods, selectors

TAGS = ["reporting"]
ERRORS = {
    400: OpenApiResponse(ApiErrorSerializer, description="tham số không hợp lệ"),
    403: OpenApiResponse(ApiErrorSerializer, description="không có quyền xem"),
    404: OpenApiResponse(ApiErrorSerializer, description="không tìm thấy"),
}


def _require_view(user) -> None:
    if not can(user, "reporting.view_dashboards"):
        raise PermissionDenied()


class PeriodQuery(serializers.Serializer):
    year = serializers.IntegerField(required=False, min_value=2000, max_value=2099)
    month = serializers.IntegerField(required=False, min_value=0, max_value=12, default=0)
    agency = serializers.RegexField(
        r"^[A-Za-z0-9.]{1,40}$",
        required=False,
        help_text="mã định danh cơ quan (mặc định: cơ quan cao nhất bạn được xem)",
    )


def _period(params: dict[str, Any]) -> tuple[date, date]:
    year = params.get("year") or timezone.localdate().year
    if params.get("month"):
        return kpis.month_bounds(year, params["month"])
    return kpis.year_bounds(year)


def _agency(user, code: str | None):
    visible = directory.visible_agencies(user)
    if not code:
        root = visible.order_by("depth", "path").first()
        if root is None:
            raise PermissionDenied()
        return root
    agency = directory.get_agency(code)
    if not visible.filter(pk=agency.pk).exists():
        raise PermissionDenied()
    return agency


# ---------------------------------------------------------------------------------------
# Definitions and periods


class IndicatorSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.CharField()
    value_type = serializers.CharField()
    min_value = serializers.DecimalField(max_digits=20, decimal_places=4, allow_null=True)
    max_value = serializers.DecimalField(max_digits=20, decimal_places=4, allow_null=True)
    aggregation = serializers.CharField()
    weight_code = serializers.CharField()
    disaggregation = serializers.CharField()
    required = serializers.BooleanField()


class DefinitionSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    content = serializers.CharField()
    kind = serializers.CharField()
    frequency = serializers.CharField()
    reporter_levels = serializers.ListField(child=serializers.CharField(), source="level_list")
    receiver = serializers.CharField(source="receiver.code")
    channel = serializers.CharField()
    deadline_working_days = serializers.IntegerField()
    outline = serializers.CharField()
    guidance = serializers.CharField()


class PageQuery(serializers.Serializer):
    limit = limit_field()
    offset = offset_field()


class DrilldownQuery(PeriodQuery):
    limit = limit_field()
    offset = offset_field()


class DefinitionListView(APIView):
    @extend_schema(
        operation_id="reporting_definitions",
        summary="Chế độ báo cáo (Nghị định 09/2019)",
        parameters=[PageQuery],
        responses={200: DefinitionSerializer(many=True), **ERRORS},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        _require_view(request.user)
        limit, offset = page_params(request.query_params)
        items = list(selectors.definitions().order_by("code")[offset : offset + limit])
        return Response(DefinitionSerializer(items, many=True).data)


class PeriodSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    cutoff_start = serializers.DateField()
    cutoff_end = serializers.DateField()
    deadline = serializers.DateTimeField()


class YearQuery(serializers.Serializer):
    year = serializers.IntegerField(required=False, min_value=2000, max_value=2099)


class PeriodListView(APIView):
    @extend_schema(
        operation_id="reporting_periods",
        summary="Các kỳ báo cáo của một năm: ngày chốt số liệu và hạn gửi",
        description="Chốt số liệu từ ngày 15 kỳ trước đến ngày 14 kỳ này; hạn gửi tính "
        "theo ngày làm việc (lịch nghỉ lễ, Tết của tỉnh).",
        parameters=[YearQuery, OpenApiParameter("code", str, OpenApiParameter.PATH)],
        responses={200: PeriodSerializer(many=True), **ERRORS},
        tags=TAGS,
    )
    def get(self, request: Request, code: str) -> Response:
        _require_view(request.user)
        params = query(YearQuery, request)
        definition = selectors.get_definition(code=code)
        year = params.get("year") or timezone.localdate().year
        items = periods.schedule(
            definition.frequency, year, deadline_working_days=definition.deadline_working_days
        )
        return Response(PeriodSerializer(items, many=True).data)


class NationalAggregateView(APIView):
    @extend_schema(
        operation_id="reporting_national_aggregate",
        summary="Báo cáo tổng hợp của tỉnh cho Hệ thống thông tin báo cáo quốc gia",
        description="JSON dạng `tinhso-httbc-1` (mô tả trong `tinhso.reporting.exports`): "
        "báo cáo tổng hợp từ các báo cáo đã gửi của kỳ, mỗi chỉ tiêu theo cách tổng hợp "
        "của nó.",
        parameters=[
            OpenApiParameter("code", str, OpenApiParameter.PATH),
            OpenApiParameter(
                "key", str, OpenApiParameter.PATH, description="2026-03, 2026-Q1, 2026-H1, 2026"
            ),
        ],
        responses={200: OpenApiTypes.OBJECT, **ERRORS},
        tags=TAGS,
    )
    def get(self, request: Request, code: str, key: str) -> Response:
        _require_view(request.user)
        definition = selectors.get_definition(code=code)
        periods.cutoff(definition.frequency, key)
        rows = selectors.aggregate(definition, key)
        return Response(
            exports.national_adapter().aggregate(definition, key, rows, definition.receiver)
        )


class NationalSubmissionView(APIView):
    @extend_schema(
        operation_id="reporting_national_submission",
        summary="Báo cáo của một cơ quan cho Hệ thống thông tin báo cáo quốc gia",
        parameters=[OpenApiParameter("uid", OpenApiTypes.UUID, OpenApiParameter.PATH)],
        responses={200: OpenApiTypes.OBJECT, **ERRORS},
        tags=TAGS,
    )
    def get(self, request: Request, uid: Any) -> Response:
        _require_view(request.user)
        submission = selectors.get_submission(uid)
        visible = directory.visible_agencies(request.user).filter(pk=submission.agency_id)
        if not visible.exists() and not can(
            request.user, "reporting.receive_report", submission.definition
        ):
            raise NotFound("Không tìm thấy báo cáo.")
        return Response(exports.national_adapter().submission(submission))


# ---------------------------------------------------------------------------------------
# The 766 index and the KPIs


class IndicatorResultSerializer(serializers.Serializer):
    code = serializers.CharField()
    group = serializers.IntegerField(source="definition.group")
    name = serializers.CharField(source="definition.name")
    rule = serializers.CharField(source="definition.rule")
    available = serializers.BooleanField()
    value = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    unit = serializers.CharField(source="definition.unit")
    numerator = serializers.IntegerField(allow_null=True)
    denominator = serializers.IntegerField(allow_null=True)
    points = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    max_points = serializers.DecimalField(
        source="definition.points", max_digits=6, decimal_places=2
    )
    note = serializers.CharField()
    also = serializers.CharField()


class IndexSerializer(serializers.Serializer):
    agency = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    points = serializers.DecimalField(max_digits=6, decimal_places=2)
    computable_max = serializers.DecimalField(max_digits=6, decimal_places=2)
    score_100 = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    indicators = IndicatorResultSerializer(many=True)


class IndexView(APIView):
    @extend_schema(
        operation_id="reporting_index_766",
        summary="Bộ chỉ số 766 của một cơ quan (và các cơ quan trực thuộc)",
        description="Tính từ dữ liệu của tinhso với quy tắc của từng chỉ số; chỉ số cần dữ "
        "liệu tinhso không có trả `available=false` kèm lý do.",
        parameters=[PeriodQuery],
        responses={200: IndexSerializer, **ERRORS},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        _require_view(request.user)
        params = query(PeriodQuery, request)
        start, end = _period(params)
        agency = _agency(request.user, params.get("agency"))
        result = index766.compute(start=start, end=end, root=agency).for_agency(agency.pk)
        payload = {
            "agency": agency.code,
            "start": start,
            "end": end,
            "points": result.points,
            "computable_max": result.computable_max,
            "score_100": result.score_100,
            "indicators": [i for g in result.groups for i in g.indicators],
        }
        return Response(IndexSerializer(payload).data)


class LostSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="mã hồ sơ (hoặc mã thủ tục)")
    reason = serializers.CharField()


class IndexDrilldownView(APIView):
    @extend_schema(
        operation_id="reporting_index_766_drilldown",
        summary="Hồ sơ (thủ tục) làm mất điểm ở một chỉ số 766",
        parameters=[
            DrilldownQuery,
            OpenApiParameter("code", str, OpenApiParameter.PATH, description="ví dụ 2.1"),
        ],
        responses={200: LostSerializer(many=True), **ERRORS},
        tags=TAGS,
    )
    def get(self, request: Request, code: str) -> Response:
        _require_view(request.user)
        params = query(DrilldownQuery, request)
        limit, offset = page_params(request.query_params)
        start, end = _period(params)
        agency = _agency(request.user, params.get("agency"))
        items = index766.drilldown(code=code, agency=agency, start=start, end=end)
        return Response(LostSerializer(items[offset : offset + limit], many=True).data)


class KpiSerializer(serializers.Serializer):
    code = serializers.CharField(source="kpi.code")
    name = serializers.CharField(source="kpi.name")
    formula = serializers.CharField(source="kpi.formula")
    value = serializers.DecimalField(max_digits=6, decimal_places=1, allow_null=True)
    numerator = serializers.IntegerField()
    denominator = serializers.IntegerField()
    target = serializers.DecimalField(max_digits=6, decimal_places=1, allow_null=True)
    met = serializers.BooleanField(allow_null=True)


class KpiView(APIView):
    @extend_schema(
        operation_id="reporting_kpis",
        summary="Chỉ tiêu chuyển đổi số của một cơ quan",
        parameters=[PeriodQuery],
        responses={200: KpiSerializer(many=True), **ERRORS},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        _require_view(request.user)
        params = query(PeriodQuery, request)
        start, end = _period(params)
        agency = _agency(request.user, params.get("agency"))
        values = kpis.compute(root=agency, start=start, end=end)[agency.pk].values
        return Response(KpiSerializer(values, many=True).data)
