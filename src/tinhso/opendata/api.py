"""REST endpoints of the open data portal under /api/v1/opendata/ (thin, read-only).

The portal's full API is CKAN's Action API at /api/3/action/ (see `ckan.py` and the
page /opendata/api/): it has its own envelope and is documented there, not in this
OpenAPI schema. These two endpoints give the same search and dataset in tinhso's own
REST style, for clients of the platform's other APIs.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tinhso.core.api import TEXT_PATTERN, ApiErrorSerializer, query
from tinhso.core.pagination import limit_field, offset_field
from tinhso.opendata import selectors


class DatasetQuerySerializer(serializers.Serializer):
    q = serializers.RegexField(
        TEXT_PATTERN,
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="từ khóa, không cần gõ dấu",
    )
    organization = serializers.RegexField(
        r"^[a-z0-9-]{1,60}$", required=False, help_text="tên tổ chức kiểu CKAN, ví dụ h99-12"
    )
    limit = limit_field(default=20)
    offset = offset_field()


class DatasetSummarySerializer(serializers.Serializer):
    name = serializers.CharField()
    title = serializers.CharField()
    organization = serializers.CharField(help_text="tên cơ quan chủ quản")
    organization_code = serializers.CharField()
    formats = serializers.ListField(child=serializers.CharField())
    metadata_modified = serializers.DateTimeField()
    url = serializers.CharField()


class DatasetListSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    results = DatasetSummarySerializer(many=True)


class DatasetListView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="opendata_datasets",
        summary="Tìm bộ dữ liệu mở",
        description="Bộ dữ liệu đã công bố; tìm không dấu. API đầy đủ: CKAN Action API tại "
        "/api/3/action/ (xem /opendata/api/).",
        parameters=[DatasetQuerySerializer],
        responses={200: DatasetListSerializer, 400: OpenApiResponse(ApiErrorSerializer)},
        tags=["opendata"],
    )
    def get(self, request: Request) -> Response:
        params = query(DatasetQuerySerializer, request)
        filters = {"organization": [params["organization"]]} if params.get("organization") else {}
        result = selectors.search(
            q=params.get("q", ""), filters=filters, rows=params["limit"], start=params["offset"]
        )
        base = request.build_absolute_uri("/").rstrip("/")
        return Response(
            {
                "count": result.count,
                "results": [
                    {
                        "name": d.name,
                        "title": d.title,
                        "organization": d.agency.name,
                        "organization_code": d.agency.code,
                        "formats": sorted({r.format for r in d.resources.all() if r.format}),
                        "metadata_modified": d.metadata_modified,
                        "url": base + selectors.dataset_path(d),
                    }
                    for d in result.datasets
                ],
            }
        )


class DatasetDetailView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="opendata_dataset",
        summary="Một bộ dữ liệu (dạng package_show của CKAN)",
        parameters=[OpenApiParameter("name", str, OpenApiParameter.PATH)],
        responses={
            200: OpenApiResponse(description="bộ dữ liệu, các trường như CKAN package_show"),
            404: OpenApiResponse(ApiErrorSerializer, description="`dataset_not_found`"),
        },
        tags=["opendata"],
    )
    def get(self, request: Request, name: str) -> Response:
        dataset = selectors.get_dataset(name, user=request.user)
        base = request.build_absolute_uri("/").rstrip("/")
        return Response(selectors.package_dict(dataset, base=base))
