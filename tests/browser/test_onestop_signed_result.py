"""In a real browser, a citizen's online dossier from submission to a signed result:
the tracking code is shown at once and finds the dossier; the one-stop desk accepts it
(the Circular 01 code) and hands it over; the specialist attaches the result draft; the
leader approves and signs it with the key the platform holds, after a confirmation
naming the method, and the agency's seal follows; the desk returns it online; the
citizen downloads it and the public verification page finds the leader's valid
signature on it. Every hand-over says who has the dossier now."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
from tests.onestop.conftest import world  # noqa: F401 (the fixture)

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
    other.set_default_timeout(20_000)
    other.base_url = page.base_url
    return other


def _result_pdf() -> bytes:
    from reportlab.pdfgen import canvas

    from tinhso.core.pdf import register_reportlab_fonts

    register_reportlab_fonts()
    buf = io.BytesIO()
    sheet = canvas.Canvas(buf)
    sheet.setFont("Serif", 13)
    sheet.drawString(72, 760, "TRÍCH LỤC HỘ TỊCH (BẢN SAO)")
    sheet.drawString(72, 740, "Họ và tên: Nguyễn Văn A")
    sheet.showPage()
    sheet.save()
    return buf.getvalue()


def _flash(page) -> str:
    return page.locator(".alert-success").first.inner_text()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_online_dossier_to_a_signed_result_the_verification_page_accepts(page, request, tmp_path):
    from tinhso.signing.services import ensure_demo_ca, issue_certificate

    w = request.getfixturevalue("world")  # the one-stop tests' small province
    _root, issuing = ensure_demo_ca()  # the leader already holds a certificate (world)
    issue_certificate(ca=issuing, kind="agency", owner_agency=w.dept)  # the seal
    w.procedure.result_needs_seal = True
    w.procedure.save(update_fields=["result_needs_seal"])
    base = page.base_url
    citizen = _with_password(w.citizen)
    officer = _official(w.officer)
    specialist = _official(w.specialist)
    leader = _official(w.leader)
    draft = tmp_path / "trich-luc.pdf"
    draft.write_bytes(_result_pdf())
    shots = Path(os.environ.get("TINHSO_SCREENSHOTS") or tmp_path / "screens")
    shots.mkdir(parents=True, exist_ok=True)

    # 1. The citizen submits online: the tracking code is on the page at once.
    _login(page, citizen, second_factor=False)
    page.goto(f"{base}/onestop/thu-tuc/?q=trich+luc")
    page.get_by_role("link", name="Cấp bản sao trích lục hộ tịch").first.click()
    page.get_by_role("link", name="Nộp hồ sơ trực tuyến").first.click()
    page.get_by_label("Họ và tên").fill("Nguyễn Văn A")
    page.get_by_label("Số bản").fill("2")
    # the declaration (tờ khai) is the e-form itself: generated, not uploaded again
    assert page.get_by_test_id("eform-paper").count() == 1
    page.get_by_role("button", name="Nộp hồ sơ").click()
    page.wait_for_url(re.compile(r"/onestop/ho-so/[0-9a-f-]+/$"))
    dossier = Dossier.objects.get()
    tracking = page.get_by_test_id("tracking-code").inner_text()
    assert tracking == dossier.tracking_code and re.fullmatch(r"TD-\d{6}-[0-9A-Z]{6}", tracking)
    assert tracking in _flash(page)
    assert page.get_by_test_id("dossier-code").inner_text() == tracking
    assert page.get_by_test_id("dossier-status").inner_text() == "Mới đăng ký"
    dossier_url = page.url
    # ... and anyone finds it by that code with the last 4 digits of the phone.
    page.goto(f"{base}/onestop/tra-cuu/")
    page.get_by_label("Mã hồ sơ hoặc mã theo dõi").fill(tracking)
    page.get_by_label("4 số cuối điện thoại hoặc số định danh của người nộp").fill("5678")
    page.get_by_role("button", name="Tra cứu").click()
    page.wait_for_selector("text=Mới đăng ký")

    # 2. The desk sees the tracking code and the submission date, accepts, hands over.
    desk = _new_page(page)
    _login(desk, officer, second_factor=True)
    desk.goto(f"{base}/onestop/xu-ly/?q=to_receive")
    row = desk.get_by_role("row").filter(has_text=tracking)
    assert "(chưa cấp mã)" not in desk.content()
    assert dossier.submitted_at.astimezone().strftime("%d/%m/%Y") in row.inner_text()
    row.get_by_role("link", name=tracking).click()
    next_action = desk.get_by_test_id("next-action")
    next_action.get_by_role("button", name="Tiếp nhận", exact=True).click()
    desk.wait_for_selector("text=Đã tiếp nhận hồ sơ")
    assert "Hồ sơ đang ở: motcua.stp" in _flash(desk)
    dossier.refresh_from_db()
    assert dossier.state == DossierState.ACCEPTED and dossier.code
    assert desk.get_by_test_id("dossier-code").inner_text() == dossier.code
    assert desk.get_by_test_id("tracking-code").inner_text() == tracking
    assert desk.get_by_role("link", name=re.compile("Mẫu 01")).count() == 1
    desk.get_by_text("Thao tác khác").click()  # the rest, behind the next action
    desk.screenshot(path=str(shots / "0-desk-after-acceptance.png"), full_page=True)
    desk.get_by_test_id("next-action").get_by_label("Người nhận (không bắt buộc)").select_option(
        str(specialist.uid)
    )
    desk.get_by_test_id("next-action").get_by_role("button", name="Chuyển").click()
    desk.wait_for_selector("text=Đã chuyển hồ sơ sang bước tiếp theo")
    assert "Hồ sơ đang ở: chuyenvien.stp" in _flash(desk)
    assert "chuyenvien.stp" in desk.get_by_test_id("whereabouts").inner_text()

    # 3. The specialist attaches the result draft, then hands the dossier to the leader.
    work = _new_page(page)
    _login(work, specialist, second_factor=True)
    work.goto(f"{base}/onestop/xu-ly/?q=to_process")
    work.get_by_role("link", name=dossier.code).click()
    first = work.get_by_test_id("next-action")
    assert "Đính kèm kết quả" in first.inner_text()
    first.get_by_label("Tệp kết quả").set_input_files(str(draft))
    first.get_by_label("Tên kết quả").fill("Bản sao trích lục hộ tịch")
    first.get_by_role("button", name="Đính kèm").click()
    work.wait_for_selector("text=Đã đính kèm kết quả")
    assert work.get_by_test_id("draft-link").count() == 1
    forward = work.get_by_test_id("next-action")
    forward.get_by_label("Người nhận (không bắt buộc)").select_option(str(leader.uid))
    forward.get_by_label("Ý kiến xử lý").fill("Hồ sơ hợp lệ, đề nghị cấp")
    forward.get_by_role("button", name="Chuyển").click()
    work.wait_for_selector("text=Đã chuyển hồ sơ sang bước tiếp theo")
    assert "lanhdao.stp" in _flash(work)

    # The citizen does not see the draft while the agency works on it.
    page.goto(dossier_url)
    assert page.get_by_test_id("draft-link").count() == 0
    assert page.get_by_test_id("result-link").count() == 0

    # 4. The leader approves and signs, after a confirmation naming the method.
    boss = _new_page(page)
    _login(boss, leader, second_factor=True)
    boss.goto(f"{base}/onestop/xu-ly/?q=to_process")
    boss.get_by_role("link", name=dossier.code).click()
    approve = boss.get_by_test_id("next-action")
    assert "Phê duyệt kết quả" in approve.inner_text()
    assert "lưu mã hóa trên máy chủ" in approve.inner_text()  # the method to choose
    boss.screenshot(path=str(shots / "1-leader-dossier-page.png"), full_page=True)
    approve.get_by_label("Tóm tắt kết quả").fill("Cấp 02 bản sao trích lục")
    approve.get_by_role("button", name="Phê duyệt và ký số…").click()
    confirmation = boss.get_by_test_id("confirmation")
    assert "lưu mã hóa trên máy chủ" in boss.get_by_test_id("signing-method").inner_text()
    assert "Sở Tư pháp" in confirmation.inner_text()  # whose seal follows
    boss.screenshot(path=str(shots / "2-confirmation.png"), full_page=True)
    dossier.refresh_from_db()
    assert dossier.state == DossierState.PROCESSING  # nothing signed before confirming
    boss.get_by_role("button", name="Xác nhận phê duyệt và ký số").click()
    boss.wait_for_selector("text=Đã phê duyệt và ký số kết quả")
    assert "chờ trả kết quả" in _flash(boss)
    statement = boss.get_by_test_id("signature-statement").inner_text()
    assert leader.full_name in statement and "hợp lệ" in statement
    boss.screenshot(path=str(shots / "3-approved.png"), full_page=True)

    # Approved but not returned: still nothing for the citizen.
    page.goto(dossier_url)
    assert page.get_by_test_id("result-link").count() == 0

    # 5. The desk returns the result online.
    desk.goto(dossier_url)
    back = desk.get_by_test_id("next-action")
    back.get_by_label("Hình thức").select_option("online")
    back.get_by_role("button", name="Trả kết quả").click()
    desk.wait_for_selector("text=Đã trả kết quả.")
    dossier.refresh_from_db()
    assert dossier.state == DossierState.RETURNED

    # 6. The citizen sees and downloads the signed result; the page says who signed it.
    page.goto(dossier_url)
    assert page.get_by_test_id("dossier-status").inner_text() == "Đã trả kết quả"
    assert page.get_by_test_id("status-step").count() == 0  # no step once finished
    said = page.get_by_test_id("signature-statement").inner_text()
    assert leader.full_name in said and "Sở Tư pháp" in said
    page.screenshot(path=str(shots / "4-citizen-returned.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_test_id("result-link").click()
    signed = tmp_path / "ket-qua-da-ky.pdf"
    download.value.save_as(str(signed))
    assert signed.read_bytes().startswith(draft.read_bytes())  # the draft, signed

    # 7. The public verification page finds the leader's valid signature on it.
    page.get_by_test_id("verify-link").click()
    page.get_by_label("Tệp PDF đã ký số").set_input_files(str(signed))
    page.get_by_role("button", name="Kiểm tra").click()
    page.wait_for_selector("#result")
    report = page.locator(".signing-report").first
    assert leader.full_name in report.inner_text()
    assert "Hợp lệ" in report.locator(".badge").inner_text()
    assert "Tất cả chữ ký đều hợp lệ." in page.locator("#result").inner_text()
    page.screenshot(path=str(shots / "5-verification.png"), full_page=True)

    # 8. The citizen rates the service; the process-control slip lists every hand-over.
    page.goto(dossier_url)
    page.get_by_label("Mức độ hài lòng", exact=True).select_option("5")
    page.get_by_label("Góp ý").fill("Nhanh, đúng hẹn")
    page.get_by_role("button", name="Gửi đánh giá").click()
    page.wait_for_selector("text=Cảm ơn bạn đã đánh giá.")
    slip = page.locator("section[aria-labelledby='slip-h']").inner_text()
    for line in ("Tiếp nhận hồ sơ", "Ký số kết quả", "Phê duyệt", "Trả kết quả"):
        assert line in slip
