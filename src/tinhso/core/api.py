"""API plumbing shared by every app: the error format and small helpers."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from tinhso.core.errors import DomainError

_DRF_CODES = {
    exceptions.NotAuthenticated: ("not_authenticated", "Bạn cần đăng nhập."),
    exceptions.AuthenticationFailed: ("authentication_failed", "Xác thực không thành công."),
    exceptions.PermissionDenied: (
        "permission_denied",
        "Bạn không có quyền thực hiện thao tác này.",
    ),
    exceptions.NotFound: ("not_found", "Không tìm thấy đối tượng yêu cầu."),
    exceptions.MethodNotAllowed: ("method_not_allowed", "Phương thức không được hỗ trợ."),
    exceptions.Throttled: ("throttled", "Quá nhiều yêu cầu, vui lòng thử lại sau."),
    exceptions.ParseError: ("parse_error", "Dữ liệu gửi lên không đọc được."),
    exceptions.UnsupportedMediaType: ("unsupported_media_type", "Kiểu dữ liệu không được hỗ trợ."),
    exceptions.ValidationError: ("validation_failed", "Dữ liệu không hợp lệ."),
}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every API error is `{"code": ..., "message": ...}` (plus `details` when useful)."""
    if isinstance(exc, DomainError):
        return Response(exc.as_dict(), status=exc.status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    code, message = "error", "Có lỗi xảy ra."
    for klass, (known_code, known_message) in _DRF_CODES.items():
        if isinstance(exc, klass):
            code, message = known_code, known_message
            break
    body: dict[str, Any] = {"code": code, "message": message}
    if isinstance(exc, exceptions.ValidationError):
        body["details"] = response.data
    elif isinstance(response.data, dict) and "detail" in response.data and code == "error":
        body["message"] = str(response.data["detail"])
    response.data = body
    return response


def error_response(err: DomainError) -> Response:
    return Response(err.as_dict(), status=err.status or status.HTTP_400_BAD_REQUEST)


class ApiErrorSerializer(serializers.Serializer):
    """The body of every API error (for `@extend_schema(responses={400: ApiErrorSerializer})`)."""

    code = serializers.CharField(help_text="mã lỗi ổn định, ví dụ `agency_not_found`")
    message = serializers.CharField(help_text="thông báo tiếng Việt cho người dùng")
    details = serializers.JSONField(required=False)
