"""Public REST endpoints of the working-day calendar (no login needed)."""

from __future__ import annotations

from datetime import date, datetime, time

from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tinhso.core.api import ApiErrorSerializer
from tinhso.core.dates import DATE_PATTERN
from tinhso.core.errors import ValidationFailed
from tinhso.workdays.services import VN, Calendar, check_supported, parse_days


class DueDateSerializer(serializers.Serializer):
    due = serializers.DateTimeField(help_text="hạn xử lý (giờ Việt Nam, ISO 8601)")


class WorkingDaySerializer(serializers.Serializer):
    working = serializers.BooleanField()
    reason = serializers.CharField(help_text="vì sao là ngày làm việc hoặc ngày nghỉ")


# What the parameters look like (the values are then checked: year 1901–2099, 0 < days ≤ 3650).
START_PATTERN = (
    r"^(19|20)[0-9]{2}-[0-9]{2}-[0-9]{2}"
    r"([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}:?[0-9]{2})?)?$"
)
DAYS_PATTERN = r"^[0-9]{1,4}([.,][0-9]{1,2})?$"

BAD_REQUEST = OpenApiResponse(
    ApiErrorSerializer,
    description="`invalid_date` (ngày giờ sai dạng hoặc ngoài 1901–2099) hoặc `invalid_days`",
)


def parse_start(value: str | None) -> datetime:
    """An ISO datetime (naive = Vietnam time) or a date (00:00 Vietnam time)."""
    text = (value or "").strip()
    moment = None
    try:
        moment = parse_datetime(text) or parse_datetime(text.replace(" ", "+"))
        if moment is None and (day := parse_date(text)):
            moment = datetime.combine(day, time.min)
    except ValueError:
        moment = None
    if moment is None:
        raise ValidationFailed(
            "Thời điểm bắt đầu không hợp lệ: cần dạng ISO 8601, ví dụ 2026-02-12T09:00:00+07:00.",
            code="invalid_date",
        )
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=VN)
    try:
        local_day = moment.astimezone(VN).date()
    except OverflowError:  # year 1 or 9999 shifted past the calendar's ends
        local_day = date.min
    check_supported(local_day)
    return moment


def parse_day(value: str | None) -> date:
    text = (value or "").strip()
    try:
        day = parse_date(text)
    except ValueError:
        day = None
    if day is None:
        raise ValidationFailed(
            "Ngày không hợp lệ: cần dạng YYYY-MM-DD, ví dụ 2026-02-16.", code="invalid_date"
        )
    check_supported(day)
    return day


class DueDateView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        summary="Tính hạn xử lý theo ngày làm việc",
        description=(
            "Ngày tiếp nhận không được tính; sau giờ tiếp nhận cuối ngày (15:00) hồ sơ được "
            "chuyển và bắt đầu tính từ ngày làm việc tiếp theo; hạn kết thúc vào cuối giờ "
            "làm việc. Số ngày có thể lẻ (0.5 = nửa ngày)."
        ),
        parameters=[
            OpenApiParameter(
                "start",
                str,
                required=True,
                pattern=START_PATTERN,
                description="thời điểm tiếp nhận (ISO 8601: ngày, hoặc ngày giờ), năm 1901–2099",
            ),
            OpenApiParameter(
                "days",
                str,
                required=True,
                pattern=DAYS_PATTERN,
                description="số ngày làm việc, ví dụ 5 hoặc 2.5 (lớn hơn 0, tối đa 3650)",
            ),
        ],
        responses={200: DueDateSerializer, 400: BAD_REQUEST},
        examples=[
            OpenApiExample(
                "Qua Tết 2026",
                value={"due": "2026-02-26T17:00:00+07:00"},
                response_only=True,
            )
        ],
        tags=["workdays"],
    )
    def get(self, request: Request) -> Response:
        start = parse_start(request.query_params.get("start"))
        days = parse_days(request.query_params.get("days", ""))
        due = Calendar().add_working_days(start, days)
        return Response({"due": due.astimezone(VN).isoformat()})


class IsWorkingDayView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        summary="Một ngày có phải ngày làm việc không",
        parameters=[
            OpenApiParameter(
                "date",
                OpenApiTypes.DATE,
                required=True,
                pattern=DATE_PATTERN,
                description="YYYY-MM-DD, năm 1901–2099",
            ),
        ],
        responses={200: WorkingDaySerializer, 400: BAD_REQUEST},
        tags=["workdays"],
    )
    def get(self, request: Request) -> Response:
        day = parse_day(request.query_params.get("date"))
        info = Calendar().day_info(day)
        return Response({"working": info.working, "reason": info.reason})
