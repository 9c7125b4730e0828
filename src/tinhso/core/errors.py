"""Domain errors: what a user can get wrong, with a Vietnamese message and a stable code.

Services raise these; the API turns them into `{"code": ..., "message": ...}` with a 4xx
status, and HTML views show the message. Anything else that escapes is a bug (a 500).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class CoreErrorCode(StrEnum):
    """Codes raised by the shared core (stored text, uploaded files)."""

    TEXT_TOO_LONG = "text_too_long"
    JSON_TOO_DEEP = "json_too_deep"
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

    code: str = "invalid"
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
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        return body


class ValidationFailed(DomainError):
    code = "validation_failed"
    message = "Dữ liệu không hợp lệ."


class NotFound(DomainError):
    code = "not_found"
    status = 404
    message = "Không tìm thấy đối tượng yêu cầu."


class PermissionDenied(DomainError):
    code = "permission_denied"
    status = 403
    message = "Bạn không có quyền thực hiện thao tác này."


class Conflict(DomainError):
    """Someone else changed the object first (optimistic locking) or it already exists."""

    code = "conflict"
    status = 409
    message = "Đối tượng đã được người khác thay đổi. Vui lòng tải lại và thử lại."


class InvalidTransition(DomainError):
    code = "invalid_transition"
    status = 409
    message = "Thao tác không được phép ở trạng thái hiện tại."
