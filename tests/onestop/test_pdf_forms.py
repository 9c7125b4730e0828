"""PDF forms 01–05, rendered from real dossiers through the services that issue them:
A5, the dossier code (also as a QR code), correct Vietnamese, and what each form says.
A renamed model field breaks these tests (the content is built from the models)."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
import segno
from pypdf import PdfReader

from tinhso.onestop import pdf, services
from tinhso.onestop.models import IssuedForm
from tinhso.onestop.services.clock import frozen
from tinhso.onestop.services.forms_issued import render_issued_form

from .conftest import accepted, at_last_step, submit, vn

pytestmark = pytest.mark.django_db


def _text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(data))
    # Collapse line wrapping: the assertions are about content, not layout.
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def _pdf(dossier, number: str) -> bytes:
    """The latest form `number` the dossier was issued, rendered by the worker's task."""
    form = IssuedForm.objects.filter(dossier=dossier, number=number).order_by("-pk").first()
    assert form is not None, f"form {number} was not issued"
    assert render_issued_form(form.pk) == "rendered"
    form.refresh_from_db()
    return form.file.read()


def test_receipt_slip_is_a5_with_code_vietnamese_text_and_the_appointment(world):
    w = world
    with frozen(vn(2026, 3, 2, 9, 0)):
        dossier = accepted(w)
    data = _pdf(dossier, "01")
    reader = PdfReader(io.BytesIO(data))
    width, height = (float(x) for x in reader.pages[0].mediabox[2:])
    assert (round(width), round(height)) == (420, 595)  # A5 portrait in points
    text = _text(data)
    assert dossier.code in text
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text
    assert "Nguyễn Văn A" in text and "SỞ TƯ PHÁP" in text and "UBND TỈNH" in text
    assert "5 ngày làm việc" in text
    assert "Cấp bản sao trích lục hộ tịch (1.001193)" in text
    # received 09:00 Monday 2 March 2026; 5 working days → end of Monday 9 March (VN time)
    assert "09 giờ 00 phút, ngày 02/03/2026" in text
    assert "trả kết quả giải quyết hồ sơ: 17 giờ 00 phút, ngày 09/03/2026" in text
    assert "Tờ khai cấp bản sao trích lục — bản điện tử" in text
    assert "motcua.stp" in text  # the officer who received it signs


def test_receipt_qr_code_carries_the_dossier_code(world):
    dossier = accepted(world)
    images = PdfReader(io.BytesIO(_pdf(dossier, "01"))).pages[0].images
    assert len(images) == 1
    img = images[0].image.convert("1")
    expected = segno.make(dossier.code, error="m", micro=False)
    modules = expected.symbol_size(scale=1, border=2)[0]
    assert img.size[0] == modules * 4
    # Sample the centre of every module and compare with the reference encoding.
    matrix = [[bool(v) for v in row] for row in expected.matrix]
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            pixel = img.getpixel(((x + 2) * 4 + 2, (y + 2) * 4 + 2))
            assert (pixel == 0) == dark


def test_supplement_request_lists_everything_missing(world):
    dossier = submit(world)
    services.request_supplement(
        official=world.officer,
        dossier=dossier,
        items=["Bản chụp căn cước còn hạn", "Văn bản ủy quyền có chứng thực"],
        note="Thiếu giấy tờ",
    )
    text = _text(_pdf(dossier, "02"))
    assert "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ" in text
    assert "1. Bản chụp căn cước còn hạn" in text
    assert "2. Văn bản ủy quyền có chứng thực" in text
    assert "Lý do/ghi chú: Thiếu giấy tờ" in text and "Nguyễn Văn A" in text


def test_refusal_gives_each_reason(world):
    dossier = submit(world)
    services.refuse_reception(
        officer=world.officer,
        dossier=dossier,
        reasons="Thủ tục không thuộc thẩm quyền của cơ quan\nHồ sơ giả mạo",
    )
    text = _text(_pdf(dossier, "03"))
    assert "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ" in text
    assert "1. Thủ tục không thuộc thẩm quyền của cơ quan" in text
    assert "2. Hồ sơ giả mạo" in text
    assert "motcua.stp" in text


def test_apology_gives_the_old_and_new_dates_and_the_reason(world):
    w = world
    with frozen(vn(2026, 3, 2, 9, 0)):
        dossier = accepted(w)
    with frozen(vn(2026, 3, 5, 9, 0)):
        services.propose_extension(
            official=w.officer,
            dossier=dossier,
            new_due_date=date(2026, 3, 16),
            reason="Cần xác minh tại địa phương khác",
        )
    text = _text(_pdf(dossier, "04"))
    assert "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ" in text
    assert "09/03/2026" in text and "16/03/2026" in text
    assert "Cần xác minh tại địa phương khác" in text and dossier.code in text


def test_control_slip_has_every_hand_over_and_marks_late_steps(world):
    w = world
    with frozen(vn(2026, 3, 2, 9, 0)):
        dossier = at_last_step(w)
        services.attach_result(official=w.leader, dossier=dossier, file=_result())
    with frozen(vn(2026, 3, 12, 9, 0)):  # after the 9 March appointment: late
        services.approve(official=w.leader, dossier=dossier)
        services.return_result(officer=w.officer, dossier=dossier, method="online")
    text = _text(_pdf(dossier, "05"))
    assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in text
    assert "chuyenvien.stp" in text and "lanhdao.stp" in text
    assert "Chuyển bước tiếp theo" in text and "Phê duyệt" in text and "Trả kết quả" in text
    assert "Đúng hạn" in text and "Quá hạn" in text
    assert "Kết quả giải quyết: Quá hạn" in text


def _result():
    from .conftest import pdf_file

    return pdf_file("ket-qua.pdf", b"% ket qua")


def test_days_text():
    assert pdf.days_text(Decimal("10.0")) == "10"
    assert pdf.days_text(Decimal("0.5")) == "0,5"
    assert pdf.days_text(10) == "10"
