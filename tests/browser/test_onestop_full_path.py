"""In a real browser, the whole path of a dossier: a citizen submits an e-form with a
paper, the one-stop officer accepts it, a specialist and a leader process and approve it,
the result is returned online, and the citizen downloads it and rates the service."""

from __future__ import annotations

import re

import pytest
from tests.onestop.conftest import PDF, world  # noqa: F401 (the fixture)

from tinhso.accounts import otp
from tinhso.accounts.services import set_totp_secret
from tinhso.onestop.models import Dossier, DossierState

PASSWORD = "Mat-khau-2026"


def _with_password(user):
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


def _official(user):
    _with_password(user)
    set_totp_secret(user=user, secret=otp.new_secret())
    return user


def _login(page, user, *, second_factor: bool) -> None:
    base = page.base_url
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Tên đăng nhập").fill(user.username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    if second_factor:
        page.wait_for_url(re.compile(r"/accounts/otp/"))
        user.refresh_from_db()
        code = otp.code_at(otp.user_secret(user), otp.current_step())
        page.get_by_label("Mã xác thực (6 chữ số)").fill(code)
        page.get_by_role("button", name="Xác nhận").click()
    page.wait_for_url(re.compile(r"^(?!.*/accounts/).*$"))


def _new_page(page):
    context = page.context.browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    other = context.new_page()
    other.set_default_timeout(15_000)
    other.base_url = page.base_url
    return other


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_dossier_full_path_in_the_browser(page, request, tmp_path):
    w = request.getfixturevalue("world")  # the one-stop tests' small province
    base = page.base_url
    citizen = _with_password(w.citizen)
    officer = _official(w.officer)
    specialist = _official(w.specialist)
    leader = _official(w.leader)
    paper = tmp_path / "to-khai.pdf"
    paper.write_bytes(PDF)
    result = tmp_path / "ket-qua.pdf"
    result.write_bytes(PDF + b"% ket qua\n")

    # 1. The citizen finds the procedure without diacritics, fills the e-form, attaches a paper.
    _login(page, citizen, second_factor=False)
    page.goto(f"{base}/onestop/thu-tuc/?q=trich+luc")
    page.get_by_role("link", name="Cấp bản sao trích lục hộ tịch").click()
    page.get_by_role("link", name="Nộp hồ sơ trực tuyến").click()
    page.get_by_label("Họ và tên").fill("Nguyễn Văn A")
    page.get_by_label("Số bản").fill("2")
    # the declaration is the e-form itself: generated, not uploaded again
    assert page.get_by_test_id("eform-paper").count() == 1
    page.get_by_role("button", name="Nộp hồ sơ").click()
    page.wait_for_url(re.compile(r"/onestop/ho-so/[0-9a-f-]+/$"))
    assert page.get_by_test_id("dossier-status").inner_text() == "Mới đăng ký"
    dossier = Dossier.objects.get()
    dossier_url = page.url

    # 2. The one-stop officer accepts it from the reception queue: code + form 01.
    desk = _new_page(page)
    _login(desk, officer, second_factor=True)
    desk.goto(f"{base}/onestop/xu-ly/?q=to_receive")
    desk.get_by_role("link", name=dossier.tracking_code).click()
    desk.get_by_role("button", name="Tiếp nhận", exact=True).click()
    desk.wait_for_selector("text=Đã tiếp nhận hồ sơ")
    dossier.refresh_from_db()
    assert dossier.state == DossierState.ACCEPTED
    assert desk.get_by_test_id("dossier-code").inner_text() == dossier.code
    assert desk.get_by_role("link", name=re.compile("Mẫu 01")).count() == 1
    # ... and hands it over to the specialist.
    desk.get_by_label("Người nhận (không bắt buộc)").select_option(str(specialist.uid))
    desk.locator("form.action-forward").get_by_role("button", name="Chuyển").click()
    desk.wait_for_selector("text=Đã chuyển hồ sơ sang bước tiếp theo")

    # 3. The specialist processes it and forwards it to the leader.
    work = _new_page(page)
    _login(work, specialist, second_factor=True)
    work.goto(f"{base}/onestop/xu-ly/?q=to_process")
    work.get_by_role("link", name=dossier.code).click()
    # the result draft comes first on the page; this time the leader will attach it
    work.get_by_text("Thao tác khác").click()
    work.get_by_label("Người nhận (không bắt buộc)").select_option(str(leader.uid))
    work.get_by_label("Ý kiến xử lý").fill("Hồ sơ hợp lệ, đề nghị cấp")
    work.locator("form.action-forward").get_by_role("button", name="Chuyển").click()
    work.wait_for_selector("text=Đã chuyển hồ sơ sang bước tiếp theo")

    # 4. The leader attaches the result and approves.
    boss = _new_page(page)
    _login(boss, leader, second_factor=True)
    boss.goto(f"{base}/onestop/xu-ly/?q=to_process")
    boss.get_by_role("link", name=dossier.code).click()
    boss.get_by_label("Tệp kết quả").set_input_files(str(result))
    boss.get_by_label("Tên kết quả").fill("Bản sao trích lục hộ tịch")
    boss.get_by_role("button", name="Đính kèm").click()
    boss.wait_for_selector("text=Đã đính kèm kết quả")
    boss.get_by_label("Tóm tắt kết quả").fill("Cấp 02 bản sao")
    boss.get_by_role("button", name="Phê duyệt và ký số…").click()
    boss.get_by_role("button", name="Xác nhận phê duyệt và ký số").click()
    boss.wait_for_selector("text=Đã phê duyệt và ký số kết quả")

    # 5. The officer returns the result online.
    desk.goto(dossier_url)
    desk.get_by_label("Hình thức").select_option("online")
    desk.get_by_role("button", name="Trả kết quả").click()
    desk.wait_for_selector("text=Đã trả kết quả.")
    dossier.refresh_from_db()
    assert dossier.state == DossierState.RETURNED

    # 6. The citizen sees the result, downloads it and rates the service.
    page.goto(dossier_url)
    assert page.get_by_test_id("dossier-status").inner_text() == "Đã trả kết quả"
    with page.expect_download() as download:
        page.get_by_test_id("result-link").click()
    assert download.value.suggested_filename.endswith(".pdf")
    page.get_by_label("Mức độ hài lòng", exact=True).select_option("5")
    page.get_by_label("Góp ý").fill("Nhanh, đúng hẹn")
    page.get_by_role("button", name="Gửi đánh giá").click()
    page.wait_for_selector("text=Cảm ơn bạn đã đánh giá.")
    assert "5/5" in page.get_by_test_id("rating").inner_text()
    # The process-control slip lists every hand-over.
    slip = page.locator("section[aria-labelledby='slip-h']").inner_text()
    assert "Tiếp nhận hồ sơ" in slip and "Phê duyệt" in slip and "Trả kết quả" in slip
