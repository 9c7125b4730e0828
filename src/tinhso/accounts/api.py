"""REST endpoints of accounts: who am I."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tinhso.accounts import selectors
from tinhso.accounts.models import User
from tinhso.accounts.rules import is_platform_admin


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


class AccountsErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="accounts_me",
        summary="Tài khoản đang đăng nhập",
        description="Người dùng hiện tại và các vai trò được cấp ở từng cơ quan.",
        responses={200: MeSerializer, 401: AccountsErrorSerializer, 403: AccountsErrorSerializer},
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
