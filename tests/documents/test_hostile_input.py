"""Attacker-style input to documents: a subject that once broke the registers for the whole
year (a control character: XLSX; 100,000 characters: PDF), PDFs that run code, and how
uploaded files are served back."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from openpyxl import load_workbook
from pypdf import PdfReader, PdfWriter
from pypdf.actions import JavaScript
from rest_framework.test import APIClient

from tinhso.core.errors import ValidationFailed
from tinhso.directory.models import Agency
from tinhso.documents import services
from tinhso.documents.models import IncomingDocument, OutgoingDocument, Register

from .conftest import make_pdf, register

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    session = client.session
    session["tinhso_2fa_ok"] = True
    session.save()
    return client


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def upload(data: bytes, name: str = "van-ban.pdf") -> io.BytesIO:
    f = io.BytesIO(data)
    f.name = name
    return f


def with_javascript(pdf: bytes) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.add_open_action(JavaScript("app.launchURL('http://evil.example/', true);"))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def with_attachment(pdf: bytes) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.add_attachment("hoa-don.exe", b"MZ\x90\x00")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def numbered_outgoing(office) -> OutgoingDocument:
    doc = services.create_draft(
        external_recipients=[("Bộ Nội vụ", "G09")],
        actor=office.specialist,
        agency=office.agency,
        doc_type="qd",
        subject="Quyết định phê duyệt kế hoạch",
        pdf=make_pdf(),
        drafting_unit=office.unit,
    )
    services.submit_for_review(
        actor=office.specialist, document=doc, reviewers=[], signer=office.leader
    )
    services.approve_outgoing(actor=office.leader, document=doc)
    services.sign_outgoing(actor=office.leader, document=doc, digital=False)
    return services.number_outgoing(actor=office.clerk, document=doc)


# ---------------------------------------------------------------------------------------
# Registers


@pytest.mark.parametrize("direction", ["incoming", "outgoing"])
def test_the_xlsx_register_downloads_whatever_subject_is_already_stored(office, direction):
    if direction == "incoming":
        doc = register(office)
        IncomingDocument.objects.filter(pk=doc.pk).update(
            subject="Về việc\x0b tiếp nhận\x01\x1f hồ sơ", sender_name='=cmd|"/c calc"!A1'
        )
    else:
        doc = numbered_outgoing(office)
        OutgoingDocument.objects.filter(pk=doc.pk).update(subject="Về việc\x0b\x08 thử")
    response = login(office.leader).get(f"/documents/registers/{doc.register_id}.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [c for row in sheet.iter_rows(min_row=5) for c in row if isinstance(c.value, str)]
    subject = next(c.value for c in cells if "Về việc" in c.value)
    assert not any(c in subject for c in "\x0b\x01\x1f\x08")
    assert all(c.data_type == "s" for c in cells)  # "=cmd|..." stays text, not a formula


def test_the_pdf_register_prints_a_100000_character_subject_on_a_bounded_page(office):
    doc = register(office)
    IncomingDocument.objects.filter(pk=doc.pk).update(subject="Về việc " + "rất dài " * 12_500)
    other = register(office, number_notation="124/QĐ-UBND", subject="Văn bản thứ hai")
    # One unbroken 100,000-character word, and a sender name at its column's maximum.
    IncomingDocument.objects.filter(pk=other.pk).update(
        subject="Văn bản thứ hai " + "x" * 100_000, sender_name="y" * 255
    )
    response = login(office.leader).get(f"/documents/registers/{doc.register_id}.pdf")
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) <= 2
    text = "".join(page.extract_text() for page in reader.pages)
    assert "Về việc rất dài" in text and "…" in text and "Văn bản thứ hai" in text


def test_markup_characters_in_a_subject_or_agency_name_print_as_written(office):
    doc = register(office, subject="Về việc <b>sửa</b> & bổ sung")
    Agency.objects.filter(pk=office.agency.pk).update(name="Sở <Kế hoạch> & Đầu tư")
    response = login(office.leader).get(f"/documents/registers/{doc.register_id}.pdf")
    assert response.status_code == 200
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "<b>sửa</b> & bổ sung" in text and "SỞ <KẾ HOẠCH> & ĐẦU TƯ" in text


def test_a_100000_character_subject_is_refused_with_a_code_and_takes_no_number(office):
    with pytest.raises(ValidationFailed) as err:
        register(office, subject="x" * 100_000)
    assert err.value.code == "text_too_long"
    assert err.value.details["field"] == "subject"
    assert IncomingDocument.objects.count() == 0
    assert not Register.objects.filter(agency=office.agency, last_number__gt=0).exists()
    response = api(office.clerk).post(
        "/api/v1/documents/incoming",
        {
            "file": upload(make_pdf()),
            "agency": office.agency.code,
            "sender_name": "Sở Y tế",
            "number_notation": "77/SYT-VP",
            "issued_on": "2026-02-03",
            "doc_type": "cv",
            "subject": "x" * 100_000,
        },
        format="multipart",
    )
    assert response.status_code == 400 and response.json()["code"] == "text_too_long"
    assert IncomingDocument.objects.count() == 0


# ---------------------------------------------------------------------------------------
# PDFs with active content


@pytest.mark.parametrize(
    ("make", "found"),
    [(with_javascript, "javascript"), (with_attachment, "embedded_file")],
)
def test_an_incoming_document_with_active_content_is_refused(office, make, found):
    with pytest.raises(ValidationFailed) as err:
        register(office, pdf=make(make_pdf()))
    assert err.value.code == "pdf_active_content"
    assert found in err.value.details["found"]
    assert IncomingDocument.objects.count() == 0


def test_an_incoming_document_with_javascript_is_refused_over_the_api(office):
    response = api(office.clerk).post(
        "/api/v1/documents/incoming",
        {
            "file": upload(with_javascript(make_pdf())),
            "agency": office.agency.code,
            "sender_name": "Sở Y tế",
            "number_notation": "77/SYT-VP",
            "issued_on": "2026-02-03",
            "doc_type": "cv",
            "subject": "Về việc phòng chống dịch",
        },
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "pdf_active_content"


def test_an_outgoing_draft_with_javascript_is_refused(office):
    with pytest.raises(ValidationFailed) as err:
        services.create_draft(
            external_recipients=[("Bộ Nội vụ", "G09")],
            actor=office.specialist,
            agency=office.agency,
            doc_type="qd",
            subject="Quyết định",
            pdf=with_javascript(make_pdf()),
            drafting_unit=office.unit,
        )
    assert err.value.code == "pdf_active_content"
    assert OutgoingDocument.objects.count() == 0


def test_a_stored_pdf_with_javascript_cannot_be_signed(office):
    from tinhso.signing.services import open_pdf

    with pytest.raises(ValidationFailed) as err:
        open_pdf(with_javascript(make_pdf()))
    assert err.value.code == "pdf_active_content"
    assert open_pdf(make_pdf()) is not None


# ---------------------------------------------------------------------------------------
# Serving


def test_a_document_file_is_served_as_a_download_on_the_page_and_the_api(office):
    doc = register(office)
    file = doc.files.get()
    for response in (
        login(office.leader).get(f"/documents/files/{file.pk}/"),
        api(office.leader).get(f"/api/v1/documents/files/{file.pk}"),
    ):
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["Content-Type"] == "application/pdf"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response["Content-Security-Policy"]
        assert response.content.startswith(b"%PDF")
