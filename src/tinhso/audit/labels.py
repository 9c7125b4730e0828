"""What an audit action code means, in words (one mapping, translated with gettext).

The trail stores stable codes ("accounts.login_2fa"); people read labels ("Đăng nhập
(xác thực hai lớp)" / "Sign-in (two-factor)"). A code without a label here is shown as
its module's name and the code, so nothing is ever blank.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tinhso.core.text import fold

MODULE_LABELS: dict[str, Promise] = {
    "accounts": _("Tài khoản"),
    "audit": _("Nhật ký"),
    "directory": _("Danh bạ cơ quan"),
    "documents": _("Văn bản điều hành"),
    "notify": _("Thông báo"),
    "onestop": _("Một cửa"),
    "payments": _("Thanh toán"),
    "signing": _("Chữ ký số"),
    "workdays": _("Lịch làm việc"),
}

ACTION_LABELS: dict[str, Promise] = {
    # accounts
    "accounts.activate": _("Kích hoạt tài khoản"),
    "accounts.create_citizen": _("Tạo tài khoản công dân"),
    "accounts.create_official": _("Tạo tài khoản cán bộ"),
    "accounts.enrol_totp": _("Đăng ký xác thực hai lớp"),
    "accounts.grant_role": _("Cấp vai trò"),
    "accounts.issue_token": _("Cấp mã truy cập API"),
    "accounts.revoke_token": _("Thu hồi mã truy cập API"),
    "accounts.revoke_tokens": _("Thu hồi các mã truy cập API"),
    "accounts.login": _("Đăng nhập"),
    "accounts.login_2fa": _("Đăng nhập (xác thực hai lớp)"),
    "accounts.login_failed": _("Đăng nhập không thành công"),
    "accounts.password_reset": _("Đặt lại mật khẩu"),
    "accounts.reset_totp": _("Đặt lại xác thực hai lớp"),
    "accounts.revoke_role": _("Thu hồi vai trò"),
    "accounts.set_totp": _("Thiết lập xác thực hai lớp"),
    "accounts.set_totp_bulk": _("Thiết lập xác thực hai lớp hàng loạt"),
    # directory
    "directory.absorb_agencies": _("Tiếp nhận cơ quan sáp nhập"),
    "directory.add_membership": _("Thêm vị trí công tác"),
    "directory.close_admin_unit": _("Giải thể đơn vị hành chính"),
    "directory.close_agency": _("Giải thể cơ quan"),
    "directory.close_org_unit": _("Giải thể đơn vị trực thuộc"),
    "directory.create_admin_unit": _("Tạo đơn vị hành chính"),
    "directory.create_agency": _("Tạo cơ quan"),
    "directory.create_org_unit": _("Tạo đơn vị trực thuộc"),
    "directory.create_position": _("Tạo chức vụ"),
    "directory.end_membership": _("Kết thúc vị trí công tác"),
    "directory.import_agencies": _("Nhập danh mục cơ quan"),
    "directory.merge_agency": _("Sáp nhập cơ quan"),
    "directory.move_agency": _("Chuyển cơ quan chủ quản"),
    "directory.rename_agency": _("Đổi tên cơ quan"),
    "directory.rename_org_unit": _("Đổi tên đơn vị trực thuộc"),
    "directory.update_admin_unit": _("Cập nhật đơn vị hành chính"),
    "directory.update_agency": _("Cập nhật thông tin cơ quan"),
    # documents
    "documents.accept_incoming": _("Vào sổ văn bản nhận qua nền tảng"),
    "documents.add_note": _("Ghi ý kiến xử lý văn bản"),
    "documents.add_version": _("Thêm phiên bản dự thảo"),
    "documents.approve": _("Duyệt văn bản đi"),
    "documents.assign": _("Phân công xử lý văn bản đến"),
    "documents.close_work_record": _("Đóng hồ sơ công việc"),
    "documents.create_draft": _("Tạo dự thảo văn bản đi"),
    "documents.create_recipient_group": _("Lưu nhóm nơi nhận"),
    "documents.create_work_record": _("Lập hồ sơ công việc"),
    "documents.dispatch": _("Phát hành văn bản đi"),
    "documents.exchange_sent": _("Gửi văn bản qua trục liên thông"),
    "documents.file_document": _("Đưa văn bản vào hồ sơ công việc"),
    "documents.finish": _("Hoàn thành xử lý văn bản"),
    "documents.forward": _("Chuyển tiếp xử lý văn bản"),
    "documents.number": _("Cấp số văn bản đi"),
    "documents.receive_external": _("Nhận văn bản qua trục liên thông"),
    "documents.register_incoming": _("Vào sổ văn bản đến"),
    "documents.return_draft": _("Trả lại dự thảo"),
    "documents.review": _("Cho ý kiến xem xét dự thảo"),
    "documents.seal": _("Ký số cơ quan (đóng dấu) văn bản đi"),
    "documents.sign": _("Lãnh đạo ký văn bản đi"),
    "documents.submit_for_review": _("Trình xem xét, ký dự thảo"),
    # one-stop
    "onestop.accept_dossier": _("Tiếp nhận hồ sơ"),
    "onestop.look_up_citizen": _("Tra cứu công dân theo số định danh tại quầy"),
    "onestop.add_to_wallet": _("Lưu giấy tờ vào kho"),
    "onestop.answer_supplement": _("Bổ sung hồ sơ"),
    "onestop.approve": _("Phê duyệt kết quả hồ sơ"),
    "onestop.assign": _("Phân công xử lý hồ sơ"),
    "onestop.attach_result": _("Đính kèm kết quả hồ sơ"),
    "onestop.create_field": _("Tạo lĩnh vực thủ tục"),
    "onestop.create_procedure": _("Tạo thủ tục hành chính"),
    "onestop.forward": _("Chuyển bước xử lý hồ sơ"),
    "onestop.import_catalog": _("Nhập danh mục thủ tục"),
    "onestop.obligation_fulfilled": _("Hoàn thành nghĩa vụ tài chính"),
    "onestop.pause": _("Tạm dừng xử lý hồ sơ"),
    "onestop.payment_callback_rejected": _("Từ chối thông báo thanh toán không hợp lệ"),
    "onestop.payment_cancelled": _("Hủy thanh toán"),
    "onestop.payment_failed": _("Thanh toán không thành công"),
    "onestop.payment_paid": _("Thanh toán thành công"),
    "onestop.propose_extension": _("Đề nghị gia hạn xử lý hồ sơ"),
    "onestop.rate": _("Đánh giá mức độ hài lòng"),
    "onestop.receipt_issued": _("Cấp biên lai thu phí, lệ phí"),
    "onestop.receive_counter_dossier": _("Tiếp nhận hồ sơ tại quầy"),
    "onestop.refuse_reception": _("Từ chối tiếp nhận hồ sơ"),
    "onestop.reject": _("Từ chối giải quyết hồ sơ"),
    "onestop.remove_from_wallet": _("Xóa giấy tờ khỏi kho"),
    "onestop.request_financial_obligation": _("Yêu cầu thực hiện nghĩa vụ tài chính"),
    "onestop.request_supplement": _("Yêu cầu bổ sung hồ sơ"),
    "onestop.resume": _("Tiếp tục xử lý hồ sơ"),
    "onestop.return_result": _("Trả kết quả hồ sơ"),
    "onestop.save_process": _("Lưu quy trình nội bộ"),
    "onestop.save_search_synonyms": _("Lưu từ đồng nghĩa tìm kiếm thủ tục"),
    "onestop.send_back": _("Trả hồ sơ về bước trước"),
    "onestop.start_processing": _("Bắt đầu xử lý hồ sơ"),
    "onestop.submit_dossier": _("Nộp hồ sơ trực tuyến"),
    "onestop.update_procedure": _("Cập nhật thủ tục hành chính"),
    "onestop.withdraw": _("Rút hồ sơ"),
    # signing
    "signing.create_demo_ca": _("Tạo tổ chức chứng thực mẫu"),
    "signing.import_ca": _("Nhập chứng thư tổ chức chứng thực"),
    "signing.import_crl": _("Nhập danh sách chứng thư bị thu hồi"),
    "signing.register_certificate": _("Đăng ký chứng thư số"),
    "signing.remote_complete": _("Hoàn tất ký số bằng USB token"),
    "signing.remote_prepare": _("Chuẩn bị ký số bằng USB token"),
    "signing.revoke_certificate": _("Thu hồi chứng thư số"),
    "signing.set_image": _("Cập nhật ảnh chữ ký, con dấu"),
    "signing.sign_personal": _("Ký số cá nhân"),
    "signing.sign_seal": _("Ký số cơ quan (con dấu)"),
    # working days
    "workdays.delete_exception": _("Xóa ngày nghỉ, ngày làm bù"),
    "workdays.save_exception": _("Lưu ngày nghỉ, ngày làm bù"),
}


def _merge_app_labels() -> None:
    """Apps added later keep their labels beside their code, in `<app>/audit_labels.py`."""
    from importlib import import_module
    from importlib.util import find_spec

    from django.conf import settings

    for app in settings.INSTALLED_APPS:
        if not app.startswith("tinhso.") or find_spec(f"{app}.audit_labels") is None:
            continue
        module = import_module(f"{app}.audit_labels")
        MODULE_LABELS.setdefault(app.rsplit(".", 1)[1], module.MODULE_LABEL)
        ACTION_LABELS.update(module.ACTION_LABELS)


_merge_app_labels()


def action_label(code: str) -> str:
    """The label of an action code; unknown codes read "<module>: <code>"."""
    label = ACTION_LABELS.get(code)
    if label is not None:
        return str(label)
    module, _sep, rest = (code or "").partition(".")
    module_label = MODULE_LABELS.get(module)
    if module_label is not None and rest:
        return f"{module_label}: {rest.replace('_', ' ')}"
    return code or ""


def actions_matching(text: str) -> list[str]:
    """Codes whose label (in the current language or in Vietnamese) contains `text`,
    without regard to case or diacritics ("dang nhap" finds both sign-in codes)."""
    from django.utils.translation import override

    needle = fold(text)
    if not needle:
        return []
    found = []
    for code, label in ACTION_LABELS.items():
        with override("vi"):
            vietnamese = str(label)
        if needle in fold(str(label)) or needle in fold(vietnamese):
            found.append(code)
    return found


def action_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Grouped choices for the filter: each module ("all of it") then its actions, by label."""
    groups: list[tuple[str, list[tuple[str, str]]]] = []
    for module, module_label in MODULE_LABELS.items():
        codes = [c for c in ACTION_LABELS if c.startswith(f"{module}.")]
        if not codes:
            continue
        options = [(f"{module}.", f"{module_label}: {_('tất cả')}")]
        options += sorted(((c, action_label(c)) for c in codes), key=lambda o: fold(o[1]))
        groups.append((str(module_label), options))
    return groups
