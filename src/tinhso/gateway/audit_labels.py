"""What this app's audit action codes mean, in words (merged into `audit.labels`)."""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

MODULE_LABEL: Promise = _("Nền tảng tích hợp, chia sẻ dữ liệu (LGSP)")
ACTION_LABELS: dict[str, Promise] = {
    "gateway.create_provider": _("Đăng ký hệ thống cung cấp dịch vụ"),
    "gateway.publish_service": _("Công bố dịch vụ chia sẻ dữ liệu"),
    "gateway.refresh_service": _("Cập nhật mô tả dịch vụ"),
    "gateway.enable_service": _("Mở dịch vụ"),
    "gateway.disable_service": _("Tạm ngừng dịch vụ"),
    "gateway.update_service": _("Sửa thiết lập dịch vụ"),
    "gateway.create_consumer": _("Đăng ký hệ thống khai thác"),
    "gateway.set_limits": _("Đặt giới hạn, hạn mức cho hệ thống khai thác"),
    "gateway.set_consumer_active": _("Khóa/mở hệ thống khai thác"),
    "gateway.issue_key": _("Cấp khóa API"),
    "gateway.revoke_key": _("Thu hồi khóa API"),
    "gateway.rotate_key": _("Thay khóa API"),
    "gateway.add_certificate": _("Đăng ký chứng thư máy khách"),
    "gateway.revoke_certificate": _("Thu hồi chứng thư máy khách"),
    "gateway.create_group": _("Tạo nhóm hệ thống khai thác"),
    "gateway.add_group_member": _("Thêm hệ thống vào nhóm"),
    "gateway.grant_right": _("Cấp quyền truy cập dịch vụ"),
    "gateway.revoke_right": _("Thu hồi quyền truy cập dịch vụ"),
    "gateway.request_access": _("Đề nghị cấp quyền truy cập dịch vụ"),
    "gateway.approve_access": _("Chấp thuận đề nghị truy cập"),
    "gateway.refuse_access": _("Từ chối đề nghị truy cập"),
    "gateway.citizen_lookup": _("Tra cứu công dân trên CSDL quốc gia về dân cư"),
    "gateway.portal_sync": _("Đồng bộ hồ sơ lên Cổng DVC quốc gia"),
}
