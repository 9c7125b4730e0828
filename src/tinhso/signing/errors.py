"""Domain errors of signing: a Vietnamese message and a stable code each."""

from enum import StrEnum

from tinhso.core.errors import DomainError, NotFound, ValidationFailed


class SigningErrorCode(StrEnum):
    """The stable codes of signing's errors (values never change, only added)."""

    AGENCY_REQUIRED = "agency_required"
    CA_WITHOUT_KEY = "ca_without_key"
    CERTIFICATE_EXPIRED = "certificate_expired"
    CERTIFICATE_MISMATCH = "certificate_mismatch"
    CERTIFICATE_NOT_REGISTERED = "certificate_not_registered"
    CERTIFICATE_REVOKED = "certificate_revoked"
    CERTIFICATE_TAKEN = "certificate_taken"
    CERTIFICATE_UNTRUSTED = "certificate_untrusted"
    CRL_ISSUER_UNKNOWN = "crl_issuer_unknown"
    DOCUMENT_LOCKED = "document_locked"
    ENCRYPTED_PDF = "encrypted_pdf"
    FILE_REQUIRED = "file_required"
    FILE_TOO_LARGE = "file_too_large"
    IMAGE_NOT_PNG = "image_not_png"
    IMAGE_NOT_TRANSPARENT = "image_not_transparent"
    INVALID_CERTIFICATE = "invalid_certificate"
    INVALID_CRL = "invalid_crl"
    INVALID_PDF = "invalid_pdf"
    INVALID_SIGNATURE_ENCODING = "invalid_signature_encoding"
    INVALID_SIGNATURE_KIND = "invalid_signature_kind"
    NO_CERTIFICATE = "no_certificate"
    NOT_A_CA_CERTIFICATE = "not_a_ca_certificate"
    NOT_A_SIGNING_CERTIFICATE = "not_a_signing_certificate"
    PKCS11_ERROR = "pkcs11_error"
    SIGNATURE_MISMATCH = "signature_mismatch"
    SIGNING_FAILED = "signing_failed"
    SIGNING_SESSION_NOT_FOUND = "signing_session_not_found"
    TSA_UNAVAILABLE = "tsa_unavailable"
    UNSUPPORTED_KEY = "unsupported_key"


class InvalidPdf(ValidationFailed):
    code = SigningErrorCode.INVALID_PDF
    message = "Tệp không phải là PDF hợp lệ hoặc đã bị hỏng."


class EncryptedPdf(ValidationFailed):
    code = SigningErrorCode.ENCRYPTED_PDF
    message = "Tệp PDF đã được mã hóa (có mật khẩu); không thể ký hoặc kiểm tra."


class NoCertificate(DomainError):
    code = SigningErrorCode.NO_CERTIFICATE
    message = "Không có chứng thư số còn hiệu lực để ký."


class CertificateExpired(DomainError):
    code = SigningErrorCode.CERTIFICATE_EXPIRED
    message = "Chứng thư số đã hết hạn (hoặc chưa đến thời điểm có hiệu lực); không thể ký."


class CertificateRevoked(DomainError):
    code = SigningErrorCode.CERTIFICATE_REVOKED
    message = "Chứng thư số đã bị thu hồi; không thể ký."


class CertificateUntrusted(DomainError):
    code = SigningErrorCode.CERTIFICATE_UNTRUSTED
    message = "Chứng thư số không do tổ chức cung cấp dịch vụ chứng thực được tin cậy cấp."


class InvalidCertificate(ValidationFailed):
    code = SigningErrorCode.INVALID_CERTIFICATE
    message = "Không đọc được chứng thư số (cần định dạng PEM hoặc DER)."


class SignatureMismatch(ValidationFailed):
    code = SigningErrorCode.SIGNATURE_MISMATCH
    message = "Chữ ký gửi lên không khớp với tài liệu đã chuẩn bị hoặc với chứng thư số."


class SessionNotFound(NotFound):
    code = SigningErrorCode.SIGNING_SESSION_NOT_FOUND
    message = "Không tìm thấy phiên ký hoặc phiên ký đã hết hạn."


class SigningFailed(DomainError):
    code = SigningErrorCode.SIGNING_FAILED
    message = "Không ký được tài liệu."
