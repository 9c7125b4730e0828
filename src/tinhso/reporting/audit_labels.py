"""What this app's audit action codes mean, in words (merged into `audit.labels`)."""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

MODULE_LABEL: Promise = _("Báo cáo, chỉ tiêu")
ACTION_LABELS: dict[str, Promise] = {
    "create_definition": _("Ban hành chế độ báo cáo"),
    "publish_template": _("Ban hành biểu mẫu số liệu mới"),
    "save_report": _("Lưu số liệu báo cáo"),
    "send_report_for_approval": _("Trình lãnh đạo ký duyệt báo cáo"),
    "approve_report": _("Ký duyệt và gửi báo cáo"),
    "send_back_report": _("Trả lại người soạn báo cáo"),
    "return_report": _("Trả lại báo cáo để chỉnh sửa"),
    "lock_period": _("Khóa sổ kỳ báo cáo"),
}
