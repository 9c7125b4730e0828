"""Error codes of the document exchange: every refusal has a stable code and a Vietnamese
reason. The same codes travel back to a sender in the HTTP answer and, where the
standard allows, in status 02."""

from __future__ import annotations

from enum import StrEnum

from tinhso.core.errors import Conflict, DomainError, NotFound, ValidationFailed


class ExchangeErrorCode(StrEnum):
    # reading a package
    PACKAGE_TOO_LARGE = "package_too_large"
    MALFORMED_BATCH = "malformed_batch"
    PACKAGE_EMPTY = "package_empty"
    MALFORMED_XML = "malformed_xml"
    XML_DTD_FORBIDDEN = "xml_dtd_forbidden"
    NOT_EDXML = "not_edxml"
    SCHEMA_INVALID = "schema_invalid"
    INVALID_DOCUMENT_ID = "invalid_document_id"
    INVALID_DATE = "invalid_date"
    BAD_BASE64 = "bad_base64"
    ATTACHMENT_MISSING = "attachment_missing"
    NO_MAIN_PDF = "no_main_pdf"
    BROKEN_PDF = "broken_pdf"
    PDF_SIGNATURE_BROKEN = "pdf_signature_broken"
    # the package's XML signature
    SIGNATURE_MISSING = "signature_missing"
    SIGNATURE_INVALID = "signature_invalid"
    CERTIFICATE_UNTRUSTED = "certificate_untrusted"
    CERTIFICATE_REVOKED = "certificate_revoked"
    CERTIFICATE_EXPIRED = "certificate_expired"
    SIGNER_NOT_SENDER = "signer_not_sender"
    NO_SEAL_CERTIFICATE = "no_seal_certificate"
    # addressing
    UNKNOWN_AGENCY = "unknown_agency"
    UNKNOWN_SENDER = "unknown_sender"
    NOT_FOR_THIS_INSTANCE = "not_for_this_instance"
    INVALID_AGENCY_CODE = "invalid_agency_code"
    ENDPOINT_EXISTS = "endpoint_exists"
    ENDPOINT_URL_REQUIRED = "endpoint_url_required"
    # idempotency and order
    DUPLICATE_DIFFERENT_CONTENT = "duplicate_different_content"
    UNKNOWN_DOCUMENT = "unknown_document"
    STATUS_FOR_UNSENT = "status_for_unsent"
    # the clerk's decisions
    ALREADY_DECIDED = "already_decided"
    REASON_REQUIRED = "reason_required"
    NOT_A_DOCUMENT_PACKAGE = "not_a_document_package"
    NOT_SENT_BY_EXCHANGE = "not_sent_by_exchange"
    NO_EXCHANGE_RECIPIENTS = "no_exchange_recipients"
    INVALID_BUSINESS_TYPE = "invalid_business_type"
    NOT_DEAD = "not_dead"


E = ExchangeErrorCode


class PackageRefused(ValidationFailed):
    """A package (or status) that is refused as a whole: nothing of it is kept."""

    code: str = E.SCHEMA_INVALID
    message = "Gói tin edXML không hợp lệ."


class SignatureRefused(PackageRefused):
    code: str = E.SIGNATURE_INVALID
    message = "Chữ ký số của gói tin không hợp lệ: nội dung đã bị thay đổi sau khi ký."


class PackageTooLarge(PackageRefused):
    code: str = E.PACKAGE_TOO_LARGE
    status = 413
    message = "Gói tin vượt quá dung lượng cho phép."


class DuplicateConflict(Conflict):
    code: str = E.DUPLICATE_DIFFERENT_CONTENT
    message = (
        "Đã nhận một gói tin khác cùng mã văn bản (DocumentId) từ cơ quan gửi này; "
        "gói tin mới có nội dung khác nên bị từ chối."
    )


class UnknownAgency(ValidationFailed):
    code: str = E.UNKNOWN_AGENCY
    message = "Không có mã định danh cơ quan này trong danh bạ liên thông."


class ExchangeNotFound(NotFound):
    message = "Không tìm thấy gói tin."


class ExchangeError(DomainError):
    pass
