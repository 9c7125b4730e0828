"""PDF forms of the one-stop mechanism (Circular 01/2018/TT-VPCP, art. 9).

01 receipt and appointment slip (with a QR code carrying the dossier code) · 02 request
to supplement · 03 refusal to accept · 04 apology and new appointment date · 05
process-control slip — all A5 (05 in landscape for its table). Forms 01–05 are laid out
from the content frozen when they were issued (a dict built by `services.forms_issued`),
so re-rendering never changes what a citizen was given; the blank e-form takes the
Procedure. E-receipts of payments are in onestop/payments/receipts.py. Fonts: vendored
DejaVu (full Vietnamese).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A5, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from tinhso.core.pdf import fitted_paragraph, register_reportlab_fonts

NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"


def _styles() -> dict[str, ParagraphStyle]:
    register_reportlab_fonts()
    base = ParagraphStyle("base", fontName="Serif", fontSize=9.5, leading=12.5)
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10),
        "center": ParagraphStyle("center", parent=base, alignment=TA_CENTER),
        "center_bold": ParagraphStyle(
            "center_bold", parent=base, alignment=TA_CENTER, fontName="Serif-Bold"
        ),
        "title": ParagraphStyle(
            "title",
            parent=base,
            alignment=TA_CENTER,
            fontName="Serif-Bold",
            fontSize=12,
            leading=15,
            spaceBefore=6,
            spaceAfter=2,
        ),
        "subtitle": ParagraphStyle(
            "subtitle", parent=base, alignment=TA_CENTER, fontName="Serif-Italic"
        ),
        "right_italic": ParagraphStyle(
            "right_italic", parent=base, alignment=TA_RIGHT, fontName="Serif-Italic"
        ),
        "cell": ParagraphStyle("cell", parent=base, fontName="Sans", fontSize=7.5, leading=9),
        "cell_bold": ParagraphStyle(
            "cell_bold", parent=base, fontName="Sans-Bold", fontSize=7.5, leading=9
        ),
    }


def _t(value: Any) -> str:
    return escape("" if value is None else str(value))


def _local(moment: datetime | None, fmt: str = "%H giờ %M phút, ngày %d/%m/%Y") -> str:
    if moment is None:
        return "…"
    return timezone.localtime(moment).strftime(fmt)


def _short(moment: datetime | None) -> str:
    return _local(moment, "%H:%M %d/%m/%Y") if moment else ""


def _name(obj: Any) -> str:
    if obj is None:
        return ""
    return getattr(obj, "full_name", "") or getattr(obj, "name", "") or str(obj)


def _money(amount: int | None) -> str:
    return f"{int(amount or 0):,}".replace(",", ".") + " đồng"


def days_text(days: Any) -> str:
    """1 → "1", Decimal("0.5") → "0,5", 10.0 → "10"."""
    from decimal import Decimal

    value = Decimal(str(days))
    text = format(value.normalize(), "f") if value == value.to_integral_value() else str(value)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")


def qr_png(text: str, *, scale: int = 4) -> bytes:
    """PNG of a QR code carrying `text` (segno, error correction M)."""
    import segno

    buffer = io.BytesIO()
    segno.make(text, error="m", micro=False).save(buffer, kind="png", scale=scale, border=2)
    return buffer.getvalue()


def _doc(buffer: io.BytesIO, title: str, *, pagesize=A5) -> SimpleDocTemplate:
    return SimpleDocTemplate(
        buffer,
        pagesize=pagesize,
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=10 * mm,
        bottomMargin=10 * mm,
        title=title,
        author="tinhso",
        subject=title,
    )


def _header(s, agency_name: str, parent_name: str = "", *, width: float) -> Table:
    left = []
    if parent_name:
        left.append(Paragraph(_t(parent_name.upper()), s["center"]))
    left.append(Paragraph(f"<b>{_t(agency_name.upper())}</b>", s["center"]))
    right = [
        Paragraph(f"<b>{NATION}</b>", s["center"]),
        Paragraph(f"<b><u>{MOTTO}</u></b>", s["center"]),
    ]
    table = Table([[left, right]], colWidths=[width * 0.42, width * 0.58])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    table.hAlign = "CENTER"
    return table


def _agency_names(dossier: Any, which: str = "receiving_agency") -> tuple[str, str]:
    agency = getattr(dossier, which, None) or getattr(dossier, "agency", None)
    if agency is None:
        return "Bộ phận tiếp nhận và trả kết quả", ""
    parent = getattr(agency, "parent", None)
    return _name(agency), _name(parent) if parent is not None else ""


def _signature_block(
    s, left_title: str, right_title: str, left_name: str, right_name: str, *, width: float
):
    table = Table(
        [
            [
                Paragraph(f"<b>{_t(left_title)}</b>", s["center"]),
                Paragraph(f"<b>{_t(right_title)}</b>", s["center"]),
            ],
            [
                Paragraph("<i>(Ký, ghi rõ họ tên)</i>", s["center"]),
                Paragraph("<i>(Ký, ghi rõ họ tên)</i>", s["center"]),
            ],
            ["", ""],
            [
                Paragraph(_t(left_name), s["center_bold"]),
                Paragraph(_t(right_name), s["center_bold"]),
            ],
        ],
        colWidths=[width / 2, width / 2],
        rowHeights=[None, None, 14 * mm, None],
    )
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return KeepTogether([Spacer(1, 4 * mm), table])


def _place_date(s, moment: datetime | None = None) -> Paragraph:
    local = timezone.localtime(moment or timezone.now())
    return Paragraph(
        f"…, ngày {local.day:02d} tháng {local.month:02d} năm {local.year}", s["right_italic"]
    )


def _procedure(dossier: Any) -> Any:
    return getattr(dossier, "procedure", None)


def _build(story: list, title: str, *, pagesize=A5) -> bytes:
    buffer = io.BytesIO()
    doc = _doc(buffer, title, pagesize=pagesize)
    doc.build(story)
    return buffer.getvalue()


def _width(pagesize=A5) -> float:
    return pagesize[0] - 24 * mm


# ---------------------------------------------------------------------------------------
# Forms 01–05, rendered from the content frozen when the form was issued
# (`services.forms_issued` builds that content from the dossier; these functions only lay
# it out). Times in the content are ISO strings in UTC, shown in Asia/Ho_Chi_Minh.


def _when(value: Any) -> datetime | None:
    if not value:
        return None
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _c_agency(content: dict) -> tuple[str, str]:
    agency = content.get("agency") or {}
    return agency.get("name") or "Bộ phận tiếp nhận và trả kết quả", agency.get("parent") or ""


def _c_applicant(s, content: dict) -> list[Paragraph]:
    person = content.get("applicant") or {}
    lines = [Paragraph(f"Ông/bà/tổ chức: <b>{_t(person.get('name', ''))}</b>", s["base"])]
    if person.get("id_number"):
        lines.append(Paragraph(f"Số định danh/CCCD/MST: {_t(person['id_number'])}", s["base"]))
    if person.get("address"):
        lines.append(Paragraph(f"Địa chỉ: {_t(person['address'])}", s["base"]))
    contact = " · ".join(
        x
        for x in (
            f"Điện thoại: {_t(person['phone'])}" if person.get("phone") else "",
            f"Thư điện tử: {_t(person['email'])}" if person.get("email") else "",
        )
        if x
    )
    if contact:
        lines.append(Paragraph(contact, s["base"]))
    return lines


def _c_procedure(s, content: dict) -> Paragraph:
    proc = content.get("procedure") or {}
    return Paragraph(
        f"Nộp hồ sơ để giải quyết thủ tục: <b>{_t(proc.get('name', ''))}</b> "
        f"({_t(proc.get('code', ''))})",
        s["base"],
    )


def _numbered(s, items: Iterable[str]) -> list[Paragraph]:
    return [Paragraph(f"{i}. {_t(item)}", s["base"]) for i, item in enumerate(items, start=1)]


def _copies(paper: dict) -> str:
    """E.g. "1 bản chính, 2 bản sao" for a paper handed in, "bản điện tử" for a file."""
    parts = []
    if paper.get("originals"):
        parts.append(f"{paper['originals']} bản chính")
    if paper.get("copies"):
        parts.append(f"{paper['copies']} bản sao")
    if paper.get("note"):
        parts.append(paper["note"])
    return ", ".join(parts)


def receipt_pdf(content: dict) -> bytes:
    """Mẫu số 01: giấy tiếp nhận hồ sơ và hẹn trả kết quả, with the code as a QR code.

    The appointment printed is the one issued with this form; a later appointment (after a
    supplement during processing) is a new form 01, never a change to this one."""
    s = _styles()
    width = _width()
    agency_name, parent_name = _c_agency(content)
    code = content.get("code") or ""
    qr = Image(io.BytesIO(qr_png(code or "-")), width=24 * mm, height=24 * mm)
    title_block = [
        Paragraph("GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", s["title"]),
        Paragraph(f"Mã hồ sơ: <b>{_t(code)}</b>", s["center"]),
        Paragraph("(Mẫu số 01 — Thông tư 01/2018/TT-VPCP)", s["subtitle"]),
    ]
    head = Table([[title_block, qr]], colWidths=[width - 27 * mm, 27 * mm])
    head.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    story: list = [_header(s, agency_name, parent_name, width=width), Spacer(1, 3 * mm), head]
    replaces = content.get("replaces")
    if replaces:
        story.append(
            Paragraph(
                f"<i>Giấy này thay giấy tiếp nhận cấp {_t(_local(_when(replaces), '%H:%M ngày %d/%m/%Y'))}: "
                f"{_t(content.get('reissue_reason', ''))}</i>",
                s["small"],
            )
        )
    story.append(Paragraph(f"{_t(agency_name)} tiếp nhận hồ sơ của:", s["base"]))
    story += _c_applicant(s, content)
    story.append(_c_procedure(s, content))
    papers = content.get("papers") or []
    story.append(Paragraph("1. Thành phần hồ sơ nộp gồm:", s["base"]))
    if papers:
        for i, paper in enumerate(papers, start=1):
            counts = _copies(paper)
            story.append(
                Paragraph(
                    f"&nbsp;&nbsp;{i}) {_t(paper.get('name', ''))}"
                    + (f" — {_t(counts)}" if counts else ""),
                    s["base"],
                )
            )
    else:
        story.append(Paragraph("&nbsp;&nbsp;(tờ khai điện tử)", s["base"]))
    story.append(Paragraph("2. Số lượng hồ sơ: 01 (bộ)", s["base"]))
    days = (content.get("procedure") or {}).get("processing_days")
    if days:
        story.append(
            Paragraph(
                f"3. Thời gian giải quyết hồ sơ theo quy định: {days_text(days)} ngày làm việc",
                s["base"],
            )
        )
    story.append(
        Paragraph(
            f"4. Thời gian nhận hồ sơ: {_local(_when(content.get('received_at')))}", s["base"]
        )
    )
    if content.get("clock_started_at") and content.get("clock_started_at") != content.get(
        "received_at"
    ):
        story.append(
            Paragraph(
                "&nbsp;&nbsp;&nbsp;Nhận đủ hồ sơ bổ sung, thời hạn tính lại từ: "
                f"{_local(_when(content['clock_started_at']))}",
                s["base"],
            )
        )
    story.append(
        Paragraph(
            "5. Thời gian trả kết quả giải quyết hồ sơ: "
            f"<b>{_local(_when(content.get('appointment')))}</b>",
            s["base"],
        )
    )
    story.append(
        Paragraph(f"6. Hình thức nhận kết quả: {_t(content.get('return_method', ''))}", s["base"])
    )
    if content.get("postal_address"):
        story.append(
            Paragraph(f"&nbsp;&nbsp;&nbsp;Địa chỉ nhận: {_t(content['postal_address'])}", s["base"])
        )
    fee = content.get("fee_vnd") or 0
    if fee:
        paid = "đã nộp" if content.get("fee_paid") else "chưa nộp"
        story.append(Paragraph(f"7. Phí, lệ phí: {_money(fee)} ({paid})", s["base"]))
    story.append(
        Paragraph(
            "Tra cứu tình trạng hồ sơ bằng mã hồ sơ và 4 số cuối điện thoại/CCCD trên Cổng "
            "dịch vụ công hoặc quét mã QR.",
            s["small"],
        )
    )
    story.append(
        _signature_block(
            s,
            "NGƯỜI NỘP HỒ SƠ",
            "NGƯỜI TIẾP NHẬN HỒ SƠ",
            (content.get("applicant") or {}).get("name", ""),
            content.get("received_by", ""),
            width=width,
        )
    )
    return _build(story, f"Giấy tiếp nhận hồ sơ và hẹn trả kết quả {code}")


def supplement_pdf(content: dict) -> bytes:
    """Mẫu số 02: phiếu yêu cầu bổ sung, hoàn thiện hồ sơ (one complete list)."""
    s = _styles()
    width = _width()
    agency_name, parent_name = _c_agency(content)
    code = content.get("code") or ""
    story: list = [
        _header(s, agency_name, parent_name, width=width),
        Paragraph("PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ", s["title"]),
        Paragraph("(Mẫu số 02 — Thông tư 01/2018/TT-VPCP)", s["subtitle"]),
        Spacer(1, 2 * mm),
    ]
    if code:
        story.append(Paragraph(f"Hồ sơ: <b>{_t(code)}</b>", s["base"]))
    story += _c_applicant(s, content)
    story.append(_c_procedure(s, content))
    requested_at = _when(content.get("requested_at"))
    story.append(
        Paragraph(
            f"Sau khi xem xét hồ sơ{(' ngày ' + _local(requested_at, '%d/%m/%Y')) if requested_at else ''}, "
            "đề nghị ông/bà bổ sung, hoàn thiện hồ sơ gồm những nội dung sau:",
            s["base"],
        )
    )
    story += _numbered(s, content.get("items") or ["(không có nội dung)"])
    if content.get("note"):
        story.append(Paragraph(f"Lý do/ghi chú: {_t(content['note'])}", s["base"]))
    story.append(
        Paragraph(
            "Thời hạn giải quyết được tính lại từ đầu kể từ ngày nhận đủ hồ sơ bổ sung. "
            "Trong quá trình hoàn thiện hồ sơ, nếu có vướng mắc, ông/bà liên hệ cán bộ tiếp nhận.",
            s["small"],
        )
    )
    story.append(_place_date(s, requested_at))
    story.append(
        _signature_block(
            s,
            "NGƯỜI NỘP HỒ SƠ",
            "NGƯỜI TIẾP NHẬN/XỬ LÝ HỒ SƠ",
            (content.get("applicant") or {}).get("name", ""),
            content.get("requested_by", ""),
            width=width,
        )
    )
    return _build(story, f"Phiếu yêu cầu bổ sung hồ sơ {code}")


def refusal_pdf(content: dict) -> bytes:
    """Mẫu số 03: phiếu từ chối tiếp nhận giải quyết hồ sơ, with the reasons."""
    s = _styles()
    width = _width()
    agency_name, parent_name = _c_agency(content)
    story: list = [
        _header(s, agency_name, parent_name, width=width),
        Paragraph("PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ", s["title"]),
        Paragraph("(Mẫu số 03 — Thông tư 01/2018/TT-VPCP)", s["subtitle"]),
        Spacer(1, 2 * mm),
        Paragraph(f"{_t(agency_name)} tiếp nhận hồ sơ của:", s["base"]),
    ]
    story += _c_applicant(s, content)
    story.append(_c_procedure(s, content))
    story.append(
        Paragraph(
            "Qua xem xét, cơ quan tiếp nhận thông báo không tiếp nhận, giải quyết hồ sơ này "
            "với lý do cụ thể như sau:",
            s["base"],
        )
    )
    story += _numbered(s, content.get("reasons") or ["(không ghi lý do)"])
    story.append(Paragraph("Xin thông báo để ông/bà được biết và thực hiện.", s["base"]))
    story.append(_place_date(s, _when(content.get("refused_at"))))
    story.append(
        _signature_block(
            s,
            "NGƯỜI NỘP HỒ SƠ",
            "NGƯỜI TIẾP NHẬN HỒ SƠ",
            (content.get("applicant") or {}).get("name", ""),
            content.get("officer", ""),
            width=width,
        )
    )
    return _build(story, "Phiếu từ chối tiếp nhận hồ sơ")


def apology_pdf(content: dict) -> bytes:
    """Mẫu số 04: phiếu xin lỗi và hẹn lại ngày trả kết quả."""
    s = _styles()
    width = _width()
    agency_name, parent_name = _c_agency(content)
    code = content.get("code") or ""
    proc = content.get("procedure") or {}
    person = content.get("applicant") or {}
    story: list = [
        _header(s, agency_name, parent_name, width=width),
        Paragraph("PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ", s["title"]),
        Paragraph("(Mẫu số 04 — Thông tư 01/2018/TT-VPCP)", s["subtitle"]),
        Spacer(1, 2 * mm),
        Paragraph(f"Kính gửi: <b>{_t(person.get('name', ''))}</b>", s["base"]),
        Paragraph(
            f"Ngày {_local(_when(content.get('received_at')), '%d/%m/%Y')}, {_t(agency_name)} "
            f"tiếp nhận hồ sơ mã <b>{_t(code)}</b> đề nghị giải quyết: {_t(proc.get('name', ''))}.",
            s["base"],
        ),
        Paragraph(
            "Thời hạn giải quyết hồ sơ theo quy định là "
            f"{_local(_when(content.get('old_due_at')))}.",
            s["base"],
        ),
        Paragraph(
            "Tuy nhiên, đến nay cơ quan chưa giải quyết xong hồ sơ. "
            f"Lý do: {_t(content.get('reason', ''))}",
            s["base"],
        ),
        Paragraph(
            _t(content.get("apology") or "")
            or "Sự chậm trễ này đã gây phiền hà cho ông/bà. Cơ quan xin lỗi ông/bà và sẽ trả "
            "kết quả giải quyết hồ sơ vào:",
            s["base"],
        ),
        Paragraph(
            f"Ngày hẹn trả kết quả mới: <b>{_local(_when(content.get('new_due_at')))}</b>",
            s["base"],
        ),
        Paragraph("Rất mong nhận được sự thông cảm của ông/bà.", s["base"]),
        _place_date(s, _when(content.get("proposed_at"))),
    ]
    table = Table(
        [
            ["", Paragraph("<b>THỦ TRƯỞNG CƠ QUAN</b>", s["center"])],
            ["", Paragraph("<i>(Ký, ghi rõ họ tên, đóng dấu)</i>", s["center"])],
        ],
        colWidths=[width / 2, width / 2],
    )
    story += [Spacer(1, 2 * mm), table]
    return _build(story, f"Phiếu xin lỗi và hẹn lại ngày trả kết quả {code}")


# ---------------------------------------------------------------------------------------
# Form 05: process-control slip


ACTION_LABELS = {
    "submit": "Nộp hồ sơ",
    "submitted": "Nộp hồ sơ",
    "receive_counter": "Tiếp nhận tại quầy",
    "accept": "Tiếp nhận hồ sơ",
    "accepted": "Tiếp nhận hồ sơ",
    "request_supplement": "Yêu cầu bổ sung",
    "answer_supplement": "Công dân bổ sung hồ sơ",
    "refuse": "Từ chối tiếp nhận",
    "assign": "Phân công xử lý",
    "start": "Bắt đầu xử lý",
    "start_processing": "Bắt đầu xử lý",
    "forward": "Chuyển bước tiếp theo",
    "send_back": "Trả lại bước trước",
    "financial": "Yêu cầu nghĩa vụ tài chính",
    "request_obligation": "Yêu cầu nghĩa vụ tài chính",
    "obligation_paid": "Đã thực hiện nghĩa vụ tài chính",
    "stop": "Dừng xử lý",
    "obligation_fulfilled": "Đã thực hiện nghĩa vụ tài chính",
    "pause": "Tạm dừng",
    "resume": "Tiếp tục xử lý",
    "extend": "Gia hạn, xin lỗi",
    "approve": "Phê duyệt",
    "reject": "Từ chối giải quyết",
    "attach_result": "Đính kèm dự thảo kết quả",
    "sign_result": "Ký số kết quả",
    "return_result": "Trả kết quả",
    "return": "Trả kết quả",
    "paid": "Thanh toán phí, lệ phí",
    "withdraw": "Công dân rút hồ sơ",
    "rate": "Đánh giá",
}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action.replace("_", " "))


def control_slip_pdf(content: dict) -> bytes:
    """Mẫu số 05: phiếu kiểm soát quá trình giải quyết hồ sơ — every hand-over."""
    s = _styles()
    pagesize = landscape(A5)
    width = _width(pagesize)
    agency_name, parent_name = _c_agency(content)
    code = content.get("code") or ""
    person = content.get("applicant") or {}
    proc = content.get("procedure") or {}
    story: list = [
        _header(s, agency_name, parent_name, width=width),
        Paragraph("PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ", s["title"]),
        Paragraph("(Mẫu số 05 — Thông tư 01/2018/TT-VPCP)", s["subtitle"]),
    ]
    if content.get("provisional"):
        story.append(
            Paragraph(
                f"<b>Bản xem tại thời điểm {_t(_short(_when(content['provisional'])))}</b> — "
                "hồ sơ đang giải quyết; phiếu được cấp khi hồ sơ kết thúc.",
                s["small"],
            )
        )
    story += [
        Paragraph(
            f"Mã hồ sơ: <b>{_t(code)}</b> · Người nộp: {_t(person.get('name', ''))} · "
            f"Thủ tục: {_t(proc.get('name', ''))}",
            s["base"],
        ),
        Paragraph(
            f"Ngày nhận: {_short(_when(content.get('received_at')))} · "
            f"Ngày hẹn trả: {_short(_when(content.get('due_at')))}",
            s["base"],
        ),
        Spacer(1, 2 * mm),
    ]
    head = [
        "TT",
        "Thời gian giao, nhận",
        "Bước / nội dung",
        "Bên giao",
        "Bên nhận",
        "Hạn của bước",
        "Kết quả",
        "Ghi chú",
    ]
    rows: list[list[Any]] = [[Paragraph(h, s["cell_bold"]) for h in head]]
    fractions = [0.04, 0.13, 0.19, 0.14, 0.14, 0.11, 0.08, 0.17]
    columns = [width * f for f in fractions]

    def fitted(text: str, column: int) -> Any:  # a row is never taller than half a page
        return fitted_paragraph(text, s["cell"], width=columns[column] - 4, max_height=150)

    for i, line in enumerate(content.get("events") or [], start=1):
        late = line.get("on_time") is False
        verdict = {True: "Đúng hạn", False: "Quá hạn"}.get(line.get("on_time"), "")
        rows.append(
            [
                Paragraph(str(i), s["cell"]),
                Paragraph(_t(_short(_when(line.get("at")))), s["cell"]),
                fitted(line.get("label", ""), 2),
                Paragraph(_t(line.get("from", "")), s["cell"]),
                Paragraph(_t(line.get("to", "")), s["cell"]),
                Paragraph(_t(_short(_when(line.get("step_due_at")))), s["cell"]),
                Paragraph(_t(verdict), s["cell_bold"] if late else s["cell"]),
                fitted(line.get("note", "") or "", 7),
            ]
        )
    if len(rows) == 1:
        rows.append([Paragraph("Chưa có bước giao, nhận nào.", s["cell"])] + [""] * 7)
    table = Table(rows, colWidths=columns, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
                ("RIGHTPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    story.append(table)
    if content.get("timeliness"):
        story.append(Spacer(1, 2 * mm))
        story.append(
            Paragraph(f"Kết quả giải quyết: <b>{_t(content['timeliness'])}</b>", s["base"])
        )
    return _build(story, f"Phiếu kiểm soát quá trình giải quyết hồ sơ {code}", pagesize=pagesize)


RENDERERS = {
    "01": receipt_pdf,
    "02": supplement_pdf,
    "03": refusal_pdf,
    "04": apology_pdf,
    "05": control_slip_pdf,
}


def render_form(number: str, content: dict) -> bytes:
    """The PDF of form `number` (01–05) from its issued content."""
    return RENDERERS[number](content)


# ---------------------------------------------------------------------------------------
# Blank e-form (the paper template of a procedure)


def blank_form_pdf(procedure: Any) -> bytes:
    """The procedure's e-form as a printable blank form (A4), to fill in by hand."""
    from reportlab.lib.pagesizes import A4

    from tinhso.onestop.eforms import ordered_properties

    s = _styles()
    width = _width(A4)
    schema = getattr(procedure, "form_schema", None) or {}
    story: list = [
        Paragraph(f"<b>{NATION}</b>", s["center"]),
        Paragraph(f"<b><u>{MOTTO}</u></b>", s["center"]),
        Spacer(1, 4 * mm),
        Paragraph(_t((schema.get("title") or _name(procedure)).upper()), s["title"]),
        Paragraph(
            f"({_t(getattr(procedure, 'code', ''))} — {_t(_name(procedure))})", s["subtitle"]
        ),
        Spacer(1, 3 * mm),
    ]

    def walk(node: dict, depth: int) -> None:
        for name, prop in ordered_properties(node):
            title = prop.get("title") or name
            if prop.get("type") == "object" and "enum" not in prop:
                story.append(Spacer(1, 2 * mm))
                story.append(Paragraph(f"<b>{_t(title)}</b>", s["base"]))
                walk(prop, depth + 1)
                continue
            if prop.get("type") == "boolean":
                story.append(Paragraph(f"☐ {_t(title)}", s["base"]))
                continue
            options = prop.get("x-enum-titles") or prop.get("enum")
            items = prop.get("items") or {}
            if prop.get("type") == "array" and "enum" in items:
                options = items.get("x-enum-titles") or items.get("enum")
            if options:
                choices = "   ".join(f"☐ {_t(o)}" for o in options)
                story.append(Paragraph(f"{_t(title)}: {choices}", s["base"]))
            else:
                story.append(
                    Paragraph(f"{_t(title)}: " + "." * max(20, 110 - len(title)), s["base"])
                )

    walk(schema, 0)
    story.append(Spacer(1, 6 * mm))
    story.append(_place_date(s))
    story.append(
        Table(
            [["", Paragraph("<b>NGƯỜI KHAI</b><br/><i>(Ký, ghi rõ họ tên)</i>", s["center"])]],
            colWidths=[width / 2, width / 2],
        )
    )
    buffer = io.BytesIO()
    doc = _doc(buffer, f"Tờ khai {getattr(procedure, 'code', '')}", pagesize=A4)
    doc.build(story)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------
