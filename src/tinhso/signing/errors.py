"""Domain errors of signing: a Vietnamese message and a stable code each."""

from tinhso.core.errors import DomainError, NotFound, ValidationFailed


class InvalidPdf(ValidationFailed):
    code = "invalid_pdf"
    message = "Tệp không phải là PDF hợp lệ hoặc đã bị hỏng."


class EncryptedPdf(ValidationFailed):
    code = "encrypted_pdf"
    message = "Tệp PDF đã được mã hóa (có mật khẩu); không thể ký hoặc kiểm tra."


class NoCertificate(DomainError):
    code = "no_certificate"
    message = "Không có chứng thư số còn hiệu lực để ký."


class CertificateExpired(DomainError):
    code = "certificate_expired"
    message = "Chứng thư số đã hết hạn (hoặc chưa đến thời điểm có hiệu lực); không thể ký."


class CertificateRevoked(DomainError):
    code = "certificate_revoked"
    message = "Chứng thư số đã bị thu hồi; không thể ký."


class CertificateUntrusted(DomainError):
    code = "certificate_untrusted"
    message = "Chứng thư số không do tổ chức cung cấp dịch vụ chứng thực được tin cậy cấp."


class InvalidCertificate(ValidationFailed):
    code = "invalid_certificate"
    message = "Không đọc được chứng thư số (cần định dạng PEM hoặc DER)."


class SignatureMismatch(ValidationFailed):
    code = "signature_mismatch"
    message = "Chữ ký gửi lên không khớp với tài liệu đã chuẩn bị hoặc với chứng thư số."


class SessionNotFound(NotFound):
    code = "signing_session_not_found"
    message = "Không tìm thấy phiên ký hoặc phiên ký đã hết hạn."


class SigningFailed(DomainError):
    code = "signing_failed"
    message = "Không ký được tài liệu."
