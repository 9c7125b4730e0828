"""Attacker-style input to the one-stop: text that once broke the form-06 register for the
whole year, PDFs that run code, XML with entities, and how uploads are served back."""

from __future__ import annotations

import io
import json

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader
from rest_framework.test import APIClient

from tinhso.accounts.middleware import SESSION_KEY
from tinhso.core.errors import ValidationFailed
from tinhso.onestop import services
from tinhso.onestop.models import Dossier, DossierEvent, DossierFile, DossierState, WalletItem

from .conftest import PDF, accepted, at_last_step, pdf_file, submit

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def login(client, user):
    client.force_login(user)
    if user.needs_second_factor:
        session = client.session
        session[SESSION_KEY] = True
        session.save()
    return client


def js_pdf(name: str = "to-khai.pdf") -> io.BytesIO:
    """A valid PDF that runs JavaScript when opened."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.actions import JavaScript

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(PDF)))
    writer.add_open_action(JavaScript("app.alert('xin chao');"))
    stream = io.BytesIO()
    writer.write(stream)
    stream.seek(0)
    stream.name = name
    return stream


def submit_over_api(world, **fields):
    body = {
        "procedure": world.procedure.code,
        "form_data": fields.pop("form_data", json.dumps({"ho_ten": "Nguyễn Văn A", "so_ban": 1})),
        f"file_{world.paper.pk}": fields.pop("paper", None) or pdf_file(),
        **fields,
    }
    return api(world.citizen).post("/api/v1/onestop/dossiers/", body, format="multipart")


def register_rows_of(client) -> list[tuple]:
    response = client.get(reverse("onestop:register_xlsx"))
    assert response.status_code == 200, response.content[:300]
    sheet = load_workbook(io.BytesIO(response.content))["So theo doi"]
    return list(sheet.iter_rows(min_row=5, values_only=True))


# ---------------------------------------------------------------------------------------
# Text


def test_a_vertical_tab_in_the_applicant_name_is_cleaned_and_the_form06_register_downloads(
    client, world
):
    response = submit_over_api(world, applicant_name="Nguyễn\x0bVăn\x1b A")
    assert response.status_code == 201, response.json()
    dossier = Dossier.objects.get()
    assert dossier.applicant_name == "Nguyễn Văn A"
    services.accept_dossier(officer=world.officer, dossier=dossier)
    rows = register_rows_of(login(client, world.leader))
    assert rows[0][3].startswith("Nguyễn Văn A")


def test_the_form06_register_downloads_whatever_is_already_stored(client, world):
    dossier = accepted(world)
    # Rows stored before the input was cleaned (update() writes as given).
    Dossier.objects.filter(pk=dossier.pk).update(
        applicant_name="Trần\x0bThị\x01 B\x1f",
        applicant_address='=HYPERLINK("http://evil.example/","bấm vào đây")',
        note="x" * 100_000,
    )
    rows = register_rows_of(login(client, world.leader))
    assert rows[0][3].startswith("Trần\nThị B")  # a line break inside the cell
    assert rows[0][4].startswith("=HYPERLINK(")  # shown as text ...
    response = client.get(reverse("onestop:register_xlsx"))
    sheet = load_workbook(io.BytesIO(response.content))["So theo doi"]
    assert sheet.cell(row=5, column=5).data_type == "s"  # ... never a formula


@pytest.mark.parametrize("form", ["01", "05"])
def test_the_one_stop_forms_print_whatever_long_text_is_already_stored(client, world, form):
    dossier = accepted(world)
    Dossier.objects.filter(pk=dossier.pk).update(
        applicant_address=("Số nhà " * 100)[:500],
        refusal_reasons="Lý do " * 20_000,
        note="x" * 100_000,
    )
    DossierEvent.objects.filter(dossier=dossier).update(note="Ghi chú " * 15_000)
    login(client, world.officer)
    response = client.get(reverse("onestop:dossier_form", args=[dossier.uid, form]))
    assert response.status_code == 200
    assert len(PdfReader(io.BytesIO(response.content)).pages) <= 20


def test_a_100000_character_name_is_refused_with_a_code_and_creates_nothing(world):
    response = submit_over_api(world, applicant_name="A" * 100_000)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "text_too_long"
    assert body["details"]["field"] == "applicant_name"
    assert Dossier.objects.count() == 0 and DossierFile.objects.count() == 0


def test_e_form_strings_are_cleaned_and_a_huge_one_is_refused(world):
    dossier = submit(world, form_data={"ho_ten": "Lê\x0bVăn\x1b C", "so_ban": 1})
    assert dossier.form_data["ho_ten"] == "Lê\nVăn C"
    response = submit_over_api(world, form_data=json.dumps({"ho_ten": "x" * 20_000, "so_ban": 1}))
    assert response.status_code == 400
    assert response.json()["code"] == "text_too_long"
    assert Dossier.objects.count() == 1


def test_a_reason_written_by_a_state_change_is_cleaned_and_measured_too(world):
    dossier = submit(world)
    with pytest.raises(ValidationFailed) as err:
        services.withdraw(user=world.citizen, dossier=dossier, reason="r" * 20_000)
    assert err.value.code == "text_too_long"
    assert err.value.details["field"] == "withdraw_reason"
    dossier.refresh_from_db()
    assert dossier.state == DossierState.SUBMITTED and dossier.withdraw_reason == ""
    services.withdraw(user=world.citizen, dossier=dossier, reason="Nộp\x0bnhầm\x00")
    dossier.refresh_from_db()
    assert dossier.withdraw_reason == "Nộp\nnhầm"


def test_an_uploaded_file_name_of_any_length_or_content_is_stored_safely(world):
    upload = pdf_file("a\x0b" * 300 + ".pdf")
    dossier = submit(world, attachments=[services.Attachment(file=upload, paper=world.paper)])
    stored = dossier.files.get()
    assert len(stored.original_name) <= 200 and "\x0b" not in stored.original_name


# ---------------------------------------------------------------------------------------
# PDFs with active content, XML


def test_a_paper_with_javascript_is_refused_over_the_api(world):
    response = submit_over_api(world, paper=js_pdf())
    assert response.status_code == 400
    assert response.json()["code"] == "pdf_active_content"
    assert "javascript" in response.json()["details"]["found"]
    assert Dossier.objects.count() == 0


def test_a_wallet_item_with_javascript_is_refused(world):
    response = api(world.citizen).post(
        "/api/v1/onestop/wallet/", {"file": js_pdf("cccd.pdf")}, format="multipart"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "pdf_active_content"
    assert WalletItem.objects.count() == 0


def test_a_result_with_javascript_is_refused(world):
    dossier = at_last_step(world)
    response = api(world.leader).post(
        f"/api/v1/onestop/dossiers/{dossier.uid}/attach-result/",
        {"file": js_pdf("ket-qua.pdf")},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "pdf_active_content"
    assert not dossier.files.filter(kind="result").exists()


def test_a_damaged_pdf_is_refused_as_a_paper(world):
    response = submit_over_api(world, paper=_broken_pdf())
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_pdf"


def _broken_pdf() -> io.BytesIO:
    stream = io.BytesIO(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    stream.name = "hong.pdf"
    return stream


def _xml(data: bytes, name: str = "to-khai.xml") -> io.BytesIO:
    stream = io.BytesIO(data)
    stream.name = name
    return stream


XXE = (
    b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b"<toKhai><hoTen>&x;</hoTen></toKhai>"
)
BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
    b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">'
    b"]><l>&c;&c;&c;</l>"
)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (XXE, "xml_dtd_forbidden"),
        (BILLION_LAUGHS, "xml_dtd_forbidden"),
        (b"<toKhai><hoTen>A</toKhai>", "invalid_xml"),
        (b"MZ\x90\x00 not xml at all", "invalid_xml"),
    ],
)
def test_an_xml_paper_with_entities_or_not_well_formed_is_refused(world, data, code):
    response = submit_over_api(world, paper=_xml(data))
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert Dossier.objects.count() == 0


def test_a_well_formed_xml_paper_is_accepted(world):
    xml = '<?xml version="1.0" encoding="UTF-8"?><toKhai><hoTen>Nguyễn Văn A</hoTen></toKhai>'
    response = submit_over_api(world, paper=_xml(xml.encode()))
    assert response.status_code == 201, response.json()
    assert Dossier.objects.get().files.get().content_type == "application/xml"


# ---------------------------------------------------------------------------------------
# Serving uploads


def _assert_served_as_download(response, content_type: str) -> bytes:
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == content_type
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    return b"".join(response.streaming_content)


def test_a_dossier_file_is_served_as_a_download_whatever_its_stored_name(client, world):
    dossier = submit(world)
    item = dossier.files.get()
    DossierFile.objects.filter(pk=item.pk).update(
        original_name="trang.html", content_type="text/html"
    )
    login(client, world.citizen)
    response = client.get(reverse("onestop:dossier_file", args=[dossier.uid, item.uid]))
    assert _assert_served_as_download(response, "application/octet-stream") == PDF
    assert 'filename="trang.html"' in response["Content-Disposition"]


def test_a_wallet_file_is_served_as_a_download(client, world):
    item = services.add_to_wallet(user=world.citizen, file=pdf_file("cccd.pdf"), name="CCCD")
    login(client, world.citizen)
    response = client.get(reverse("onestop:wallet_file", args=[item.uid]))
    assert _assert_served_as_download(response, "application/pdf") == PDF


def test_forms_we_render_ourselves_may_still_open_inline(client, world):
    dossier = accepted(world)
    login(client, world.officer)
    response = client.get(reverse("onestop:dossier_form", args=[dossier.uid, "01"]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("inline;")
