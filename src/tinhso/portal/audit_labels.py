"""What the portal's audit action codes mean, in words (merged into `audit.labels`)."""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

MODULE_LABEL: Promise = _("Cổng thông tin điện tử")
ACTION_LABELS: dict[str, Promise] = {
    "portal.create_portal": _("Tạo cổng thông tin"),
    "portal.add_editor": _("Thêm biên tập viên cổng"),
    "portal.remove_editor": _("Bỏ biên tập viên cổng"),
    "portal.publish_document": _("Đăng văn bản lên cổng"),
    "portal.withdraw_document": _("Gỡ văn bản khỏi cổng"),
    "portal.comment_on_draft": _("Góp ý dự thảo"),
    "portal.answer_comment": _("Trả lời góp ý dự thảo"),
    "portal.hide_comment": _("Ẩn góp ý dự thảo"),
    "portal.publish_page": _("Xuất bản trang, tin bài"),
    "portal.unpublish_page": _("Ngừng xuất bản trang, tin bài"),
    "portal.submit_page": _("Gửi duyệt tin bài"),
    "portal.approve_page": _("Duyệt tin bài"),
    "portal.reject_page": _("Yêu cầu sửa tin bài"),
    "portal.cancel_page": _("Hủy gửi duyệt tin bài"),
    "portal.schedule_returned": _("Trả lại bài hẹn giờ (người duyệt đã thôi)"),
}
