"""In a real browser (which forgets chosen files when a page comes back): a citizen's
upload survives a failed submission, the wrong paper is named, and the declaration is
the e-form — nothing to upload for it."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from tests.onestop.conftest import PDF, world  # noqa: F401 (the fixture)

from tinhso.onestop.models import Dossier, RequiredPaper

PASSWORD = "Mat-khau-2026"
SHOTS = Path(os.environ.get("TINHSO_SCREENSHOTS", "var/screenshots"))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_upload_survives_a_failed_submission_in_the_browser(page, request, tmp_path):
    w = request.getfixturevalue("world")
    RequiredPaper.objects.create(procedure=w.procedure, order=2, name="Văn bản ủy quyền")
    copy = RequiredPaper.objects.create(procedure=w.procedure, order=3, name="Bản sao căn cước")
    w.citizen.set_password(PASSWORD)
    w.citizen.save(update_fields=["password"])
    good = tmp_path / "uy-quyen.pdf"
    good.write_bytes(PDF + b"% uy quyen")
    id_card = tmp_path / "cccd.pdf"
    id_card.write_bytes(PDF + b"% cccd")
    bad = tmp_path / "cccd.exe"
    bad.write_bytes(b"MZ\x90\x00 not a pdf")
    SHOTS.mkdir(parents=True, exist_ok=True)

    page.goto(f"{page.base_url}/accounts/login/")
    page.get_by_label("Tên đăng nhập").fill(w.citizen.username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(re.compile(r"^(?!.*/accounts/).*$"))
    page.goto(f"{page.base_url}/onestop/thu-tuc/{w.procedure.code}/nop-ho-so/")
    assert page.get_by_test_id("eform-paper").is_visible()  # the declaration is the e-form
    page.get_by_label("Họ và tên").fill("Nguyễn Văn A")
    page.get_by_label("Số bản").fill("99")  # too many: the e-form is refused
    page.get_by_label("Văn bản ủy quyền").set_input_files(str(good))
    page.get_by_label("Bản sao căn cước").set_input_files(str(bad))
    page.get_by_role("button", name="Nộp hồ sơ").click()
    page.get_by_text("Phải nhỏ hơn hoặc bằng 10.").wait_for()
    assert page.locator(f"#paper-{copy.pk}-error").inner_text().startswith("“Bản sao căn cước”:")
    kept = page.get_by_test_id("kept-upload")
    assert kept.count() == 1 and "uy-quyen.pdf" in kept.inner_text()
    page.screenshot(path=str(SHOTS / "submit-kept-upload.png"), full_page=True)

    page.get_by_label("Số bản").fill("2")
    page.get_by_label("Bản sao căn cước").set_input_files(str(id_card))  # only the bad one again
    page.get_by_role("button", name="Nộp hồ sơ").click()
    page.wait_for_url(re.compile(r"/onestop/ho-so/[0-9a-f-]+/$"))
    dossier = Dossier.objects.get()
    names = sorted(dossier.files.values_list("original_name", flat=True))
    assert names == ["cccd.pdf", "uy-quyen.pdf"]
    assert dossier.form_data["so_ban"] == 2
