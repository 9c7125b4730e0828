"""What this app's audit action codes mean, in words (merged into `audit.labels`)."""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

MODULE_LABEL: Promise = _("Liên thông văn bản")
ACTION_LABELS: dict[str, Promise] = {
    "exchange.send": _("Gửi văn bản qua trục liên thông"),
    "exchange.revoke": _("Thu hồi văn bản đã gửi liên thông"),
    "exchange.update": _("Cập nhật văn bản đã gửi liên thông"),
    "exchange.replace": _("Thay thế văn bản đã gửi liên thông"),
    "exchange.receive": _("Nhận gói tin liên thông"),
    "exchange.status": _("Nhận trạng thái xử lý từ nơi nhận"),
    "exchange.accept": _("Tiếp nhận văn bản liên thông"),
    "exchange.accept_business": _("Đồng ý thu hồi/cập nhật văn bản liên thông"),
    "exchange.refuse": _("Từ chối văn bản liên thông"),
    "exchange.save_endpoint": _("Cập nhật danh bạ liên thông"),
    "exchange.retry": _("Gửi lại gói tin liên thông"),
}
