"""Domain errors: what a user can get wrong, with a Vietnamese message and a stable code.

Services raise these; the API turns them into `{"code": ..., "message": ...}` with a 4xx
status, and HTML views show the message. Anything else that escapes is a bug (a 500).
"""

from __future__ import annotations

import importlib
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

_E = TypeVar("_E", bound=type[StrEnum])
_REGISTRY: dict[str, type[StrEnum]] = {}


def error_codes(enum: _E) -> _E:
    """Register an error-code enum defined outside an `errors.py` module (those are found
    on their own): its values are published in the OpenAPI schema as `ErrorCode`."""
    _REGISTRY[f"{enum.__module__}.{enum.__qualname__}"] = enum
    return enum


def _errors_modules() -> list[str]:
    """`tinhso.<app>.errors` and `tinhso.<app>.<package>.errors` of every installed app."""
    from django.apps import apps

    names = []
    for config in apps.get_app_configs():
        if not config.name.startswith("tinhso."):
            continue
        root = Path(config.path)
        for path in sorted(root.rglob("errors.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if "migrations" in parts or "tests" in parts:
                continue
            names.append(".".join([config.name, *parts]))
    return names


def registered_error_codes() -> list[type[StrEnum]]:
    """Every error-code enum: those registered with `@error_codes` and every StrEnum defined
    in an app's `errors.py` (e.g. `tinhso.onestop.payments.errors.PaymentErrorCode`)."""
    for name in _errors_modules():
        module = importlib.import_module(name)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, StrEnum)
                and value is not StrEnum
                and value.__module__ == name
            ):
                _REGISTRY.setdefault(f"{name}.{value.__qualname__}", value)
    return [_REGISTRY[key] for key in sorted(_REGISTRY)]


def all_error_codes() -> list[str]:
    """The sorted, de-duplicated values of every registered enum."""
    return sorted({str(member) for enum in registered_error_codes() for member in enum})


@error_codes
class CoreErrorCode(StrEnum):
    """Codes shared by every app: the generic domain errors and the API's own answers."""

    INVALID = "invalid"
    VALIDATION_FAILED = "validation_failed"
    NOT_FOUND = "not_found"
    PERMISSION_DENIED = "permission_denied"
    CONFLICT = "conflict"
    INVALID_TRANSITION = "invalid_transition"
    # answers of the API layer (authentication, parsing, throttling, routing)
    NOT_AUTHENTICATED = "not_authenticated"
    AUTHENTICATION_FAILED = "authentication_failed"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    NOT_ACCEPTABLE = "not_acceptable"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    THROTTLED = "throttled"
    PARSE_ERROR = "parse_error"
    BAD_REQUEST = "bad_request"
    SERVER_ERROR = "server_error"
    ERROR = "error"
    # faults of the platform itself (tinhso.core.faults): retry later
    DATABASE_UNAVAILABLE = "database_unavailable"
    STORAGE_FULL = "storage_full"
    # bounded input
    INVALID_PAGINATION = "invalid_pagination"
    DATE_OUT_OF_RANGE = "date_out_of_range"
    # stored text (tinhso.core.textguard)
    TEXT_TOO_LONG = "text_too_long"
    JSON_TOO_DEEP = "json_too_deep"
    # uploaded files (tinhso.core.files, tinhso.core.pdf)
    FILE_TYPE_NOT_ALLOWED = "file_type_not_allowed"
    FILE_TOO_LARGE = "file_too_large"
    FILE_CONTENT_MISMATCH = "file_content_mismatch"
    INVALID_PDF = "invalid_pdf"
    ENCRYPTED_PDF = "encrypted_pdf"
    PDF_ACTIVE_CONTENT = "pdf_active_content"
    INVALID_XML = "invalid_xml"
    XML_DTD_FORBIDDEN = "xml_dtd_forbidden"


class DomainError(Exception):
    """Base of every user-facing error. `code` is stable and machine-readable."""

    code: str = CoreErrorCode.INVALID
    status: int = 400
    message: str = "Yêu cầu không hợp lệ."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        details: Any = None,
        status: int | None = None,
    ) -> None:
        self.message = message or self.message
        self.code = code or self.code
        self.details = details
        if status is not None:
            self.status = status
        super().__init__(self.message)

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": str(self.code), "message": str(self.message)}
        if self.details is not None:
            body["details"] = self.details
        return body


class ValidationFailed(DomainError):
    code: str = CoreErrorCode.VALIDATION_FAILED
    message = "Dữ liệu không hợp lệ."


class NotFound(DomainError):
    code: str = CoreErrorCode.NOT_FOUND
    status = 404
    message = "Không tìm thấy đối tượng yêu cầu."


class PermissionDenied(DomainError):
    code: str = CoreErrorCode.PERMISSION_DENIED
    status = 403
    message = "Bạn không có quyền thực hiện thao tác này."


class Conflict(DomainError):
    """Someone else changed the object first (optimistic locking) or it already exists."""

    code: str = CoreErrorCode.CONFLICT
    status = 409
    message = "Đối tượng đã được người khác thay đổi. Vui lòng tải lại và thử lại."


class StorageFull(DomainError):
    """The disk (or the quota) is full: the file was not stored, nothing was recorded.

    Not the user's fault, but raised where they can be told, like a domain error: the
    page shows the message, the API answers 507 with the code; the transaction that
    wanted the file rolls back."""

    code: str = CoreErrorCode.STORAGE_FULL
    status = 507
    message = (
        "Máy chủ đã hết dung lượng lưu trữ nên chưa lưu được tệp; chưa có gì được ghi "
        "nhận. Vui lòng thử lại sau; nếu vẫn lỗi, hãy báo quản trị hệ thống."
    )


class InvalidTransition(DomainError):
    code: str = CoreErrorCode.INVALID_TRANSITION
    status = 409
    message = "Thao tác không được phép ở trạng thái hiện tại."
