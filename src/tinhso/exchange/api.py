"""The instance's exchange endpoint: other tinhso instances (and the national axis)
POST signed edXML packages here. The sender is authenticated by the package's XML
signature (a certificate chaining to this platform's trust anchors, not revoked; for an
agency of this instance, one of its own certificates), optionally also by mutual TLS at
the reverse proxy. Answers 200 once the package is kept (or was already kept:
`duplicate`), 4xx with a stable code when it is refused (nothing kept).

Another tinhso instance sends what its outbox holds for us several packages at a time:
a `multipart/mixed` body whose parts are the signed packages (`transport.encode_batch`),
answered 200 with one result per package, in order (`accepted`, `duplicate`, or
`refused` with the package's code: the others are kept all the same)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import serializers
from rest_framework.parsers import BaseParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tinhso.core.api import ApiErrorSerializer
from tinhso.exchange import conf, services
from tinhso.exchange.errors import PackageTooLarge
from tinhso.exchange.transport import BATCH_MEDIA_TYPE, decode_batch


class EdxmlParser(BaseParser):
    """The raw bytes of the package, read up to the size limit (never more)."""

    media_type = "application/xml"

    def parse(
        self, stream: Any, media_type: str | None = None, parser_context: Any = None
    ) -> bytes:
        limit = conf.max_bytes()
        data = stream.read(limit + 1) if stream is not None else b""
        if len(data) > limit:
            raise PackageTooLarge(f"Gói tin vượt quá {limit // (1024 * 1024)} MB.")
        return data


class TextXmlParser(EdxmlParser):
    media_type = "text/xml"


class BatchParser(BaseParser):
    """Several packages (`multipart/mixed`), read up to the batch size limit."""

    media_type = BATCH_MEDIA_TYPE

    def parse(
        self, stream: Any, media_type: str | None = None, parser_context: Any = None
    ) -> list[bytes]:
        limit = conf.batch_max_bytes()
        data = stream.read(limit + 1) if stream is not None else b""
        if len(data) > limit:
            raise PackageTooLarge(f"Yêu cầu vượt quá {limit // (1024 * 1024)} MB.")
        return decode_batch(media_type or "", data)


class ReceivedSerializer(serializers.Serializer):
    result = serializers.ChoiceField(choices=["accepted", "duplicate"])
    kind = serializers.ChoiceField(choices=["document", "status"])
    items = serializers.ListField(child=serializers.UUIDField())


class BatchResultSerializer(serializers.Serializer):
    result = serializers.ChoiceField(choices=["accepted", "duplicate", "refused"])
    kind = serializers.CharField(required=False, help_text="`document` hoặc `status`")
    items = serializers.ListField(child=serializers.UUIDField(), required=False)
    code = serializers.CharField(required=False, help_text="khi bị từ chối")
    message = serializers.CharField(required=False, help_text="khi bị từ chối")
    status = serializers.IntegerField(required=False, help_text="mã HTTP của lỗi")


class BatchReceivedSerializer(serializers.Serializer):
    results = BatchResultSerializer(many=True)


class PackageView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    parser_classes = [EdxmlParser, TextXmlParser, BatchParser]

    @extend_schema(
        operation_id="exchange_receive_package",
        summary="Nhận gói tin edXML (văn bản hoặc trạng thái) từ hệ thống khác",
        description="Thân yêu cầu là gói tin edXML (QCVN 102:2016) đã ký số XML-DSig bằng "
        "chứng thư số của cơ quan gửi. Gói tin được kiểm tra (cấu trúc, chữ ký, chứng thư "
        "tin cậy và chưa bị thu hồi, tệp PDF) trước khi ghi; nhận lại cùng gói tin không "
        "thay đổi gì (`duplicate`). Nhiều gói tin trong một yêu cầu: `multipart/mixed`, mỗi "
        "phần là một gói tin đã ký; trả lời kết quả từng gói theo thứ tự.",
        request={
            "application/xml": {"type": "string", "format": "binary"},
            BATCH_MEDIA_TYPE: {"type": "string", "format": "binary"},
        },
        responses={
            200: PolymorphicProxySerializer(
                component_name="ExchangeReceived",
                serializers=[ReceivedSerializer, BatchReceivedSerializer],
                resource_type_field_name=None,
            ),
            400: OpenApiResponse(ApiErrorSerializer, description="gói tin bị từ chối"),
            409: OpenApiResponse(ApiErrorSerializer, description="`duplicate_different_content`"),
            413: OpenApiResponse(ApiErrorSerializer, description="`package_too_large`"),
        },
        tags=["exchange"],
    )
    def post(self, request: Request) -> Response:
        if isinstance(request.data, list):
            outcomes = services.receive_batch(request.data, channel="http")
            return Response({"results": [outcome.as_dict() for outcome in outcomes]})
        raw = request.data if isinstance(request.data, bytes) else b""
        return Response(services.receive_package(raw, channel="http").as_dict())
