"""In a real browser: a clerk registers an incoming document, a leader assigns it, a
specialist finishes it; a specialist drafts the official letter that answers it (with its
Nơi nhận picked in the searchable picker), the leader confirms and signs it digitally,
the clerk numbers it (number and date written into the PDF), seals and dispatches it to
the drafted recipients, and the public verification page shows both signatures valid."""

from __future__ import annotations

import os
import re

import pyotp
import pytest
from django.conf import settings
from django.test import Client
from tests.documents.conftest import make_office, make_pdf

from tinhso.documents import stamping
from tinhso.documents.pdfs import render_document_pdf

PDF_UPLOAD = "application/pdf"


def shoot(page, name: str) -> None:
    """A screenshot to look at, when TINHSO_SCREENSHOTS names a folder."""
    folder = os.environ.get("TINHSO_SCREENSHOTS")
    if folder:
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)


def login_with_second_factor(page, user, password="Mat-khau-123!"):
    """Through the real pages: password, then a one-time code read with pyotp."""
    from tinhso.accounts.services import set_totp_secret

    secret = pyotp.random_base32()
    set_totp_secret(user=user, secret=secret)
    base = page.base_url
    page.goto(f"{base}/accounts/login/?next=/documents/")
    page.get_by_label("Tên đăng nhập").fill(user.username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(re.compile(r"/accounts/otp/"))
    page.get_by_label("Mã xác thực (6 chữ số)").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Xác nhận").click()
    page.wait_for_url(re.compile(r"/documents/$"))


def page_for(chromium, base_url, user):
    """A browser context logged in as `user` (session made with the test client)."""
    client = Client()
    client.force_login(user)
    session = client.session
    session["tinhso_2fa_ok"] = True
    session.save()
    context = chromium.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": session.session_key,
                "url": base_url,
            }
        ]
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.base_url = base_url
    return page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_incoming_and_outgoing_document_flow_with_signatures(page, chromium):
    from tinhso.signing.services.demo import init_demo

    office = make_office("H96.10", "Sở Thông tin và Truyền thông", "STTTT", "bt")
    recipient = make_office("H96.20", "Sở Tài chính", "STC", "bt2")
    init_demo()  # demo CA: certificates for the leader and the agency's seal
    base = page.base_url

    # --- Incoming: the clerk registers (logged in through the real 2FA pages).
    clerk = page
    login_with_second_factor(clerk, office.clerk)
    clerk.get_by_role("link", name="Vào sổ văn bản đến").click()
    clerk.get_by_label("Cơ quan nhận (vào sổ của)").select_option(label=office.agency.name)
    clerk.get_by_label("Tệp PDF văn bản").set_input_files(
        {"name": "cong-van.pdf", "mimeType": PDF_UPLOAD, "buffer": make_pdf()}
    )
    clerk.get_by_label("hoặc tên cơ quan ban hành bên ngoài").fill("Bộ Nội vụ")
    clerk.get_by_label("Số, ký hiệu").fill("45/BNV-VTLT")
    clerk.get_by_label("Ngày ban hành").fill("2026-01-12")
    clerk.get_by_label("Trích yếu").fill("Về việc hướng dẫn lập hồ sơ điện tử")
    clerk.get_by_role("button", name="Vào sổ").click()
    clerk.wait_for_url(re.compile(r"/documents/incoming/[0-9a-f-]+/$"))
    assert "số đến 1" in clerk.get_by_role("alert").first.inner_text()
    incoming_url = clerk.url

    # --- The leader assigns it to the specialist.
    leader = page_for(chromium, base, office.leader)
    leader.goto(incoming_url)
    leader.get_by_label("Chủ trì").select_option(value=f"u:{office.specialist.uid}")
    leader.get_by_label("Ý kiến chỉ đạo").fill("Đề nghị chủ trì tham mưu.")
    leader.get_by_role("button", name="Phân công").click()
    assert "Đã phân công xử lý." in leader.get_by_role("alert").first.inner_text()

    # --- The specialist finishes it.
    specialist = page_for(chromium, base, office.specialist)
    specialist.goto(incoming_url)
    specialist.get_by_label("Kết quả xử lý").fill("Đã lập hồ sơ theo hướng dẫn.")
    specialist.get_by_role("button", name="Hoàn thành").click()
    assert specialist.locator("#doc-status").inner_text() == "Đã xử lý xong"

    # --- Outgoing: the specialist drafts the letter answering it and submits it.
    letter = render_document_pdf(
        agency_name=office.agency.name,
        title="Công văn",
        subject="Về việc lập hồ sơ điện tử",
        body=["Sở Thông tin và Truyền thông báo cáo kết quả lập hồ sơ điện tử."],
        number_notation="Số:      /STTTT-KH",
        place_date="Sông Lam, ngày … tháng … năm …",
    )
    specialist.goto(incoming_url)
    specialist.get_by_role("link", name="Soạn văn bản trả lời").click()
    specialist.wait_for_url(re.compile(r"/documents/outgoing/new/\?reply_to="))
    specialist.get_by_label("Cơ quan ban hành").select_option(label=office.agency.name)
    assert specialist.get_by_label("Loại văn bản").locator("option").first.inner_text() == (
        "Công văn"
    )
    specialist.get_by_label("Loại văn bản").select_option("cv")
    specialist.get_by_label("Trích yếu").fill("Về việc lập hồ sơ điện tử")
    specialist.get_by_label("Tệp PDF dự thảo").set_input_files(
        {"name": "du-thao.pdf", "mimeType": PDF_UPLOAD, "buffer": letter}
    )
    specialist.get_by_placeholder("Tìm cơ quan (có dấu hoặc không dấu)").fill("tai chinh")
    specialist.get_by_label(recipient.agency.name).check()
    specialist.get_by_role("button", name="Lưu dự thảo").click()
    specialist.wait_for_url(re.compile(r"/documents/outgoing/[0-9a-f-]+/$"))
    outgoing_url = specialist.url
    assert recipient.agency.name in specialist.locator("#planned-recipients").inner_text()
    specialist.get_by_label("Lãnh đạo ký").select_option(index=0)
    specialist.get_by_role("button", name="Gửi xem xét / trình ký").click()
    assert specialist.locator("#doc-status").inner_text() == "Chờ lãnh đạo duyệt"

    # --- The leader sees how it will be signed, confirms, and signs.
    leader.goto(outgoing_url)
    assert "chứng thư số lưu trên máy chủ" in leader.locator("#signing-method").inner_text()
    leader.get_by_label("Tôi đã đọc văn bản và đồng ý ký số văn bản này").check()
    leader.get_by_role("button", name="Duyệt và ký số").click()
    assert leader.locator("#doc-status").inner_text() == "Đã ký, chờ cấp số"

    # --- The clerk numbers, seals and dispatches to the drafted recipients.
    clerk.goto(outgoing_url)
    clerk.get_by_role("button", name="Cấp số, ký hiệu").click()
    assert clerk.locator("#number-notation").inner_text() == "01/STTTT-KH"
    clerk.get_by_role("button", name="Ký số cơ quan (đóng dấu)").click()
    assert clerk.locator("#doc-status").inner_text() == "Đã ban hành"
    sealed_link = clerk.locator("section[aria-labelledby='h-files'] li").last.get_by_role("link")
    sealed = clerk.context.request.get(base + sealed_link.get_attribute("href")).body()
    assert sealed.startswith(b"%PDF")
    assert "Số: 01/STTTT-KH" in stamping.printed_text(sealed)
    assert clerk.get_by_label(recipient.agency.name).is_checked()
    shoot(clerk, "documents-dispatch")
    clerk.get_by_role("button", name="Phát hành", exact=True).click()
    assert clerk.locator("#doc-status").inner_text() == "Đã phát hành"
    assert (
        recipient.agency.name
        in clerk.locator("section[aria-labelledby='h-recipients']").inner_text()
    )

    # --- The public verification page (no login) shows both signatures valid.
    citizen = chromium.new_context(locale="vi-VN").new_page()
    citizen.goto(f"{base}/signing/verify/")
    citizen.locator("input[type=file][name=file]").set_input_files(
        {"name": "van-ban.pdf", "mimeType": PDF_UPLOAD, "buffer": sealed}
    )
    citizen.get_by_role("button", name="Kiểm tra").click()
    result = citizen.locator("#result")
    assert "Tệp có 2 chữ ký số." in result.inner_text()
    assert "Tất cả chữ ký đều hợp lệ." in result.inner_text()
    assert citizen.locator(".signing-report.signing-valid").count() == 2
    assert office.leader.full_name in result.inner_text()
    shoot(citizen, "documents-verify")
    for p in (leader, specialist, citizen):
        p.context.close()