# The declaration (tờ khai) filled in from the e-form: the paper the applicant no longer
# uploads. Laid out from the content frozen at submission (services.forms_issued).


def declaration_pdf(content: dict) -> bytes:
    """The procedure's tờ khai (A4) with what the applicant declared in the e-form."""
    from reportlab.lib.pagesizes import A4

    s = _styles()
    width = _width(A4)
    proc = content.get("procedure") or {}
    story: list = [
        Paragraph(f"<b>{NATION}</b>", s["center"]),
        Paragraph(f"<b><u>{MOTTO}</u></b>", s["center"]),
        Spacer(1, 4 * mm),
        Paragraph(_t((content.get("title") or proc.get("name") or "Tờ khai").upper()), s["title"]),
        Paragraph(f"({_t(proc.get('code', ''))} — {_t(proc.get('name', ''))})", s["subtitle"]),
        Spacer(1, 3 * mm),
    ]
    if content.get("agency"):
        story.append(Paragraph(f"Kính gửi: <b>{_t(content['agency'])}</b>", s["base"]))
        story.append(Spacer(1, 2 * mm))
    columns = [width * 0.4, width * 0.6]
    label_style = ParagraphStyle("label", parent=s["base"], fontName="Serif-Bold")
    rows = [
        [
            fitted_paragraph(label, label_style, width=columns[0] - 8, max_height=200),
            fitted_paragraph(value, s["base"], width=columns[1] - 8, max_height=300),
        ]
        for label, value in content.get("rows") or []
    ] or [[Paragraph("(tờ khai trống)", s["cell"]), ""]]
    table = Table(rows, colWidths=columns, repeatRows=0)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story.append(table)
    story.append(Spacer(1, 4 * mm))
    story.append(_place_date(s, _when(content.get("declared_at"))))
    story.append(
        Table(
            [
                [
                    "",
                    [
                        Paragraph("<b>NGƯỜI KHAI</b>", s["center"]),
                        Paragraph(f"<i>{_t(content.get('how', ''))}</i>", s["center"]),
                        Spacer(1, 8 * mm),
                        Paragraph(_t(content.get("declarant", "")), s["center_bold"]),
                    ],
                ]
            ],
            colWidths=[width / 2, width / 2],
        )
    )
    if content.get("tracking_code"):
        story.append(Spacer(1, 3 * mm))
        story.append(
            Paragraph(
                f"Tờ khai điện tử của hồ sơ {_t(content['tracking_code'])}, tạo từ dữ liệu "
                "người khai nhập trên Cổng dịch vụ công.",
                s["small"],
            )
        )
    buffer = io.BytesIO()
    doc = _doc(buffer, f"Tờ khai {proc.get('code', '')}", pagesize=A4)
    doc.build(story)
    return buffer.getvalue()
