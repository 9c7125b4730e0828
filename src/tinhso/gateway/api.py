"""The gateway's management API (everything the pages do), under /api/v1/gateway/.

Authentication as the rest of the API: `Authorization: Token <key>` (tokens bound to a
user and so to that user's roles) or the session. Thin: parse, call a service or a
selector, serialise; domain errors answer `{"code", "message"}`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tinhso.accounts.rules import require
from tinhso.core.api import query
from tinhso.core.errors import PermissionDenied
from tinhso.core.pagination import BoundedLimitOffsetPagination, limit_field, offset_field
from tinhso.directory import selectors as directory
from tinhso.gateway import health, selectors, services
from tinhso.gateway.models import Service

TAGS = ["gateway"]
CODE = serializers.RegexField(r"^[a-z][a-z0-9-]{1,39}$", max_length=40)


class ServiceOut(serializers.Serializer):
    provider = serializers.CharField(source="provider.code")
    code = serializers.CharField()
    title = serializers.CharField()
    version = serializers.CharField()
    status = serializers.CharField()
    disabled_notice = serializers.CharField()
    kind = serializers.CharField()
    base_url = serializers.CharField()
    agency = serializers.CharField(source="provider.agency.code")
    timeout_ms = serializers.IntegerField()
    log_bodies = serializers.BooleanField()
    upstream_headers = serializers.SerializerMethodField(
        help_text="Tên các tiêu đề xác thực cổng gửi kèm tới hệ thống cung cấp (không có giá trị)."
    )
    endpoints = serializers.SerializerMethodField()

    def get_endpoints(self, obj) -> list[str]:
        return [f"{e.method} {e.path}" for e in obj.endpoints.all()]

    def get_upstream_headers(self, obj) -> list[str]:
        return selectors.upstream_header_names(obj)


class ServiceSettingsIn(serializers.Serializer):
    timeout_ms = serializers.IntegerField(required=False, min_value=100, max_value=300_000)
    log_bodies = serializers.BooleanField(required=False)
    base_url = serializers.URLField(required=False)
    upstream_headers = serializers.DictField(
        child=serializers.CharField(max_length=4096, allow_blank=True, trim_whitespace=False),
        required=False,
        help_text=(
            "Tiêu đề HTTP cổng gửi kèm tới hệ thống cung cấp (thông tin xác thực), thay cho "
            "bộ đã lưu; {} để xóa. Lưu mã hóa, không bao giờ trả lại."
        ),
    )


class ProviderOut(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    agency = serializers.CharField(source="agency.code")
    contact_name = serializers.CharField()
    contact_email = serializers.CharField()


class ProviderIn(serializers.Serializer):
    code = CODE
    name = serializers.CharField(max_length=200)
    agency = serializers.CharField(max_length=40)
    contact_name = serializers.CharField(max_length=150)
    contact_email = serializers.EmailField(required=False, default="")


class PublishIn(serializers.Serializer):
    code = CODE
    openapi_url = serializers.URLField(required=False, default="")
    openapi_text = serializers.CharField(required=False, default="", max_length=2_000_000)
    base_url = serializers.URLField(required=False, default="")
    title = serializers.CharField(required=False, default="", max_length=200)
    timeout_ms = serializers.IntegerField(
        required=False, default=10_000, min_value=100, max_value=300_000
    )


class ConsumerOut(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    agency = serializers.CharField(source="agency.code")
    rate_per_minute = serializers.IntegerField()
    quota_per_day = serializers.IntegerField()
    is_active = serializers.BooleanField()


class ConsumerIn(ProviderIn):
    rate_per_minute = serializers.IntegerField(
        required=False, default=600, min_value=1, max_value=1_000_000
    )
    quota_per_day = serializers.IntegerField(
        required=False, default=100_000, min_value=1, max_value=1_000_000_000
    )


class RequestOut(serializers.Serializer):
    uid = serializers.UUIDField()
    consumer = serializers.CharField(source="consumer.code")
    service = serializers.CharField(source="service.full_code")
    reason = serializers.CharField()
    status = serializers.CharField()
    asked_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_note = serializers.CharField()


class LogOut(serializers.Serializer):
    seq = serializers.IntegerField()
    request_id = serializers.CharField()
    started_at = serializers.DateTimeField()
    consumer = serializers.CharField(source="consumer_code")
    service = serializers.SerializerMethodField()
    endpoint = serializers.CharField()
    method = serializers.CharField()
    path = serializers.CharField()
    issue = serializers.CharField()
    status_code = serializers.IntegerField()
    result = serializers.CharField()
    error_source = serializers.CharField()
    request_size = serializers.IntegerField()
    response_size = serializers.IntegerField()
    request_hash = serializers.CharField()
    response_hash = serializers.CharField()
    duration_ms = serializers.FloatField()
    provider_ms = serializers.FloatField(allow_null=True)
    hash = serializers.CharField()

    def get_service(self, obj) -> str:
        return f"{obj.provider_code}/{obj.service_code}"


class LogQuery(serializers.Serializer):
    consumer = serializers.CharField(required=False, default="", max_length=40)
    service = serializers.CharField(required=False, default="", max_length=81)
    result = serializers.CharField(required=False, default="", max_length=40)
    request_id = serializers.CharField(required=False, default="", max_length=64)
    issue = serializers.CharField(required=False, default="", max_length=100)
    limit = limit_field()
    offset = offset_field()


class HealthOut(serializers.Serializer):
    key = serializers.CharField()
    calls = serializers.IntegerField()
    ok = serializers.IntegerField()
    failed = serializers.IntegerField()
    min_ms = serializers.FloatField(allow_null=True)
    avg_ms = serializers.FloatField(allow_null=True)
    max_ms = serializers.FloatField(allow_null=True)
    last_call = serializers.DateTimeField(allow_null=True)
    last_failure = serializers.DateTimeField(allow_null=True)


class Base(APIView):
    permission_classes = [IsAuthenticated]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        require(request.user, "gateway.view")

    def page(self, request: Request, qs, serializer) -> Response:
        paginator = BoundedLimitOffsetPagination()
        rows = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(serializer(rows, many=True).data)


def _agency(code: str):
    return directory.get_agency(code)


class ServiceList(Base):
    pagination_class = BoundedLimitOffsetPagination

    @extend_schema(
        operation_id="gateway_services",
        summary="Danh mục dịch vụ",
        tags=TAGS,
        responses={200: ServiceOut(many=True)},
    )
    def get(self, request: Request) -> Response:
        qs = selectors.catalogue().prefetch_related("endpoints")
        return self.page(request, qs, ServiceOut)


class ServiceDetail(Base):
    @extend_schema(
        operation_id="gateway_service",
        summary="Một dịch vụ",
        tags=TAGS,
        responses={200: ServiceOut},
    )
    def get(self, request: Request, provider: str, service: str) -> Response:
        svc = selectors.get_service(provider, service)
        if svc.status == Service.Status.DRAFT and not _can(request, "gateway.manage_service", svc):
            raise selectors.ServiceNotFound()
        return Response(ServiceOut(svc).data)

    @extend_schema(
        operation_id="gateway_service_settings",
        summary="Thiết lập của dịch vụ: thời gian chờ, lưu nội dung, địa chỉ gốc, xác thực",
        tags=TAGS,
        request=ServiceSettingsIn,
        responses={200: ServiceOut},
    )
    def patch(self, request: Request, provider: str, service: str) -> Response:
        svc = selectors.get_service(provider, service)
        data = ServiceSettingsIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.update_service(actor=request.user, service=svc, **data.validated_data)
        svc.refresh_from_db()
        return Response(ServiceOut(svc).data)


def _can(request: Request, action: str, obj: Any = None) -> bool:
    from tinhso.accounts.rules import can

    return can(request.user, action, obj)


class ProviderList(Base):
    pagination_class = BoundedLimitOffsetPagination

    @extend_schema(
        operation_id="gateway_providers",
        summary="Hệ thống cung cấp",
        tags=TAGS,
        responses={200: ProviderOut(many=True)},
    )
    def get(self, request: Request) -> Response:
        return self.page(
            request, selectors.providers_for(request.user).order_by("code"), ProviderOut
        )

    @extend_schema(
        operation_id="gateway_provider_create",
        summary="Đăng ký hệ thống cung cấp",
        tags=TAGS,
        request=ProviderIn,
        responses={201: ProviderOut},
    )
    def post(self, request: Request) -> Response:
        data = ProviderIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values["agency"] = _agency(values["agency"])
        provider = services.create_provider(actor=request.user, **values)
        return Response(ProviderOut(provider).data, status=201)


class Publish(Base):
    @extend_schema(
        operation_id="gateway_service_publish",
        summary="Công bố dịch vụ từ mô tả OpenAPI 3 (bắt đầu ở trạng thái nháp)",
        tags=TAGS,
        request=PublishIn,
        responses={201: ServiceOut},
    )
    def post(self, request: Request, provider: str) -> Response:
        data = PublishIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        service = services.publish_service(
            actor=request.user,
            provider=selectors.get_provider(provider),
            code=v["code"],
            openapi_url=v["openapi_url"],
            openapi_text=v["openapi_text"] or None,
            base_url=v["base_url"],
            title=v["title"],
            timeout_ms=v["timeout_ms"],
        )
        return Response(ServiceOut(service).data, status=201)


class ServiceAction(Base):
    @extend_schema(
        operation_id="gateway_service_action",
        summary="Mở, tạm ngừng (kèm thông báo) hoặc làm mới mô tả dịch vụ",
        description="`enable`; `disable` với `notice`; `refresh` với `openapi_text` (tùy chọn) "
        "và `confirm` = mã băm của mô tả đã xem (409 `gateway_refresh_not_confirmed` trả mã "
        "đó trong `details.digest` cùng thay đổi).",
        tags=TAGS,
        request=inline_serializer(
            "GatewayServiceActionIn",
            {
                "notice": serializers.CharField(required=False, max_length=500),
                "openapi_text": serializers.CharField(required=False, max_length=2_000_000),
                "confirm": serializers.CharField(required=False, max_length=64),
            },
        ),
        parameters=[
            OpenApiParameter(
                "action", str, OpenApiParameter.PATH, enum=["enable", "disable", "refresh"]
            )
        ],
        responses={200: ServiceOut},
    )
    def post(self, request: Request, provider: str, service: str, action: str) -> Response:
        svc = selectors.get_service(provider, service)
        body = request.data if isinstance(request.data, dict) else {}
        if action == "enable":
            services.enable_service(actor=request.user, service=svc)
        elif action == "disable":
            services.disable_service(
                actor=request.user, service=svc, notice=str(body.get("notice", ""))
            )
        elif action == "refresh":
            services.refresh_service(
                actor=request.user,
                service=svc,
                openapi_text=str(body.get("openapi_text") or "") or None,
                confirm=str(body.get("confirm", "")),
            )
        else:
            raise selectors.ServiceNotFound()
        svc.refresh_from_db()
        return Response(ServiceOut(svc).data)


class Rights(Base):
    @extend_schema(
        operation_id="gateway_right_grant",
        summary="Cấp quyền gọi dịch vụ (hoặc một điểm cuối) cho một hệ thống khai thác",
        tags=TAGS,
        request=inline_serializer(
            "GatewayGrantIn",
            {"consumer": CODE, "endpoint": serializers.CharField(required=False, max_length=320)},
        ),
        responses={201: inline_serializer("GatewayRightOut", {"id": serializers.IntegerField()})},
    )
    def post(self, request: Request, provider: str, service: str) -> Response:
        svc = selectors.get_service(provider, service)
        body = request.data if isinstance(request.data, dict) else {}
        endpoint = None
        if body.get("endpoint"):
            method, _, path = str(body["endpoint"]).partition(" ")
            endpoint = svc.endpoints.filter(method=method.upper(), path=path).first()
            if endpoint is None:
                from tinhso.gateway.errors import EndpointNotOfService

                raise EndpointNotOfService()
        right = services.grant_right(
            actor=request.user,
            service=svc,
            consumer=selectors.get_consumer(str(body.get("consumer", ""))),
            endpoint=endpoint,
        )
        return Response({"id": right.pk}, status=201)


class ConsumerList(Base):
    pagination_class = BoundedLimitOffsetPagination

    @extend_schema(
        operation_id="gateway_consumers",
        summary="Hệ thống khai thác",
        tags=TAGS,
        responses={200: ConsumerOut(many=True)},
    )
    def get(self, request: Request) -> Response:
        return self.page(
            request, selectors.consumers_for(request.user).order_by("code"), ConsumerOut
        )

    @extend_schema(
        operation_id="gateway_consumer_create",
        summary="Đăng ký hệ thống khai thác",
        tags=TAGS,
        request=ConsumerIn,
        responses={201: ConsumerOut},
    )
    def post(self, request: Request) -> Response:
        data = ConsumerIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values["agency"] = _agency(values["agency"])
        consumer = services.create_consumer(actor=request.user, **values)
        return Response(ConsumerOut(consumer).data, status=201)


class Keys(Base):
    @extend_schema(
        operation_id="gateway_key_issue",
        summary="Cấp khóa API cho hệ thống khai thác (khóa chỉ trả về một lần)",
        tags=TAGS,
        request=inline_serializer(
            "GatewayKeyIn", {"name": serializers.CharField(required=False, max_length=100)}
        ),
        responses={
            201: inline_serializer(
                "GatewayKeyOut", {"uid": serializers.UUIDField(), "key": serializers.CharField()}
            )
        },
    )
    def post(self, request: Request, code: str) -> Response:
        consumer = selectors.get_consumer(code)
        body = request.data if isinstance(request.data, dict) else {}
        key, raw = services.issue_key(
            actor=request.user, consumer=consumer, name=str(body.get("name", ""))[:100]
        )
        return Response({"uid": key.uid, "key": raw}, status=201)


class KeyRevoke(Base):
    @extend_schema(
        operation_id="gateway_key_revoke",
        summary="Thu hồi khóa API",
        tags=TAGS,
        request=None,
        responses={204: None},
    )
    def post(self, request: Request, code: str, uid: str) -> Response:
        consumer = selectors.get_consumer(code)
        key = consumer.keys.filter(uid=uid).first()
        if key is None:
            from tinhso.core.errors import NotFound

            raise NotFound()
        services.revoke_key(actor=request.user, key=key)
        return Response(status=204)


class Requests(Base):
    pagination_class = BoundedLimitOffsetPagination

    @extend_schema(
        operation_id="gateway_requests",
        summary="Đề nghị truy cập",
        tags=TAGS,
        responses={200: RequestOut(many=True)},
    )
    def get(self, request: Request) -> Response:
        return self.page(request, selectors.requests_for(request.user), RequestOut)

    @extend_schema(
        operation_id="gateway_request_create",
        summary="Đề nghị cấp quyền (trả lời trong 5 ngày làm việc)",
        tags=TAGS,
        request=inline_serializer(
            "GatewayRequestIn",
            {
                "consumer": CODE,
                "service": serializers.CharField(max_length=81),
                "reason": serializers.CharField(max_length=2000),
            },
        ),
        responses={201: RequestOut},
    )
    def post(self, request: Request) -> Response:
        body = request.data if isinstance(request.data, dict) else {}
        provider, _, code = str(body.get("service", "")).partition("/")
        item = services.request_access(
            actor=request.user,
            consumer=selectors.get_consumer(str(body.get("consumer", ""))),
            service=selectors.get_service(provider, code),
            reason=str(body.get("reason", "")),
        )
        return Response(RequestOut(item).data, status=201)


class Decide(Base):
    @extend_schema(
        operation_id="gateway_request_decide",
        summary="Chấp thuận hoặc từ chối đề nghị truy cập",
        tags=TAGS,
        request=inline_serializer(
            "GatewayDecideIn",
            {
                "approve": serializers.BooleanField(),
                "note": serializers.CharField(required=False, max_length=500),
            },
        ),
        responses={200: RequestOut},
    )
    def post(self, request: Request, uid: str) -> Response:
        item = selectors.requests_for(request.user).filter(uid=uid).first()
        if item is None:
            from tinhso.core.errors import NotFound

            raise NotFound()
        body = request.data if isinstance(request.data, dict) else {}
        item = services.decide_request(
            actor=request.user,
            request=item,
            approve=bool(body.get("approve")),
            note=str(body.get("note", "")),
        )
        return Response(RequestOut(item).data)


class Log(Base):
    pagination_class = BoundedLimitOffsetPagination

    @extend_schema(
        operation_id="gateway_log",
        summary="Nhật ký giao dịch",
        tags=TAGS,
        parameters=[LogQuery],
        responses={200: LogOut(many=True)},
    )
    def get(self, request: Request) -> Response:
        if not _can(request, "gateway.view_log"):
            raise PermissionDenied()
        params = query(LogQuery, request)
        qs = selectors.search_log(
            selectors.log_for(request.user),
            consumer=params["consumer"],
            service=params["service"],
            result=params["result"],
            request_id=params["request_id"],
            issue=params["issue"],
        )
        return self.page(request, qs, LogOut)


class Health(Base):
    @extend_schema(
        operation_id="gateway_health",
        summary="Tình trạng dịch vụ 24 giờ qua",
        tags=TAGS,
        responses={200: HealthOut(many=True)},
    )
    def get(self, request: Request) -> Response:
        if not _can(request, "gateway.view_log"):
            raise PermissionDenied()
        since = dt.datetime.now(dt.UTC) - dt.timedelta(hours=24)
        filters: dict[str, Any] = {}
        from tinhso.accounts.rules import is_platform_admin

        if not is_platform_admin(request.user):
            filters["seq__in"] = selectors.log_for(request.user).values("seq")
        return Response(
            HealthOut(health.stats(by="service", since=since, **filters), many=True).data
        )
