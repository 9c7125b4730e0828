"""What this app's audit action codes mean, in words (merged into `audit.labels`)."""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

MODULE_LABEL: Promise = _("Họp không giấy")
ACTION_LABELS: dict[str, Promise] = {
    "meetings.create_body": _("Tạo cơ quan họp"),
    "meetings.add_rule": _("Thêm quy tắc biểu quyết"),
    "meetings.create": _("Tạo cuộc họp"),
    "meetings.add_item": _("Thêm nội dung chương trình họp"),
    "meetings.add_paper": _("Thêm tài liệu họp"),
    "meetings.send_invitation": _("Gửi giấy mời họp"),
    "meetings.respond": _("Xác nhận dự họp"),
    "meetings.check_in": _("Điểm danh dự họp"),
    "meetings.start": _("Bắt đầu cuộc họp"),
    "meetings.set_item": _("Chuyển nội dung họp"),
    "meetings.register_to_speak": _("Đăng ký phát biểu"),
    "meetings.give_floor": _("Mời phát biểu"),
    "meetings.close": _("Kết thúc cuộc họp"),
    "meetings.comment_draft": _("Góp ý dự thảo"),
    "meetings.create_vote": _("Tạo biểu quyết"),
    "meetings.open_vote": _("Mở biểu quyết"),
    "meetings.cast_named": _("Biểu quyết (ghi danh)"),
    "meetings.cast_secret": _("Bỏ phiếu kín"),
    "meetings.close_vote": _("Kết thúc biểu quyết, công bố kết quả"),
    "meetings.edit_minutes": _("Sửa biên bản họp"),
    "meetings.submit_minutes": _("Trình ký biên bản họp"),
    "meetings.submit_conclusion": _("Trình ký thông báo kết luận"),
    "meetings.issue_document": _("Phát hành văn bản của cuộc họp"),
    "meetings.finish_task": _("Hoàn thành nhiệm vụ sau họp"),
    "meetings.request_opinions": _("Gửi phiếu lấy ý kiến"),
    "meetings.answer_opinion": _("Trả lời phiếu lấy ý kiến"),
    "meetings.remind_opinion": _("Nhắc trả lời phiếu lấy ý kiến"),
    "meetings.close_opinions": _("Kết thúc lấy ý kiến"),
}
