"""In a real browser, counter reception with the paper checklist: the one-stop officer
looks the citizen up by ID number, is told which required paper is missing, ticks the
papers handed in with their copies, receives the dossier, and form 01 — rendered by the
worker and downloaded as stored — lists the ticked papers and the appointment date."""

from __future__ import annotations

import hashlib
import io
import os
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from pypdf import PdfReader
from tests.onestop.conftest import world  # noqa: F401 (the fixture)
from tests.onestop.test_counter_reception import ID, birth  # noqa: F401 (the fixture)

from tinhso.accounts import otp
from tinhso.accounts.services import set_totp_secret
from tinhso.onestop.models import Dossier, IssuedForm
from tinhso.workdays.services import VN

PASSWORD = "Mat-khau-2026"
SHOTS = Path(os.environ.get("TINHSO_SCREENSHOTS", "var/screenshots"))


def _login_official(page, user) -> None:
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    set_totp_secret(user=user, secret=otp.new_secret())
    page.goto(f"{page.base_url}/accounts/login/")
    page.get_by_label("Tên đăng nhập").fill(user.username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(re.compile(r"/accounts/otp/"))
    user.refresh_from_db()
    page.get_by_label("Mã xác thực (6 chữ số)").fill(
        otp.code_at(otp.user_secret(user), otp.current_step())
    )
    page.get_by_role("button", name="Xác nhận").click()
    page.wait_for_url(re.compile(r"^(?!.*/accounts/).*$"))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_counter_reception_with_the_paper_checklist_in_the_browser(page, request):
    b = request.getfixturevalue("birth")
    SHOTS.mkdir(parents=True, exist_ok=True)
    _login_official(page, b.w.officer)

    # 1. Pick the procedure, look the citizen up by the ID number on their card.
    page.goto(f"{page.base_url}/onestop/tiep-nhan-tai-quay/?q=khai+sinh")
    page.get_by_role("link", name=re.compile("Đăng ký khai sinh")).click()
    page.get_by_label("Số định danh cá nhân (CCCD)").fill(ID)
    page.get_by_role("button", name="Tra cứu").click()
    page.get_by_test_id("citizen-found").wait_for()
    assert page.get_by_label("Họ và tên").input_value() == "Nguyễn Văn A"
    assert page.locator("[name='ef-applicant.citizen_id']").input_value() == ID
    assert page.get_by_label("Số điện thoại").input_value() == "0912345678"
    # the applicant and the delivery are asked once: in the e-form
    assert page.locator("input[name=applicant_name]").count() == 0
    assert page.locator("select[name=return_method]").count() == 0
    page.get_by_label("Nơi cư trú").fill("5 Lam Giang, phường Sông Lam")
    page.get_by_label("Hình thức nhận kết quả").select_option("counter")

    # 2. Receiving without the birth certificate: the page names it and keeps the form.
    page.get_by_role("checkbox", name=re.compile("^Giấy tờ tùy thân")).check()
    page.get_by_role("button", name="Tiếp nhận và in giấy hẹn").click()
    page.get_by_text("Chưa nhận đủ giấy tờ bắt buộc: “Giấy chứng sinh”").wait_for()
    assert page.get_by_label("Nơi cư trú").input_value() == "5 Lam Giang, phường Sông Lam"
    assert Dossier.objects.count() == 0

    # 3. Tick the certificate with one original and two copies; receive.
    page.get_by_role("checkbox", name=re.compile("^Giấy chứng sinh")).check()
    page.get_by_label("Số bản sao — Giấy chứng sinh").fill("2")
    page.get_by_test_id("paper-checklist").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "counter-checklist.png"), full_page=True)
    page.get_by_role("button", name="Tiếp nhận và in giấy hẹn").click()
    page.wait_for_url(re.compile(r"/onestop/ho-so/[0-9a-f-]+/$"))
    dossier = Dossier.objects.get()
    assert dossier.applicant == b.w.citizen and dossier.state == "accepted"
    assert page.get_by_test_id("dossier-code").inner_text() == dossier.code

    # 4. The worker renders form 01; the page lists it; the download is the stored file.
    call_command("worker", "--batch", "--interval", "0", "--sweep-interval", "0", verbosity=0)
    form = IssuedForm.objects.get(dossier=dossier, number="01")
    assert form.sha256
    page.reload()
    received = page.get_by_test_id("received-papers").inner_text()
    assert "Giấy chứng sinh — 1 bản chính, 2 bản sao" in received
    page.screenshot(path=str(SHOTS / "counter-dossier.png"), full_page=True)
    link = page.get_by_test_id("issued-forms").get_by_role("link", name=re.compile("Mẫu 01"))
    response = page.context.request.get(page.base_url + link.get_attribute("href"))
    assert response.ok and response.headers["content-type"] == "application/pdf"
    data = response.body()
    assert hashlib.sha256(data).hexdigest() == form.sha256
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).split())
    assert dossier.code in text
    assert "Tờ khai đăng ký khai sinh — 1 bản chính" in text
    assert "Giấy chứng sinh — 1 bản chính, 2 bản sao" in text
    assert "Giấy tờ tùy thân của người yêu cầu — 1 bản sao" in text
    appointment = dossier.due_at.astimezone(VN).strftime("%H giờ %M phút, ngày %d/%m/%Y")
    assert f"Thời gian trả kết quả giải quyết hồ sơ: {appointment}" in text
    assert "Hình thức nhận kết quả: Nhận tại bộ phận một cửa" in text
