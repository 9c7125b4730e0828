"""What this app's audit action codes mean, in words (merged into `audit.labels`)."""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

MODULE_LABEL: Promise = _("Giám sát an toàn thông tin")
ACTION_LABELS: dict[str, Promise] = {
    "security.source_created": _("Thêm nguồn sự kiện an toàn thông tin"),
    "security.source_token_rotated": _("Cấp mã xác thực mới cho nguồn sự kiện"),
    "security.rule_saved": _("Lưu quy tắc phân loại cảnh báo"),
    "security.range_saved": _("Gán phạm vi tài sản cho cơ quan, hệ thống"),
    "security.alert_acknowledged": _("Ghi nhận cảnh báo"),
    "security.alert_dismissed": _("Bỏ qua cảnh báo"),
    "security.alert_new": _("Mở lại cảnh báo"),
    "security.incident_opened": _("Mở sự cố an toàn thông tin"),
    "security.incident_assigned": _("Phân công xử lý sự cố"),
    "security.incident_note": _("Ghi chú vào sự cố"),
    "security.evidence_added": _("Thêm bằng chứng vào sự cố"),
    "security.incident_alerts_added": _("Gắn cảnh báo vào sự cố"),
    "security.incident_start": _("Bắt đầu xử lý sự cố"),
    "security.incident_contain": _("Ngăn chặn sự cố"),
    "security.incident_resolve": _("Khắc phục sự cố"),
    "security.incident_close": _("Đóng sự cố"),
    "security.incident_reopen": _("Mở lại sự cố"),
    "security.national_report_exported": _("Lập báo cáo gửi cơ quan giám sát quốc gia"),
    "security.system_created": _("Đăng ký hệ thống thông tin"),
    "security.system_updated": _("Cập nhật hệ thống thông tin"),
    "security.level_proposed": _("Đề xuất cấp độ an toàn hệ thống thông tin"),
    "security.level_approved": _("Phê duyệt cấp độ an toàn hệ thống thông tin"),
    "security.dossier_generated": _("Lập dự thảo hồ sơ đề xuất cấp độ"),
    "security.assessment_recorded": _("Ghi kết quả kiểm tra, đánh giá độc lập"),
}
