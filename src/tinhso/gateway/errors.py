"""Stable error codes of the gateway: the control plane's (publishing, consumers, rights)
and the data plane's answers to callers (one JSON shape, `dataplane.error_body`)."""

from __future__ import annotations

from enum import StrEnum

from tinhso.core.errors import Conflict, DomainError, NotFound, ValidationFailed


class GatewayErrorCode(StrEnum):
    # control plane
    INVALID_CODE = "gateway_invalid_code"
    CODE_TAKEN = "gateway_code_taken"
    INVALID_OPENAPI = "gateway_invalid_openapi"
    OPENAPI_UNREACHABLE = "gateway_openapi_unreachable"
    INVALID_URL = "gateway_invalid_url"
    REFRESH_NOT_CONFIRMED = "gateway_refresh_not_confirmed"
    NOTICE_REQUIRED = "gateway_notice_required"
    PROVIDER_NOT_FOUND = "gateway_provider_not_found"
    SERVICE_NOT_FOUND = "gateway_service_not_found"
    CONSUMER_NOT_FOUND = "gateway_consumer_not_found"
    ENDPOINT_NOT_OF_SERVICE = "gateway_endpoint_not_of_service"
    RIGHT_EXISTS = "gateway_right_exists"
    REQUEST_DECIDED = "gateway_request_decided"
    REQUEST_PENDING = "gateway_request_pending"
    ALREADY_GRANTED = "gateway_already_granted"
    INVALID_CERTIFICATE = "gateway_invalid_certificate"
    CONSENT_REQUIRED = "gateway_consent_required"
    CONNECTOR_FAILED = "gateway_connector_failed"
    CONNECTOR_NOT_CONFIGURED = "gateway_connector_not_configured"
    # data plane: the caller (consumer) failed
    MISSING_CREDENTIALS = "gateway_missing_credentials"
    INVALID_KEY = "gateway_invalid_key"
    EXPIRED_KEY = "gateway_expired_key"
    CONSUMER_INACTIVE = "gateway_consumer_inactive"
    UNKNOWN_SERVICE = "gateway_unknown_service"
    UNKNOWN_ENDPOINT = "gateway_unknown_endpoint"
    ACCESS_DENIED = "gateway_access_denied"
    RATE_LIMITED = "gateway_rate_limited"
    QUOTA_EXCEEDED = "gateway_quota_exceeded"
    BODY_TOO_LARGE = "gateway_body_too_large"
    BAD_REQUEST = "gateway_bad_request"
    # data plane: the gateway itself
    SERVICE_DISABLED = "gateway_service_disabled"
    LOG_UNAVAILABLE = "gateway_log_unavailable"
    INTERNAL = "gateway_internal_error"
    # data plane: the provider failed
    PROVIDER_TIMEOUT = "gateway_provider_timeout"
    PROVIDER_UNAVAILABLE = "gateway_provider_unavailable"
    PROVIDER_BAD_RESPONSE = "gateway_provider_bad_response"
    PROVIDER_RESPONSE_TOO_LARGE = "gateway_provider_response_too_large"


class GatewayError(DomainError):
    code: str = GatewayErrorCode.INVALID_CODE


class InvalidCode(ValidationFailed):
    code: str = GatewayErrorCode.INVALID_CODE
    message = (
        "Mã chỉ gồm chữ thường không dấu, chữ số và dấu gạch ngang (2–40 ký tự), "
        "bắt đầu bằng chữ cái."
    )


class CodeTaken(Conflict):
    code: str = GatewayErrorCode.CODE_TAKEN
    message = "Mã này đã được dùng."


class InvalidOpenAPI(ValidationFailed):
    code: str = GatewayErrorCode.INVALID_OPENAPI
    message = "Mô tả OpenAPI không hợp lệ (cần OpenAPI 3.x, JSON hoặc YAML, có `paths`)."


class OpenAPIUnreachable(ValidationFailed):
    code: str = GatewayErrorCode.OPENAPI_UNREACHABLE
    message = "Không tải được mô tả OpenAPI từ địa chỉ đã cho."


class InvalidUrl(ValidationFailed):
    code: str = GatewayErrorCode.INVALID_URL
    message = "Địa chỉ phải bắt đầu bằng http:// hoặc https://."


class RefreshNotConfirmed(Conflict):
    code: str = GatewayErrorCode.REFRESH_NOT_CONFIRMED
    message = "Mô tả dịch vụ đã thay đổi; hãy xem các thay đổi và xác nhận để áp dụng."


class NoticeRequired(ValidationFailed):
    code: str = GatewayErrorCode.NOTICE_REQUIRED
    message = "Cần nhập thông báo tạm ngừng để hiển thị cho hệ thống khai thác."


class ProviderNotFound(NotFound):
    code: str = GatewayErrorCode.PROVIDER_NOT_FOUND
    message = "Không tìm thấy hệ thống cung cấp."


class ServiceNotFound(NotFound):
    code: str = GatewayErrorCode.SERVICE_NOT_FOUND
    message = "Không tìm thấy dịch vụ."


class ConsumerNotFound(NotFound):
    code: str = GatewayErrorCode.CONSUMER_NOT_FOUND
    message = "Không tìm thấy hệ thống khai thác."


