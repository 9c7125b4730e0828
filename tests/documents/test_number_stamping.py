"""Item 18: an official letter's notation names the drafting unit, and the number and the
date are written into the PDF before the seal signs it; both signatures stay valid."""

from __future__ import annotations

from datetime import date

import pytest

from tinhso.core.errors import DomainError
from tinhso.directory.models import OrgUnit
from tinhso.documents import services, stamping
from tinhso.documents.pdfs import render_document_pdf

pytestmark = pytest.mark.django_db


def letter_pdf(suffix: str) -> bytes:
    """A draft as the drafter prepares it: the number left blank, the date line open."""
    return render_document_pdf(
        agency_name="Sở Thông tin và Truyền thông",
        title="Công văn",
        subject="Về việc triển khai chữ ký số chuyên dùng",
        body=["Đề nghị các đơn vị triển khai chữ ký số chuyên dùng cho cán bộ."],
        number_notation=f"Số:      /{suffix}",
        place_date="Sông Lam, ngày … tháng … năm …",
    )


def test_official_letter_notation_names_the_drafting_unit_from_its_name():
    unit = OrgUnit(name="Phòng Quản lý ngân sách")
    agency = type("A", (), {"short_name": "STC", "code": "H1"})()
    assert services.unit_abbreviation(unit) == "QLNS"
    assert services.unit_abbreviation(OrgUnit(name="Văn phòng")) == "VP"
    assert services.unit_abbreviation(OrgUnit(name="Phòng Đầu tư", short_name="ĐT")) == "ĐT"
    assert (
        services.format_number_notation(number=7, doc_type="cv", agency=agency, drafting_unit=unit)
        == "07/STC-QLNS"
    )
    assert services.format_number_notation(number=1, doc_type="qd", agency=agency) == "01/QĐ-STC"


def test_date_line_follows_decree_30_leading_zeros():
    assert stamping.date_line("Sông Lam", date(2026, 3, 5)) == "Sông Lam, ngày 05 tháng 3 năm 2026"
    assert stamping.date_line("Hà Nội", date(2026, 2, 15)) == "Hà Nội, ngày 15 tháng 02 năm 2026"


def test_a_draft_letter_takes_the_drafters_unit(office):
    doc = services.create_draft(
        external_recipients=[("Bộ Nội vụ", "G09")],
        actor=office.specialist,
        agency=office.agency,
        doc_type="cv",
        subject="Về việc báo cáo",
        pdf=letter_pdf("STTTT-KH"),
    )
    assert doc.drafting_unit == office.unit


def test_a_letter_without_a_drafting_unit_is_refused_and_nothing_is_stored(office):
    # The clerk has no unit in the office: a letter needs one (its notation names it).
    with pytest.raises(DomainError) as err:
        services.create_draft(
            external_recipients=[("Bộ Nội vụ", "G09")],
            actor=office.clerk,
            agency=office.agency,
            doc_type="cv",
            subject="Về việc báo cáo",
            pdf=letter_pdf("STTTT"),
        )
    assert err.value.code == "drafting_unit_required"
    assert not office.agency.outgoing_documents.exists()


def test_sealed_letter_shows_number_and_date_and_both_signatures_are_valid(office):
    from tinhso.signing.selectors import verify_pdf
    from tinhso.signing.services.demo import init_demo

    init_demo()
    doc = services.create_draft(
        external_recipients=[("Bộ Nội vụ", "G09")],
        actor=office.specialist,
        agency=office.agency,
        doc_type="cv",
        subject="Về việc triển khai chữ ký số chuyên dùng",
        pdf=letter_pdf("STTTT-KH"),
    )
    services.submit_for_review(actor=office.specialist, document=doc, signer=office.leader)
    services.sign_outgoing(actor=office.leader, document=doc)
    doc = services.number_outgoing(actor=office.clerk, document=doc)
    assert doc.number_notation == "01/STTTT-KH"
    doc = services.seal_outgoing(actor=office.clerk, document=doc)

    roles = [f.role for f in doc.files.order_by("version")]
    assert roles == ["draft", "signed", "numbered", "sealed"]
    sealed = services.read_file_bytes(doc.latest_file)
    text = stamping.printed_text(sealed)
    issued = stamping.date_line("Sông Lam", doc.issued_on)
    assert "Số: 01/STTTT-KH" in text
    assert issued in text
    assert stamping.field_values(sealed) == {
        stamping.NUMBER_FIELD: "Số: 01/STTTT-KH",
        stamping.DATE_FIELD: issued,
    }

    reports = verify_pdf(sealed)
    assert len(reports) == 2
    leader, seal = reports
    # The leader signed before the number existed: filling the fields is not a change.
    assert leader.status == "valid", leader.summary
    assert leader.modification in ("none", "signatures_added"), leader.modification_text
    assert leader.signer_name == office.leader.full_name
    assert seal.status == "valid" and seal.covers_whole_document, seal.summary


def test_a_paper_signed_document_gets_number_and_date_in_its_electronic_copy(office):
    doc = services.create_draft(
        external_recipients=[("Bộ Nội vụ", "G09")],
        actor=office.specialist,
        agency=office.agency,
        doc_type="qd",
        subject="Quyết định ban hành quy chế",
        pdf=letter_pdf("QĐ-STTTT"),
    )
    services.submit_for_review(actor=office.specialist, document=doc, signer=office.leader)
    services.sign_outgoing(actor=office.leader, document=doc, digital=False)
    doc = services.number_outgoing(actor=office.clerk, document=doc)
    text = stamping.printed_text(services.read_file_bytes(doc.latest_file))
    assert "Số: 01/QĐ-STTTT" in text
    assert doc.latest_file.role == "numbered"
