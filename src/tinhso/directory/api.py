"""Directory REST endpoints (thin: parse, call a selector, serialise)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tinhso.core.api import ApiErrorSerializer, query
from tinhso.directory import selectors
from tinhso.directory.serializers import (
    AdminUnitQuerySerializer,
    AdminUnitSerializer,
    AgencyDetailSerializer,
    AgencyEventSerializer,
    AgencySerializer,
    PeopleQuerySerializer,
    PersonPostSerializer,
    SearchQuerySerializer,
    TreeNodeSerializer,
    TreeQuerySerializer,
)

ERRORS = {
    400: OpenApiResponse(
        ApiErrorSerializer,
        description="mã định danh sai dạng (`invalid_agency_code`) hoặc tham số không hợp lệ",
    ),
    404: OpenApiResponse(
        ApiErrorSerializer, description="không có cơ quan này (`agency_not_found`)"
    ),
}


def _query(serializer_class, request: Request) -> dict:
    return query(serializer_class, request)


def tree_node(node: selectors.TreeNode) -> dict:
    a = node.agency
    return {
        "code": a.code,
        "legacy_code": a.legacy_code,
        "name": a.name,
        "short_name": a.short_name,
        "kind": a.kind,
        "status": a.status,
        "has_more": node.has_more,
        "children": [tree_node(child) for child in node.children],
    }


class AgencyTreeView(APIView):
    @extend_schema(
        operation_id="directory_agency_tree",
        summary="Cây cơ quan",
        description="Cây cơ quan dưới `root` (hoặc mọi cơ quan cấp cao nhất) tới độ sâu `depth`.",
        parameters=[TreeQuerySerializer],
        responses={200: TreeNodeSerializer(many=True), **ERRORS},
        tags=["directory"],
    )
    def get(self, request: Request) -> Response:
        params = _query(TreeQuerySerializer, request)
        root = selectors.get_agency(params["root"]) if params.get("root") else None
        nodes = selectors.tree(root, depth=params["depth"], include_closed=params["include_closed"])
        return Response([tree_node(n) for n in nodes])


class AgencyDetailView(APIView):
    @extend_schema(
        operation_id="directory_agency_detail",
        summary="Một cơ quan theo mã định danh",
        description="Nhận mã theo QĐ 20/2020 (`H99.03`) hoặc QCVN 102:2016 (`000.00.03.H99`).",
        parameters=[OpenApiParameter("code", str, OpenApiParameter.PATH)],
        responses={200: AgencyDetailSerializer, **ERRORS},
        tags=["directory"],
    )
    def get(self, request: Request, code: str) -> Response:
        agency = selectors.get_agency(code)
        payload = dict(AgencySerializer(agency).data)
        payload["ancestors"] = [_ref(a) for a in selectors.ancestors(agency)]
        payload["predecessors"] = [_ref(a) for a in selectors.predecessors(agency)]
        payload["org_units"] = [
            {"name": u.name, "short_name": u.short_name}
            for u in agency.org_units.filter(is_active=True)
        ]
        payload["events"] = AgencyEventSerializer(selectors.history(agency), many=True).data
        return Response(payload)


def _ref(agency) -> dict:
    return {"code": agency.code, "legacy_code": agency.legacy_code, "name": agency.name}


class AgencyListView(ListAPIView):
    serializer_class = AgencySerializer

    @extend_schema(
        operation_id="directory_agency_search",
        summary="Tìm cơ quan",
        description='Tìm không phân biệt dấu theo tên ("so tai chinh" tìm được "Sở Tài '
        'chính") hoặc theo mã định danh. Không có `q`: mọi cơ quan theo mã.',
        parameters=[SearchQuerySerializer],
        tags=["directory"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = _query(SearchQuerySerializer, self.request)
        if params["q"].strip():
            return selectors.search_agencies(
                params["q"], include_closed=params["include_closed"], limit=200
            )
        qs = selectors.Agency.objects.select_related("parent", "admin_unit", "successor")
        if not params["include_closed"]:
            qs = qs.active()
        return qs.order_by("code")


class AdminUnitListView(ListAPIView):
    serializer_class = AdminUnitSerializer

    @extend_schema(
        operation_id="directory_admin_units",
        summary="Đơn vị hành chính",
        description="Tỉnh, huyện (trước 2025), xã với mã số thống kê.",
        parameters=[AdminUnitQuerySerializer],
        tags=["directory"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = _query(AdminUnitQuerySerializer, self.request)
        return selectors.admin_units(level=params.get("level"), active=params.get("active"))


class PeopleSearchView(APIView):
    @extend_schema(
        operation_id="directory_people_search",
        summary="Tìm cán bộ theo họ tên",
        description="Không phân biệt dấu; mỗi vị trí công tác hiện tại là một dòng. Chỉ "
        "trường công khai (không có số điện thoại cá nhân); thư điện tử công vụ chỉ trả về "
        "cho cán bộ, công chức (với người dân là chuỗi rỗng).",
        parameters=[PeopleQuerySerializer],
        responses={200: PersonPostSerializer(many=True), 400: ERRORS[400]},
        tags=["directory"],
    )
    def get(self, request: Request) -> Response:
        params = _query(PeopleQuerySerializer, request)
        posts = selectors.search_people(params["q"], limit=100)
        data = PersonPostSerializer(posts, many=True).data
        if not getattr(request.user, "is_official", False):
            # Work e-mails double as login names: only officials see them.
            for row in data:
                row["email"] = ""
        return Response(data)