class EndpointNotOfService(ValidationFailed):
    code: str = GatewayErrorCode.ENDPOINT_NOT_OF_SERVICE
    message = "Điểm cuối không thuộc dịch vụ này."


class RightExists(Conflict):
    code: str = GatewayErrorCode.RIGHT_EXISTS
    message = "Quyền truy cập này đã được cấp."


class RequestDecided(Conflict):
    code: str = GatewayErrorCode.REQUEST_DECIDED
    message = "Yêu cầu này đã được xử lý."


class RequestPending(Conflict):
    code: str = GatewayErrorCode.REQUEST_PENDING
    message = "Đã có một yêu cầu đang chờ duyệt cho dịch vụ này."


class AlreadyGranted(Conflict):
    code: str = GatewayErrorCode.ALREADY_GRANTED
    message = "Hệ thống khai thác này đã được cấp quyền gọi dịch vụ (hoặc điểm cuối) này."


class InvalidCertificate(ValidationFailed):
    code: str = GatewayErrorCode.INVALID_CERTIFICATE
    message = "Chứng thư số không đọc được (cần tệp PEM X.509 còn hiệu lực)."


class ConsentRequired(ValidationFailed):
    code: str = GatewayErrorCode.CONSENT_REQUIRED
    message = "Cần có sự đồng ý của công dân trước khi tra cứu."


class ConnectorFailed(GatewayError):
    code: str = GatewayErrorCode.CONNECTOR_FAILED
    status = 502
    message = "Hệ thống quốc gia không trả lời được; yêu cầu sẽ được gửi lại."


class ConnectorNotConfigured(GatewayError):
    code: str = GatewayErrorCode.CONNECTOR_NOT_CONFIGURED
    status = 503
    message = "Kết nối tới hệ thống quốc gia chưa được cấu hình."


# The data plane's answers: code -> (HTTP status, who failed, Vietnamese message).
CONSUMER, GATEWAY, PROVIDER = "consumer", "gateway", "provider"
DATA_PLANE_ERRORS: dict[str, tuple[int, str, str]] = {
    GatewayErrorCode.MISSING_CREDENTIALS: (
        401,
        CONSUMER,
        "Thiếu thông tin xác thực: gửi khóa API trong tiêu đề X-Api-Key.",
    ),
    GatewayErrorCode.INVALID_KEY: (401, CONSUMER, "Khóa API không hợp lệ hoặc đã bị thu hồi."),
    GatewayErrorCode.EXPIRED_KEY: (401, CONSUMER, "Khóa API đã hết hạn."),
    GatewayErrorCode.CONSUMER_INACTIVE: (
        403,
        CONSUMER,
        "Hệ thống khai thác đang bị tạm khóa trên nền tảng.",
    ),
    GatewayErrorCode.UNKNOWN_SERVICE: (404, CONSUMER, "Không có dịch vụ này trên nền tảng."),
    GatewayErrorCode.UNKNOWN_ENDPOINT: (
        404,
        CONSUMER,
        "Dịch vụ không có điểm cuối (phương thức, đường dẫn) này.",
    ),
    GatewayErrorCode.ACCESS_DENIED: (
        403,
        CONSUMER,
        "Hệ thống khai thác chưa được cấp quyền gọi dịch vụ (hoặc điểm cuối) này.",
    ),
    GatewayErrorCode.RATE_LIMITED: (
        429,
        CONSUMER,
        "Vượt giới hạn số yêu cầu mỗi phút; vui lòng thử lại sau.",
    ),
    GatewayErrorCode.QUOTA_EXCEEDED: (429, CONSUMER, "Đã dùng hết hạn mức yêu cầu trong ngày."),
    GatewayErrorCode.BODY_TOO_LARGE: (
        413,
        CONSUMER,
        "Nội dung yêu cầu vượt quá kích thước cho phép.",
    ),
    GatewayErrorCode.BAD_REQUEST: (400, CONSUMER, "Yêu cầu không hợp lệ."),
    GatewayErrorCode.SERVICE_DISABLED: (503, GATEWAY, "Dịch vụ đang tạm ngừng."),
    GatewayErrorCode.LOG_UNAVAILABLE: (
        503,
        GATEWAY,
        "Không ghi được nhật ký giao dịch nên cổng tạm ngừng chuyển yêu cầu.",
    ),
    GatewayErrorCode.INTERNAL: (500, GATEWAY, "Cổng tích hợp gặp lỗi; lỗi đã được ghi lại."),
    GatewayErrorCode.PROVIDER_TIMEOUT: (
        504,
        PROVIDER,
        "Hệ thống cung cấp không trả lời trong thời gian cho phép.",
    ),
    GatewayErrorCode.PROVIDER_UNAVAILABLE: (
        502,
        PROVIDER,
        "Không kết nối được tới hệ thống cung cấp.",
    ),
    GatewayErrorCode.PROVIDER_BAD_RESPONSE: (
        502,
        PROVIDER,
        "Hệ thống cung cấp trả lời không đúng giao thức HTTP.",
    ),
    GatewayErrorCode.PROVIDER_RESPONSE_TOO_LARGE: (
        502,
        PROVIDER,
        "Câu trả lời của hệ thống cung cấp vượt quá kích thước cho phép.",
    ),
}
