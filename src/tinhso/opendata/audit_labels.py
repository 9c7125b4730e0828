"""What this app's audit action codes mean, in words (merged into `audit.labels`)."""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

MODULE_LABEL: Promise = _("Dữ liệu mở")
ACTION_LABELS: dict[str, Promise] = {
    "opendata.create_dataset": _("Tạo bộ dữ liệu mở"),
    "opendata.update_dataset": _("Sửa thông tin bộ dữ liệu mở"),
    "opendata.submit_dataset": _("Gửi duyệt bộ dữ liệu mở"),
    "opendata.approve_dataset": _("Duyệt, công bố bộ dữ liệu mở"),
    "opendata.reject_dataset": _("Trả lại bộ dữ liệu mở"),
    "opendata.withdraw_dataset": _("Rút bộ dữ liệu khỏi cổng"),
    "opendata.add_resource": _("Thêm tài nguyên dữ liệu"),
    "opendata.delete_resource": _("Xóa tài nguyên dữ liệu"),
    "opendata.datastore_create": _("Tạo bảng trong kho dữ liệu"),
    "opendata.datastore_upsert": _("Thêm dòng vào kho dữ liệu"),
    "opendata.datastore_delete": _("Xóa bảng trong kho dữ liệu"),
    "opendata.datastore_load": _("Nạp tệp vào kho dữ liệu"),
    "opendata.appoint_data_officer": _("Giao cán bộ dữ liệu"),
    "opendata.propose": _("Đóng góp dữ liệu"),
    "opendata.accept_contribution": _("Tiếp nhận đóng góp dữ liệu"),
    "opendata.decline_contribution": _("Không tiếp nhận đóng góp dữ liệu"),
    "opendata.platform_refresh": _("Cập nhật dữ liệu mở của nền tảng"),
}
