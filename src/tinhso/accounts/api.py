"""REST endpoints of accounts: who am I, roles granted by agency administrators."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tinhso.accounts import selectors, services
from tinhso.accounts.errors import AccountsErrorCode
from tinhso.accounts.models import Role, User
from tinhso.accounts.rules import is_platform_admin
from tinhso.core.api import ApiErrorSerializer


class RoleSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="mã vai trò, ví dụ `leader`")
    name = serializers.CharField(help_text="tên vai trò (tiếng Việt)")


class AgencyRolesSerializer(serializers.Serializer):
    agency_code = serializers.CharField(help_text="mã định danh cơ quan")
    agency_name = serializers.CharField()
    roles = RoleSerializer(many=True)


class MeSerializer(serializers.Serializer):
    uid = serializers.UUIDField()
    username = serializers.CharField()
    full_name = serializers.CharField()
    email = serializers.EmailField(allow_blank=True)
    kind = serializers.ChoiceField(choices=User.Kind.choices)
    is_platform_admin = serializers.BooleanField()
    second_factor_enrolled = serializers.BooleanField()
    agencies = AgencyRolesSerializer(many=True, help_text="vai trò của người dùng theo cơ quan")


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="accounts_me",
        summary="Tài khoản đang đăng nhập",
        description="Người dùng hiện tại và các vai trò được cấp ở từng cơ quan.",
        responses={200: MeSerializer, 401: ApiErrorSerializer, 403: ApiErrorSerializer},
        tags=["accounts"],
    )
    def get(self, request: Request) -> Response:
        user = request.user
        data = {
            "uid": user.uid,
            "username": user.username,
            "full_name": user.full_name,
            "email": user.email,
            "kind": user.kind,
            "is_platform_admin": is_platform_admin(user),
            "second_factor_enrolled": user.totp_confirmed_at is not None,
            "agencies": [
                {
                    "agency_code": entry["agency"].code,
                    "agency_name": entry["agency"].name,
                    "roles": [{"code": code, "name": name} for code, name in entry["roles"]],
                }
                for entry in selectors.grants_by_agency(user)
            ],
        }
        return Response(MeSerializer(data).data)


# ---------------------------------------------------------------------------------------
# Roles in an agency (agency administrators; the same service as the roles page)


class RoleGrantSerializer(serializers.Serializer):
    user_uid = serializers.UUIDField(source="user.uid")
    username = serializers.CharField(source="user.username")
    full_name = serializers.CharField(source="user.full_name")
    role = serializers.ChoiceField(choices=Role.choices)
    granted_at = serializers.DateTimeField()


class RoleGrantInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, help_text="tên đăng nhập của cán bộ")
    role = serializers.ChoiceField(choices=Role.choices)


_ROLE_ERRORS = {
    400: OpenApiResponse(
        ApiErrorSerializer,
        description="`validation_failed`, `unknown_role`, `unknown_user`, `not_an_official`",
    ),
    401: ApiErrorSerializer,
    403: OpenApiResponse(
        ApiErrorSerializer,
        description="`agency_not_managed` (không quản trị cơ quan này), `self_grant` (tự cấp "
        "vai trò cho mình), `platform_admin_only`",
    ),
    404: OpenApiResponse(ApiErrorSerializer, description="`not_found`"),
    409: OpenApiResponse(ApiErrorSerializer, description="`last_agency_admin`"),
}


def _managed_agency(request: Request, code: str):
    from tinhso.accounts.rules import can
    from tinhso.core.errors import NotFound, PermissionDenied
    from tinhso.directory.models import Agency

    agency = Agency.objects.filter(code=code).first()
    if agency is None:
        raise NotFound("Không tìm thấy cơ quan.")
    if not can(request.user, "accounts.manage_roles", agency):
        raise PermissionDenied(
            "Bạn chỉ quản lý được vai trò trong cơ quan mình quản trị.",
            code=AccountsErrorCode.AGENCY_NOT_MANAGED,
        )
    return agency


class AgencyRolesView(APIView):
    @extend_schema(
        operation_id="accounts_agency_roles_list",
        summary="Vai trò đã cấp tại một cơ quan",
        responses={200: RoleGrantSerializer(many=True), **_ROLE_ERRORS},
        tags=["accounts"],
    )
    def get(self, request: Request, code: str) -> Response:
        agency = _managed_agency(request, code)
        return Response(RoleGrantSerializer(selectors.grants_in(agency), many=True).data)

    @extend_schema(
        operation_id="accounts_agency_roles_grant",
        summary="Cấp vai trò cho cán bộ tại cơ quan",
        description="Chỉ quản trị cơ quan (hoặc cơ quan cấp trên); không ai tự cấp vai trò "
        "cho chính mình.",
        request=RoleGrantInputSerializer,
        responses={201: RoleGrantSerializer, **_ROLE_ERRORS},
        tags=["accounts"],
    )
    def post(self, request: Request, code: str) -> Response:
        from tinhso.core.errors import ValidationFailed

        agency = _managed_agency(request, code)
        data = RoleGrantInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = User.objects.filter(username=data.validated_data["username"].strip()).first()
        if user is None or not user.is_active:
            raise ValidationFailed(
                "Không có tài khoản nào với tên đăng nhập này.",
                code=AccountsErrorCode.UNKNOWN_USER,
            )
        grant = services.assign_role(
            actor=request.user, user=user, agency=agency, role=data.validated_data["role"]
        )
        return Response(RoleGrantSerializer(grant).data, status=201)


class AgencyRoleDetailView(APIView):
    @extend_schema(
        operation_id="accounts_agency_roles_withdraw",
        summary="Thu hồi vai trò",
        responses={204: None, **_ROLE_ERRORS},
        tags=["accounts"],
    )
    def delete(self, request: Request, code: str, user_uid: str, role: str) -> Response:
        from tinhso.core.errors import NotFound

        agency = _managed_agency(request, code)
        user = User.objects.filter(uid=user_uid).first()
        if user is None:
            raise NotFound("Không tìm thấy tài khoản.")
        services.withdraw_role(actor=request.user, user=user, agency=agency, role=role)
        return Response(status=204)
