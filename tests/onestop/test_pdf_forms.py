"""PDF forms 01–05 and the e-receipt: they parse, carry the code and correct Vietnamese."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace as NS

import segno
from pypdf import PdfReader

from tinhso.onestop import pdf

CODE = "000.00.04.H99-250704-0012"


def _dossier(**extra):
    agency = NS(name="Sở Tư pháp", parent=NS(name="Ủy ban nhân dân tỉnh Sông Lam"))
    base = dict(
        code=CODE,
        procedure=NS(
            name="Thủ tục cấp Phiếu lý lịch tư pháp",
            code="2.000488",
            processing_days=Decimal("10.0"),
        ),
        receiving_agency=agency,
        agency=agency,
        applicant_name="Lữ Văn An",
        applicant_id_number="099090000001",
        applicant_address="Số 5 đường Lam Giang, phường Sông Lam",
        applicant_phone="0912345678",
        applicant_email="an@example.org",
        received_at=datetime(2025, 7, 4, 2, 0, tzinfo=UTC),
        due_at=datetime(2025, 7, 18, 10, 0, tzinfo=UTC),
        received_by=NS(full_name="Dương Thị Chi"),
        get_return_method_display=lambda: "Nhận trực tuyến",
        fee_vnd=200000,
        fee_paid=True,
        files=[NS(kind="paper", name="Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp")],
        supplements=[
            NS(
                items=["Bản chụp căn cước còn hạn", "Văn bản ủy quyền có chứng thực"],
                note="Thiếu giấy tờ",
                requested_at=datetime(2025, 7, 4, 3, 0, tzinfo=UTC),
                requested_by=NS(full_name="Dương Thị Chi"),
            )
        ],
        refusal_reasons="Thủ tục không thuộc thẩm quyền của cơ quan\nHồ sơ giả mạo",
        extension=NS(
            old_due_at=datetime(2025, 7, 18, 10, 0, tzinfo=UTC),
            new_due_at=datetime(2025, 7, 25, 10, 0, tzinfo=UTC),
            reason="Cần xác minh tại địa phương khác",
            apology="",
            created_at=datetime(2025, 7, 16, 3, 0, tzinfo=UTC),
        ),
        events=[
            NS(
                action="accept",
                at=datetime(2025, 7, 4, 2, 0, tzinfo=UTC),
                step_name="Tiếp nhận hồ sơ",
                from_name="Dương Thị Chi",
                to_name="Phạm Thanh Mai",
                from_agency=None,
                to_agency=None,
                step_due_at=datetime(2025, 7, 4, 10, 0, tzinfo=UTC),
                on_time=True,
                note="",
            ),
            NS(
                action="forward",
                at=datetime(2025, 7, 15, 2, 0, tzinfo=UTC),
                step_name="Ký phiếu",
                from_name="Phạm Thanh Mai",
                to_name="Nguyễn Văn Đức",
                from_agency=None,
                to_agency=None,
                step_due_at=datetime(2025, 7, 14, 10, 0, tzinfo=UTC),
                on_time=False,
                note="Chậm 1 ngày",
            ),
        ],
        timeliness="late",
        get_timeliness_display=lambda: "Quá hạn",
    )
    base.update(extra)
    return NS(**base)


def _text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(data))
    # Collapse line wrapping: the assertions are about content, not layout.
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_receipt_slip_is_a5_with_code_vietnamese_text_and_due_date():
    data = pdf.receipt_pdf(_dossier())
    reader = PdfReader(io.BytesIO(data))
    width, height = (float(x) for x in reader.pages[0].mediabox[2:])
    assert (round(width), round(height)) == (420, 595)  # A5 portrait in points
    text = _text(data)
    assert CODE in text
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text
    assert "Lữ Văn An" in text and "Sở Tư pháp".upper() in text
    assert "10 ngày làm việc" in text
    assert "17 giờ 00 phút, ngày 18/07/2025" in text
    assert "Thủ tục cấp Phiếu lý lịch tư pháp (2.000488)" in text  # shown in Asia/Ho_Chi_Minh


def test_receipt_qr_code_carries_the_dossier_code():
    data = pdf.receipt_pdf(_dossier())
    images = PdfReader(io.BytesIO(data)).pages[0].images
    assert len(images) == 1
    img = images[0].image.convert("1")
    expected = segno.make(CODE, error="m", micro=False)
    modules = expected.symbol_size(scale=1, border=2)[0]
    assert img.size[0] == modules * 4
    # Sample the centre of every module and compare with the reference encoding.
    matrix = [[bool(v) for v in row] for row in expected.matrix]
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            pixel = img.getpixel(((x + 2) * 4 + 2, (y + 2) * 4 + 2))
            assert (pixel == 0) == dark


def test_supplement_request_lists_everything_missing():
    text = _text(pdf.supplement_pdf(_dossier()))
    assert "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ" in text
    assert "1. Bản chụp căn cước còn hạn" in text
    assert "2. Văn bản ủy quyền có chứng thực" in text
    assert CODE in text


def test_refusal_gives_each_reason():
    text = _text(pdf.refusal_pdf(_dossier()))
    assert "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ" in text
    assert "1. Thủ tục không thuộc thẩm quyền của cơ quan" in text
    assert "2. Hồ sơ giả mạo" in text


def test_apology_gives_the_new_date():
    text = _text(pdf.apology_pdf(_dossier()))
    assert "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ" in text
    assert "25/07/2025" in text and "Cần xác minh tại địa phương khác" in text


def test_control_slip_has_every_hand_over_and_marks_late_steps():
    text = _text(pdf.control_slip_pdf(_dossier()))
    assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in text
    assert "Dương Thị Chi" in text and "Nguyễn Văn Đức" in text
    assert "Đúng hạn" in text and "Quá hạn" in text
    assert "Chuyển bước tiếp theo" in text


def test_days_text():
    assert pdf.days_text(Decimal("10.0")) == "10"
    assert pdf.days_text(Decimal("0.5")) == "0,5"
    assert pdf.days_text(10) == "10"
