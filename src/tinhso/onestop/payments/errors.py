"""Error codes of payments (stable strings: clients compare them) and their domain errors."""

from __future__ import annotations

from enum import StrEnum

from tinhso.core.errors import DomainError, InvalidTransition, NotFound, ValidationFailed


class PaymentErrorCode(StrEnum):
    PROVIDER_UNKNOWN = "payment_provider_unknown"
    PROVIDER_UNAVAILABLE = "payment_provider_unavailable"
    NOT_PENDING = "payment_not_pending"
    NO_PENDING_PAYMENT = "no_pending_payment"
    INVALID_AMOUNT = "invalid_amount"
    CALLBACK_TOO_LARGE = "callback_too_large"
    CALLBACK_RATE_LIMITED = "callback_rate_limited"
    CALLBACK_MALFORMED = "callback_malformed"
    RECEIPT_NOT_AVAILABLE = "receipt_not_available"


class ProviderUnknown(NotFound):
    """The provider named in a URL is not one this platform has enabled."""

    code = PaymentErrorCode.PROVIDER_UNKNOWN
    message = "Không có cổng thanh toán này."


class ProviderUnavailable(InvalidTransition):
    """No online payment provider is configured (fees are then paid at the counter)."""

    code = PaymentErrorCode.PROVIDER_UNAVAILABLE
    message = (
        "Chưa có cổng thanh toán trực tuyến nào được cấu hình. Vui lòng nộp phí, lệ phí "
        "tại Bộ phận Một cửa."
    )


class PaymentNotPending(InvalidTransition):
    code = PaymentErrorCode.NOT_PENDING
    message = "Khoản thanh toán này không còn chờ thanh toán."


class NoPendingPayment(NotFound):
    code = PaymentErrorCode.NO_PENDING_PAYMENT
    message = "Không có khoản nào chờ thanh toán."


class InvalidAmount(ValidationFailed):
    code = PaymentErrorCode.INVALID_AMOUNT
    message = "Số tiền không hợp lệ."


class CallbackTooLarge(DomainError):
    code = PaymentErrorCode.CALLBACK_TOO_LARGE
    status = 413
    message = "Thông báo thanh toán quá lớn."


class CallbackRateLimited(DomainError):
    code = PaymentErrorCode.CALLBACK_RATE_LIMITED
    status = 429
    message = "Quá nhiều thông báo thanh toán từ địa chỉ này; vui lòng thử lại sau."


class CallbackMalformed(ValidationFailed):
    code = PaymentErrorCode.CALLBACK_MALFORMED
    message = "Thông báo thanh toán không đúng định dạng."


class ReceiptNotAvailable(NotFound):
    code = PaymentErrorCode.RECEIPT_NOT_AVAILABLE
    message = "Không có biên lai cho khoản thanh toán này."
