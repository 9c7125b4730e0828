"""What this app's audit action codes mean, in words (merged into `audit.labels`)."""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

MODULE_LABEL: Promise = _("Phản ánh hiện trường")
ACTION_LABELS: dict[str, Promise] = {
    "feedback.tier_saved": _("Lưu mức xử lý phản ánh"),
    "feedback.category_saved": _("Lưu lĩnh vực phản ánh"),
    "feedback.centre_set": _("Đặt trung tâm điều hành phản ánh"),
    "feedback.areas_imported": _("Nạp ranh giới đơn vị hành chính"),
    "feedback.route_set": _("Đặt cơ quan xử lý theo lĩnh vực và địa bàn"),
    "feedback.open311_key_issued": _("Cấp khóa API Open311"),
    "feedback.report_submitted": _("Gửi phản ánh hiện trường"),
    "feedback.followed": _("Theo dõi phản ánh"),
    "feedback.escalated": _("Phản ánh quá hạn, báo trung tâm"),
    "feedback.accept": _("Tiếp nhận phản ánh, chuyển xử lý"),
    "feedback.reject": _("Không tiếp nhận phản ánh"),
    "feedback.merge": _("Gộp phản ánh trùng"),
    "feedback.recategorise": _("Đổi lĩnh vực phản ánh"),
    "feedback.move": _("Đổi vị trí phản ánh"),
    "feedback.hide": _("Ẩn phản ánh"),
    "feedback.show": _("Hiện lại phản ánh"),
    "feedback.redact": _("Che ảnh phản ánh"),
    "feedback.anonymise": _("Ẩn danh người phản ánh"),
    "feedback.assign": _("Phân công xử lý phản ánh"),
    "feedback.answer": _("Trả lời phản ánh"),
    "feedback.request_info": _("Đề nghị bổ sung thông tin phản ánh"),
    "feedback.provide_info": _("Bổ sung thông tin phản ánh"),
    "feedback.transfer": _("Chuyển phản ánh cho cơ quan khác"),
    "feedback.not_ours": _("Trả phản ánh không thuộc thẩm quyền"),
    "feedback.rate": _("Đánh giá kết quả xử lý phản ánh"),
    "feedback.reopen": _("Mở lại phản ánh"),
}
