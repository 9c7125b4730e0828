"""What this app's audit action codes mean, in words (merged into `audit.labels`)."""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

MODULE_LABEL: Promise = _("Trung tâm phục vụ hành chính công")
ACTION_LABELS: dict[str, Promise] = {
    "counter.create_centre": _("Tạo trung tâm phục vụ hành chính công"),
    "counter.create_group": _("Tạo nhóm dịch vụ tại trung tâm"),
    "counter.create_desk": _("Tạo quầy tại trung tâm"),
    "counter.set_photo": _("Cập nhật ảnh cán bộ cho máy đánh giá"),
    "counter.take_ticket": _("Lấy số thứ tự tại ki-ốt"),
    "counter.open_desk": _("Mở quầy"),
    "counter.pause_desk": _("Tạm nghỉ quầy"),
    "counter.resume_desk": _("Tiếp tục làm việc tại quầy"),
    "counter.close_desk": _("Đóng quầy"),
    "counter.call_ticket": _("Gọi số"),
    "counter.recall_ticket": _("Gọi lại số"),
    "counter.serve_ticket": _("Bắt đầu phục vụ số"),
    "counter.finish_ticket": _("Kết thúc phục vụ số"),
    "counter.absent_ticket": _("Đánh dấu vắng mặt"),
    "counter.transfer_ticket": _("Chuyển số sang quầy khác"),
    "counter.link_dossier": _("Gắn số thứ tự với hồ sơ tiếp nhận"),
    "counter.rate": _("Đánh giá tại quầy"),
    "counter.book_appointment": _("Đặt lịch hẹn trực tuyến"),
    "counter.cancel_appointment": _("Hủy lịch hẹn"),
}
