"""Diacritics-insensitive search, filters, and the registers as PDF and XLSX."""

from __future__ import annotations

import io
import unicodedata
from datetime import date, timedelta

import pytest
from django.utils import timezone

from tinhso.core.errors import ValidationFailed
from tinhso.documents import exports, selectors, services

from .conftest import make_pdf, register

pytestmark = pytest.mark.django_db


@pytest.fixture
def corpus(office):
    a = register(
        office,
        subject="Về việc tổ chức Hội nghị Ủy ban nhân dân tỉnh mở rộng",
        number_notation="1/GM-UBND",
        pdf=make_pdf("Giấy mời", body="Kính mời dự hội nghị.", agency_name="Văn phòng"),
        doc_type="gm",
    )
    b = register(
        office,
        subject="Báo cáo tình hình kinh tế - xã hội quý III",
        pdf=make_pdf(
            "Báo cáo",
            body="Đoàn công tác của thành phố Đà Nẵng đến làm việc về du lịch.",
            agency_name="Sở Tài chính",
        ),
        number_notation="2/BC-STC",
        doc_type="bc",
    )
    c = register(
        office,
        subject="Về việc cấp phép xây dựng trạm viễn thông",
        sender_name="Sở Xây dựng",  # the sender is searched too
        number_notation="3/UBND-KT",
        pdf=make_pdf("Cấp phép", body="Đề nghị cấp phép trạm BTS.", agency_name="Sở Xây dựng"),
        doc_type="cv",
    )
    return a, b, c


def uids(page):
    return {d.uid for d in page.items}


def test_search_without_diacritics_finds_the_subject(office, corpus):
    a, b, c = corpus
    page = selectors.search_documents(user=office.leader, q="uy ban nhan dan tinh")
    assert a.uid in uids(page) and c.uid not in uids(page)


def test_search_finds_the_pdf_text_with_or_without_marks_including_d_stroke(office, corpus):
    a, b, c = corpus
    for q in ("đà nẵng", "da nang", "ĐÀ NẴNG", '"da nang"'):
        assert uids(selectors.search_documents(user=office.leader, q=q)) == {b.uid}, q


def test_filters_type_status_date_and_agency_scope(office, other_office, corpus):
    a, b, c = corpus
    assert uids(selectors.search_documents(user=office.leader, doc_type="cv")) == {c.uid}
    services.assign_incoming(actor=office.leader, document=a, lead=office.specialist)
    assert uids(selectors.search_documents(user=office.leader, status="in_progress")) == {a.uid}
    today = timezone.localdate()
    assert (
        len(selectors.search_documents(user=office.leader, date_from=today, date_to=today).items)
        == 3
    )
    past = today - timedelta(days=30)
    assert selectors.search_documents(user=office.leader, date_to=past).items == []
    # Someone from another agency sees none of these.
    assert selectors.search_documents(user=other_office.leader, q="da nang").items == []
    with pytest.raises(ValidationFailed):
        selectors.search_documents(user=office.leader, date_from=today, date_to=past)


def test_outgoing_search_and_paging(office):
    for i in range(3):
        services.create_draft(
            external_recipients=[("Bộ Nội vụ", "G09")],
            actor=office.specialist,
            agency=office.agency,
            doc_type="kh",
            subject=f"Kế hoạch ứng dụng công nghệ thông tin số {i}",
            pdf=make_pdf(),
        )
    page = selectors.search_documents(
        user=office.specialist, q="ke hoach ung dung", kind="outgoing", limit=2
    )
    assert len(page.items) == 2 and page.has_more
    page2 = selectors.search_documents(
        user=office.specialist, q="ke hoach ung dung", kind="outgoing", limit=2, offset=2
    )
    assert len(page2.items) == 1 and not page2.has_more


def test_registers_export_as_pdf_and_xlsx_with_annex_columns(office, corpus):
    from openpyxl import load_workbook
    from pypdf import PdfReader

    a = corpus[0]
    reg = a.register
    pdf = exports.register_pdf(reg)
    reader = PdfReader(io.BytesIO(pdf))
    page = reader.pages[0]
    assert page.mediabox.width > page.mediabox.height  # landscape
    text = unicodedata.normalize("NFC", page.extract_text())
    assert "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN" in text
    assert "1/GM-UBND" in text.replace("\n", "")
    wb = load_workbook(io.BytesIO(exports.register_xlsx(reg)))
    ws = wb.active
    header = [c.value for c in ws[4]]
    assert header[:4] == ["Ngày đến", "Số đến", "Tác giả", "Số, ký hiệu"]
    assert [ws.cell(row=r, column=2).value for r in (5, 6, 7)] == [1, 2, 3]
    assert ws.cell(row=5, column=5).value.date() == date(2026, 1, 5)


@pytest.mark.postgres
def test_rare_words_are_found_by_the_gin_index_past_the_recent_walk(office, monkeypatch):
    """PostgreSQL: the newest-first walk stops after RECENT_WALK_ROWS; the GIN index then
    finds the rare older document, and the connection's settings are as before."""
    from django.db import connection

    from tinhso.documents.models import IncomingDocument

    old = register(office, subject="Về việc cấp phép khai thác cát ở xã Thạch Phong")
    common = [
        IncomingDocument(
            agency=office.agency,
            arrived_at=timezone.now(),
            sender_name="Sở Tài chính",
            number_notation=f"{i}/STC",
            issued_on=date(2026, 1, 5),
            doc_type="cv",
            subject="Về việc quyết toán ngân sách",
            subject_folded="ve viec quyet toan ngan sach " + "ngan sach " * 10,
            text_folded="du toan ngan sach nha nuoc " * 10,
        )
        for i in range(300)
    ]
    IncomingDocument.objects.bulk_create(common, batch_size=2000)
    monkeypatch.setattr(selectors, "RECENT_WALK_ROWS", 50)
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        before = cursor.fetchone()[0]
    page = selectors.search_documents(user=office.leader, q="khai thac cat thach phong")
    assert [d.uid for d in page.items] == [old.uid]
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == before
        cursor.execute("SHOW enable_bitmapscan")
        assert cursor.fetchone()[0] == "on"
