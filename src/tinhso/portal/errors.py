"""Error codes of the portal app (the `code` of a DomainError it raises). Only add."""

from __future__ import annotations

from enum import StrEnum

from tinhso.core.errors import DomainError


class PortalErrorCode(StrEnum):
    NO_ACCESS = "portal_no_access"
    NOT_FOUND = "portal_not_found"
    DOCUMENT_NOT_ISSUED = "portal_document_not_issued"
    DOCUMENT_CONFIDENTIAL = "portal_document_confidential"
    DOCUMENT_ALREADY_PUBLISHED = "portal_document_already_published"
    DOCUMENT_NOT_PUBLISHED = "portal_document_not_published"
    REASON_REQUIRED = "portal_reason_required"
    COMMENTS_CLOSED = "portal_comments_closed"
    COMMENT_REQUIRED = "portal_comment_required"
    COMMENT_TOO_LONG = "portal_comment_too_long"
    SIGN_IN_REQUIRED = "portal_sign_in_required"
    HOSTNAME_TAKEN = "portal_hostname_taken"
    INVALID_HOSTNAME = "portal_invalid_hostname"
    PORTAL_EXISTS = "portal_exists"
    APPROVER_LEFT = "portal_approver_left"


class PortalError(DomainError):
    code = PortalErrorCode.NO_ACCESS
    message = "Yêu cầu không hợp lệ."


class PortalNoAccess(PortalError):
    code = PortalErrorCode.NO_ACCESS
    status = 403
    message = "Bạn không có quyền thực hiện thao tác này trên cổng thông tin."
