"""REST API of the feedback app (/api/v1/feedback/...), used by the citizen app (PWA) and
other systems. Thin: parse, call a service or a selector, serialise. The reporter's
identity appears only for the coordinating centre."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers as drf
from rest_framework.generics import ListAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tinhso.accounts.rules import require
from tinhso.core.api import JSONParser, query
from tinhso.core.middleware import client_ip
from tinhso.feedback import selectors, services, wallscreen, workflow
from tinhso.feedback.models import OPEN_STATES, Report
from tinhso.feedback.open311 import iso

PARSERS = [JSONParser, MultiPartParser]


class CategorySerializer(drf.Serializer):
    code = drf.CharField()
    name = drf.CharField()
    description = drf.CharField()
    notice = drf.CharField()
    group = drf.CharField()
    tier = drf.CharField(source="tier.name")
    workdays = drf.DecimalField(source="tier.workdays", max_digits=5, decimal_places=1)
    duplicate_radius_m = drf.IntegerField()


class PhotoSerializer(drf.Serializer):
    uid = drf.UUIDField()
    kind = drf.CharField()
    url = drf.SerializerMethodField()
    width = drf.IntegerField()
    height = drf.IntegerField()
    redacted = drf.BooleanField()

    def get_url(self, photo) -> str:
        return f"/feedback/anh/{photo.uid}/"


class UpdateSerializer(drf.Serializer):
    kind = drf.CharField()
    kind_label = drf.CharField(source="get_kind_display")
    text = drf.CharField()
    public = drf.BooleanField()
    agency = drf.CharField(source="agency.name", default="")
    state_after = drf.CharField()
    created_at = drf.DateTimeField()


class ReportListSerializer(drf.Serializer):
    code = drf.CharField()
    category = drf.CharField(source="category.code")
    category_name = drf.CharField(source="category.name")
    description = drf.CharField()
    state = drf.CharField()
    state_label = drf.CharField(source="get_state_display")
    status = drf.SerializerMethodField()
    lat = drf.FloatField()
    lng = drf.FloatField()
    address = drf.CharField()
    commune = drf.CharField(source="admin_unit.name")
    agency = drf.CharField(source="agency.name", default="")
    created_at = drf.DateTimeField()
    deadline = drf.DateTimeField()
    answered_at = drf.DateTimeField()
    rating = drf.IntegerField(allow_null=True)
    follower_count = drf.IntegerField()

    def get_status(self, report) -> str:
        return "open" if report.state in OPEN_STATES else "closed"


class IdentitySerializer(drf.Serializer):
    name = drf.CharField()
    phone = drf.CharField()
    email = drf.CharField()
    username = drf.CharField()
    device_id = drf.CharField()


class ActionRefSerializer(drf.Serializer):
    name = drf.CharField()
    label = drf.CharField()


class ReportDetailSerializer(ReportListSerializer):
    answer = drf.CharField()
    duplicate_of = drf.CharField(source="duplicate_of.code", default=None)
    reject_reason = drf.CharField()
    hidden = drf.BooleanField()
    photos = drf.SerializerMethodField()
    updates = drf.SerializerMethodField()
    reporter = drf.SerializerMethodField()
    is_mine = drf.SerializerMethodField()
    actions = drf.SerializerMethodField()

    def _user(self):
        return self.context["request"].user

    @extend_schema(responses=PhotoSerializer(many=True))
    def get_photos(self, report) -> list:
        return PhotoSerializer(selectors.photos(report), many=True).data

    @extend_schema(responses=UpdateSerializer(many=True))
    def get_updates(self, report) -> list:
        return UpdateSerializer(selectors.timeline(report, self._user()), many=True).data

    @extend_schema(responses=IdentitySerializer(allow_null=True))
    def get_reporter(self, report) -> dict | None:
        return selectors.identity(self._user(), report)

    def get_is_mine(self, report) -> bool:
        user = self._user()
        return bool(user.is_authenticated and report.reporter_id == user.pk)

    @extend_schema(responses=ActionRefSerializer(many=True))
    def get_actions(self, report) -> list:
        return [
            {"name": a.name, "label": str(a.label)}
            for a in workflow.available(self._user(), report)
        ]


class NearbySerializer(drf.Serializer):
    code = drf.CharField()
    description = drf.CharField()
    state = drf.CharField()
    distance_m = drf.FloatField()
    lat = drf.FloatField()
    lng = drf.FloatField()
    follower_count = drf.IntegerField()
    created_at = drf.DateTimeField()


class NearbyQuery(drf.Serializer):
    category = drf.CharField(max_length=40)
    lat = drf.FloatField(min_value=-90, max_value=90)
    lng = drf.FloatField(min_value=-180, max_value=180)


class ReportListQuery(drf.Serializer):
    state = drf.ChoiceField(choices=["open", "closed"], required=False)
    category = drf.CharField(max_length=40, required=False)


class Categories(ListAPIView):
    """Lĩnh vực phản ánh, với lưu ý (ví dụ "gọi 114 khi có cháy") và thời hạn xử lý."""

    permission_classes = [AllowAny]
    serializer_class = CategorySerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.categories()

    @extend_schema(tags=["feedback"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class Nearby(APIView):
    """Phản ánh đang mở cùng lĩnh vực ở gần (trong bán kính của lĩnh vực): theo dõi thay vì
    gửi trùng."""

    permission_classes = [AllowAny]

    @extend_schema(
        tags=["feedback"], parameters=[NearbyQuery], responses=NearbySerializer(many=True)
    )
    def get(self, request: Request) -> Response:
        params = query(NearbyQuery, request)
        category = services.get_category(params["category"])
        rows = selectors.nearby(category=category, lat=params["lat"], lng=params["lng"])
        data = [
            {
                "code": r.code,
                "description": r.description[:200],
                "state": r.state,
                "distance_m": round(d, 1),
                "lat": r.lat,
                "lng": r.lng,
                "follower_count": r.follower_count,
                "created_at": r.created_at,
            }
            for r, d in rows
        ]
        return Response(NearbySerializer(data, many=True).data)


class Reports(ListAPIView):
    """Danh sách phản ánh công khai (mới nhất trước); gửi phản ánh mới (đăng nhập)."""

    serializer_class = ReportListSerializer
    parser_classes = PARSERS

    def get_permissions(self):
        if self.request.method == "GET":
            return [AllowAny()]
        return super().get_permissions()

    def get_queryset(self):
        params = query(ReportListQuery, self.request)
        qs = selectors.public_reports().order_by("-created_at")
        if params.get("state") == "open":
            qs = qs.filter(state__in=OPEN_STATES)
        elif params.get("state") == "closed":
            qs = qs.exclude(state__in=OPEN_STATES)
        if params.get("category"):
            qs = qs.filter(category__code=params["category"])
        return qs

    @extend_schema(tags=["feedback"], parameters=[ReportListQuery])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=["feedback"],
        request={
            "multipart/form-data": inline_serializer(
                "FeedbackReportCreate",
                {
                    "category": drf.CharField(),
                    "description": drf.CharField(),
                    "lat": drf.FloatField(required=False),
                    "lng": drf.FloatField(required=False),
                    "address": drf.CharField(required=False),
                    "device_id": drf.CharField(required=False),
                    "photos": drf.ListField(child=drf.FileField(), required=False),
                },
            )
        },
        responses={201: ReportDetailSerializer},
    )
    def post(self, request: Request) -> Response:
        data = request.data
        attributes = {
            k[len("attribute[") : -1]: v for k, v in data.items() if k.startswith("attribute[")
        }
        report = services.submit_report(
            actor=request.user,
            category=data.get("category", ""),
            description=data.get("description", ""),
            lat=data.get("lat") or None,
            lng=data.get("lng") or None,
            address=data.get("address", ""),
            photos=request.FILES.getlist("photos"),
            attributes=attributes,
            device_id=data.get("device_id", ""),
            client=client_ip(request._request) or "",
        )
        return Response(
            ReportDetailSerializer(report, context={"request": request}).data, status=201
        )


class ReportDetail(APIView):
    permission_classes = [AllowAny]

    @extend_schema(tags=["feedback"], responses=ReportDetailSerializer)
    def get(self, request: Request, code: str) -> Response:
        report = selectors.get_for(request.user, code)
        return Response(ReportDetailSerializer(report, context={"request": request}).data)


class Follow(APIView):
    @extend_schema(
        tags=["feedback"],
        request=None,
        responses=inline_serializer("FeedbackFollow", {"following": drf.BooleanField()}),
    )
    def post(self, request: Request, code: str) -> Response:
        report = selectors.get_public(code)
        services.follow(actor=request.user, report=report)
        return Response({"following": True})


class ActionInput(drf.Serializer):
    note = drf.CharField(required=False, allow_blank=True)
    reason = drf.CharField(required=False, allow_blank=True)
    text = drf.CharField(required=False, allow_blank=True)
    original = drf.CharField(required=False)
    category = drf.CharField(required=False)
    lat = drf.FloatField(required=False)
    lng = drf.FloatField(required=False)
    address = drf.CharField(required=False, allow_blank=True)
    photo = drf.CharField(required=False)
    assignee = drf.CharField(required=False)
    agency = drf.CharField(required=False)
    rating = drf.IntegerField(required=False, min_value=1, max_value=5)
    photos = drf.ListField(child=drf.FileField(), required=False)


class Action(APIView):
    """Một thao tác trên phản ánh (bảng trạng thái `feedback/workflow.py`): accept, reject,
    merge, recategorise, move, hide, show, redact, anonymise, assign, answer, request_info,
    transfer, not_ours, provide_info, rate, reopen."""

    parser_classes = PARSERS

    @extend_schema(
        tags=["feedback"],
        request={"multipart/form-data": ActionInput, "application/json": ActionInput},
        responses=ReportDetailSerializer,
    )
    def post(self, request: Request, code: str, action: str) -> Response:
        report = selectors.get_for(request.user, code)
        data: dict[str, Any] = {
            k: v for k, v in request.data.items() if k in ActionInput().fields and k != "photos"
        }
        if action == "answer":
            data["photos"] = request.FILES.getlist("photos")
        report = services.act(actor=request.user, report=report, action=action, **data)
        return Response(ReportDetailSerializer(report, context={"request": request}).data)


class Mine(ListAPIView):
    """Phản ánh tôi đã gửi."""

    serializer_class = ReportListSerializer

    def get_queryset(self):
        return selectors.my_reports(self.request.user)

    @extend_schema(tags=["feedback"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class Queue(ListAPIView):
    """Phản ánh cần xử lý của cán bộ (trung tâm: tất cả; cơ quan xử lý: của cơ quan)."""

    serializer_class = ReportListSerializer

    def get_queryset(self):
        return selectors.work_queue(self.request.user, "open")

    @extend_schema(tags=["feedback"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class Points(APIView):
    """Điểm phản ánh công khai cho bản đồ: [mã, vĩ độ, kinh độ, mở/đóng, lĩnh vực]."""

    permission_classes = [AllowAny]

    @extend_schema(
        tags=["feedback"],
        responses=inline_serializer(
            "FeedbackPoints", {"points": drf.ListField(child=drf.ListField())}
        ),
    )
    def get(self, request: Request) -> Response:
        rows = (
            selectors.public_reports()
            .order_by("-created_at")
            .values_list("code", "lat", "lng", "state", "category__name")[:2000]
        )
        return Response(
            {
                "points": [
                    [c, lat, lng, "open" if st in OPEN_STATES else "closed", cat]
                    for c, lat, lng, st, cat in rows
                ]
            }
        )


class Ioc(APIView):
    """Số liệu màn hình IOC (trung tâm điều hành, lãnh đạo)."""

    @extend_schema(
        tags=["feedback"], responses=inline_serializer("FeedbackIoc", {"data": drf.DictField()})
    )
    def get(self, request: Request) -> Response:
        require(request.user, "feedback.view_statistics")
        data = wallscreen.figures()
        data["as_of"] = iso(data["as_of"])
        data["rates_as_of"] = iso(data["rates_as_of"])
        data["heat"] = wallscreen.heat()
        return Response({"data": data})


def report_url(report: Report) -> str:
    return f"/feedback/r/{report.code}/"


class InboxItemSerializer(drf.Serializer):
    uid = drf.UUIDField()
    channel = drf.CharField()
    subject = drf.CharField()
    body = drf.CharField()
    related_object = drf.CharField()
    created_at = drf.DateTimeField()


class Inbox(ListAPIView):
    """Hộp thư trong ứng dụng: các thông báo đã gửi cho tôi (từ hộp thư đi của notify),
    mỗi thông báo một lần dù gửi qua nhiều kênh."""

    serializer_class = InboxItemSerializer

    def get_queryset(self):
        from tinhso.notify.selectors import messages_for

        return messages_for(self.request.user).filter(channel="email") | messages_for(
            self.request.user
        ).filter(channel="sms").exclude(
            related_object__in=messages_for(self.request.user)
            .filter(channel="email")
            .values("related_object")
        )

    @extend_schema(tags=["feedback"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
