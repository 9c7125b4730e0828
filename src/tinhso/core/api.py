"""API plumbing shared by every app: the error format, bounded input and the schema.

- Every API error is `{"code": ..., "message": ...}` (plus `details`), also for unknown
  `/api/` routes and server errors (`api_error_response`, used by the root URLconf's
  catch-all and by the project's error handlers).
- JSON bodies are parsed once, by `JSONParser`, with a bounded nesting depth.
- Integer inputs are bounded to their column (`IntegerField`, `column_integer`).
- The OpenAPI schema documents the error answers of every operation (`AutoSchema`) and
  publishes every registered error-code enum as the `ErrorCode` component
  (`publish_error_codes`).
"""

from __future__ import annotations

import math
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.validators import RegexValidator
from django.db.backends.base.operations import BaseDatabaseOperations
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from tinhso.core import dates
from tinhso.core.errors import CoreErrorCode, DomainError, all_error_codes
from tinhso.core.parsers import MAX_JSON_DEPTH, JSONParser, loads_json

__all__ = ["MAX_JSON_DEPTH", "JSONParser", "loads_json"]  # re-exported for the apps

API_PREFIX = "/api/"

_DRF_CODES = {
    exceptions.NotAuthenticated: (CoreErrorCode.NOT_AUTHENTICATED, "Bạn cần đăng nhập."),
    exceptions.AuthenticationFailed: (
        CoreErrorCode.AUTHENTICATION_FAILED,
        "Xác thực không thành công.",
    ),
    exceptions.PermissionDenied: (
        CoreErrorCode.PERMISSION_DENIED,
        "Bạn không có quyền thực hiện thao tác này.",
    ),
    exceptions.NotFound: (CoreErrorCode.NOT_FOUND, "Không tìm thấy đối tượng yêu cầu."),
    exceptions.MethodNotAllowed: (
        CoreErrorCode.METHOD_NOT_ALLOWED,
        "Phương thức không được hỗ trợ.",
    ),
    exceptions.NotAcceptable: (
        CoreErrorCode.NOT_ACCEPTABLE,
        "Không trả được kết quả theo định dạng yêu cầu.",
    ),
    exceptions.Throttled: (CoreErrorCode.THROTTLED, "Quá nhiều yêu cầu, vui lòng thử lại sau."),
    exceptions.ParseError: (CoreErrorCode.PARSE_ERROR, "Dữ liệu gửi lên không đọc được."),
    exceptions.UnsupportedMediaType: (
        CoreErrorCode.UNSUPPORTED_MEDIA_TYPE,
        "Kiểu dữ liệu không được hỗ trợ.",
    ),
    exceptions.ValidationError: (CoreErrorCode.VALIDATION_FAILED, "Dữ liệu không hợp lệ."),
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
    code, message = CoreErrorCode.ERROR, "Có lỗi xảy ra."
    for klass, (known_code, known_message) in _DRF_CODES.items():
        if isinstance(exc, klass):
            code, message = known_code, known_message
            break
    body: dict[str, Any] = {"code": str(code), "message": message}
    if isinstance(exc, exceptions.ValidationError):
        body["details"] = response.data
    elif isinstance(response.data, dict) and "detail" in response.data and code == "error":
        body["message"] = str(response.data["detail"])
    response.data = body
    return response


# ---------------------------------------------------------------------------------------
# Answers of plain Django views on hot paths (e.g. the public dossier lookup), byte for
# byte what a DRF view of the same operation answers, without DRF's request wrapper,
# content negotiation and serializers.

_RENDERER = JSONRenderer()


def json_response(
    data: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> HttpResponse:
    """`data` as DRF's JSON renderer writes it (compact UTF-8, U+2028/2029 escaped)."""
    return HttpResponse(
        _RENDERER.render(data), status=status, content_type="application/json", headers=headers
    )


def domain_error_json(err: DomainError, *, headers: dict[str, str] | None = None) -> HttpResponse:
    """A domain error as `exception_handler` answers it."""
    return json_response(err.as_dict(), status=err.status, headers=headers)


def throttled_json(wait: float | None, *, headers: dict[str, str] | None = None) -> HttpResponse:
    """A DRF throttle's refusal as `exception_handler` answers it: 429, `throttled`, and
    Retry-After in whole seconds (rounded up) when the throttle says how long."""
    code, message = _DRF_CODES[exceptions.Throttled]
    headers = dict(headers or {})
    if wait is not None:
        headers["Retry-After"] = str(math.ceil(wait))
    return json_response({"code": str(code), "message": message}, status=429, headers=headers)


def error_response(err: DomainError) -> Response:
    return Response(err.as_dict(), status=err.status or status.HTTP_400_BAD_REQUEST)


class ApiErrorSerializer(serializers.Serializer):
    """The body of every API error (for `@extend_schema(responses={400: ApiErrorSerializer})`)."""

    code = serializers.CharField(
        help_text="mã lỗi ổn định, một giá trị của `ErrorCode`, ví dụ `agency_not_found`"
    )
    message = serializers.CharField(help_text="thông báo tiếng Việt cho người dùng")
    details = serializers.JSONField(required=False, help_text="chi tiết theo từng trường")


# ---------------------------------------------------------------------------------------
# Answers outside DRF's views: unknown /api/ routes and server errors under /api/

_PLAIN_ANSWERS = {
    400: (CoreErrorCode.BAD_REQUEST, "Yêu cầu không hợp lệ."),
    403: (CoreErrorCode.PERMISSION_DENIED, "Bạn không có quyền thực hiện thao tác này."),
    404: (CoreErrorCode.NOT_FOUND, "Không tìm thấy địa chỉ API này."),
    500: (CoreErrorCode.SERVER_ERROR, "Máy chủ gặp lỗi; lỗi đã được ghi lại để xử lý."),
}


def is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIX)


def api_error_response(status_code: int) -> JsonResponse:
    code, message = _PLAIN_ANSWERS[status_code]
    return JsonResponse({"code": str(code), "message": message}, status=status_code)


@csrf_exempt
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """The catch-all of /api/: an unknown route is a JSON 404, whatever the method."""
    return api_error_response(404)


# ---------------------------------------------------------------------------------------
# Bounded input

# Inclusive value ranges of the database's integer columns (the same on every backend).
COLUMN_RANGES: dict[str, tuple[int, int]] = dict(BaseDatabaseOperations.integer_field_ranges)
INT_MIN, INT_MAX = COLUMN_RANGES["IntegerField"]


class IntegerField(serializers.IntegerField):
    """An integer input bounded to a 32-bit column unless told otherwise: a value beyond
    the column is a 400 validation error, never a database overflow."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", INT_MIN)
        kwargs.setdefault("max_value", INT_MAX)
        super().__init__(**kwargs)


class JSONBooleanField(serializers.BooleanField):
    """A JSON body's true/false: DRF's own also takes 0, 1, "yes" — a form's spellings —
    which a JSON-only operation's schema does not allow."""

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class JSONCharField(serializers.CharField):
    """A JSON body's string: DRF's own also takes a number and turns it into text."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


def column_integer(model: Any, field_name: str, **kwargs: Any) -> IntegerField:
    """An integer input bounded to the range of `model.field_name`'s column."""
    column = model._meta.get_field(field_name)
    if column.is_relation:  # a foreign key holds the referenced primary key
        column = column.target_field
    internal_type = column.get_internal_type()
    low, high = COLUMN_RANGES[internal_type]
    kwargs["min_value"] = max(low, kwargs.get("min_value", low))
    kwargs["max_value"] = min(high, kwargs.get("max_value", high))
    return IntegerField(**kwargs)


_NUL_MESSAGE = "Không được chứa ký tự NUL."


class _ColumnText:
    """A text input for a column: longer than the column (as sent) is refused with the
    error the service gives (400 `text_too_long`, `details.field` naming the field); the
    text is then cleaned as the column stores it (`tinhso.core.textguard`: NFC, control
    characters removed) before the usual checks (blank, length) run on what is left."""

    column: Any
    max_length: int | None

    def run_validation(self, data=serializers.empty):
        from tinhso.core.textguard import _too_long, guard_value

        if isinstance(data, str):
            if "\x00" in data:  # refused like every other API text (the schema says so)
                raise serializers.ValidationError(_NUL_MESSAGE, code="null_characters_not_allowed")
            if self.max_length is not None and len(data) > self.max_length:
                raise _too_long(self.column, len(data), self.max_length)
            data = guard_value(self.column, data)
        return super().run_validation(data)  # type: ignore[misc]


class ColumnCharField(_ColumnText, serializers.CharField):
    def __init__(self, *, column: Any, **kwargs: Any) -> None:
        self.column = column
        super().__init__(**kwargs)


class ColumnEmailField(_ColumnText, serializers.EmailField):
    def __init__(self, *, column: Any, **kwargs: Any) -> None:
        self.column = column
        super().__init__(**kwargs)


def column_text(model: Any, field_name: str, **kwargs: Any) -> serializers.CharField:
    """A text input for `model.field_name`: documented with the column's maximum length,
    cleaned and checked like the column (an e-mail column gives an e-mail field). Page,
    API and service thus refuse the same text with the same code."""
    from django.db import models as dj

    column = model._meta.get_field(field_name)
    if column.max_length:
        kwargs.setdefault("max_length", column.max_length)
    if isinstance(column, dj.EmailField):
        return ColumnEmailField(column=column, **kwargs)
    return ColumnCharField(column=column, **kwargs)


def query(serializer_class: type[serializers.Serializer], request: Any) -> dict[str, Any]:
    """Validated query parameters, read as sent: an empty `?level=` is an empty value (not
    a missing one) and is refused where the schema does not allow it; the last value wins
    when a parameter is repeated. Invalid parameters are a 400 `validation_failed`; a
    paged list's `limit`/`offset` out of range is a 400 `invalid_pagination`, as on every
    other API list."""
    # The declared fields, read off the class: instantiating the serializer to look would
    # deep-copy every field once more on each call (query serializers declare theirs).
    fields = getattr(serializer_class, "_declared_fields", None) or serializer_class().fields
    if "limit" in fields or "offset" in fields:
        from tinhso.core.pagination import MAX_LIMIT, page_params

        limit = fields.get("limit")
        page_params(request.query_params, max_limit=getattr(limit, "max_value", None) or MAX_LIMIT)
    serializer = serializer_class(data=request.query_params.dict())
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


# ---------------------------------------------------------------------------------------
# OpenAPI schema


# DRF refuses NUL characters in any text, and a text left blank once trimmed where a
# value is required: the schema says so (ECMA-262 patterns, as OpenAPI uses).
TEXT_PATTERN = r"^[^\u0000]*$"
VISIBLE_TEXT_PATTERN = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"
# Column texts are cleaned (tinhso.core.text.clean_text): one character must survive.
STORED_VISIBLE_PATTERN = r"[^\s\u0000-\u0008\u000b-\u001f\u007f-\u009f\ufffe\uffff]"


class AutoSchema(SpectacularAutoSchema):
    """Documents the error answers every operation can give, with the `ApiError` body:
    400 (bad input), 401/403 (authentication, permission), 404, 409 (state, conflicting
    change), 415 (body media type), 429 (rate limit). An operation's own description of
    a status (its error codes) wins over this generic one."""

    def _error_statuses(self) -> list[int]:
        view = self.view
        method = self.method.upper()
        statuses = [400, 404]
        authenticators = getattr(view, "authentication_classes", None)
        permissions = getattr(view, "permission_classes", None) or []
        if authenticators:
            statuses.append(401)  # a wrong token is refused even where no login is needed
        if authenticators or any(p is not AllowAny for p in permissions):
            statuses.append(403)
        if method in {"POST", "PUT", "PATCH", "DELETE"}:
            statuses += [409, 415] if method != "DELETE" else [409]
        if getattr(view, "throttle_classes", None):
            statuses.append(429)
        return sorted(statuses)

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        """Inputs as they are validated: a date within the platform's range, a text
        without NUL characters and, where a blank value is refused, with a visible one."""
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if direction != "request" or not isinstance(schema, dict):
            return schema
        if isinstance(field, dates.DateField):
            schema.setdefault("pattern", dates.DATE_PATTERN)
        elif isinstance(field, _ColumnText):
            # control characters are removed, not refused: what must remain is something
            if not field.allow_blank and "format" not in schema:
                schema.setdefault("pattern", STORED_VISIBLE_PATTERN)
        elif (
            isinstance(field, serializers.CharField)
            and schema.get("type") == "string"
            and not {"format", "pattern", "enum"} & set(schema)
            and not any(isinstance(v, RegexValidator) for v in field.validators)
        ):
            blank_ok = field.allow_blank or not field.trim_whitespace
            schema["pattern"] = TEXT_PATTERN if blank_ok else VISIBLE_TEXT_PATTERN
        return schema

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code in self._error_statuses():
            if str(code) not in responses:
                responses[str(code)] = self._get_response_for_code(
                    ApiErrorSerializer, str(code), direction=direction
                )
        return dict(sorted(responses.items()))


def publish_error_codes(result: dict, generator: Any, request: Any, public: bool) -> dict:
    """drf-spectacular postprocessing hook: every registered error-code enum's values as
    the `ErrorCode` component, referenced by `ApiError.code`."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["ErrorCode"] = {
        "type": "string",
        "enum": all_error_codes(),
        "description": "Mã lỗi ổn định của mọi câu trả lời lỗi (`ApiError.code`): các giá trị "
        "của enum mã lỗi của từng phân hệ (`<app>/errors.py`).",
    }
    return result


def without_cms_endpoints(endpoints, **kwargs):
    """drf-spectacular preprocessing: leave out Wagtail's internal editor API (/cms/), which
    serves the CMS's own pages, is not a platform API and cannot be described without a
    request."""
    return [endpoint for endpoint in endpoints if not endpoint[0].startswith("/cms/")]
