"""XLSX exports: the statistics tables and the form-06 dossier tracking register."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from tinhso.core.sheets import append_row

STAT_COLUMNS = [
    ("name", "Đơn vị / lĩnh vực / thủ tục"),
    ("code", "Mã"),
    ("received", "Tiếp nhận"),
    ("received_online", "Trực tuyến"),
    ("received_counter", "Trực tiếp"),
    ("received_post", "Bưu chính"),
    ("online_full", "Trực tuyến toàn trình"),
    ("online_partial", "Trực tuyến một phần"),
    ("resolved", "Đã giải quyết"),
    ("resolved_early", "Trước hạn"),
    ("resolved_on_time", "Đúng hạn"),
    ("resolved_late", "Quá hạn"),
    ("in_progress", "Đang giải quyết"),
    ("in_progress_on_time", "Trong hạn"),
    ("in_progress_overdue", "Quá hạn (đang giải quyết)"),
    ("withdrawn", "Rút hồ sơ"),
    ("refused", "Từ chối tiếp nhận"),
    ("stopped", "Dừng xử lý"),
    ("on_time_rate", "Tỷ lệ đúng hạn (%)"),
    ("online_share", "Tỷ lệ trực tuyến (%)"),
    ("online_payment_share", "Tỷ lệ thanh toán trực tuyến (%)"),
    ("ratings", "Lượt đánh giá"),
    ("satisfaction_rate", "Tỷ lệ hài lòng (%)"),
]
GROUP_TITLES = {
    "agency": "cơ quan giải quyết",
    "field": "lĩnh vực",
    "procedure": "thủ tục",
    "receiving_agency": "nơi tiếp nhận",
}
# The counting rules of `tinhso.onestop.statistics` in Vietnamese, shown on the statistics
# page and in the "Cach tinh" sheet (keep in step with that module's docstring).
RULES_VI = [
    "Tiếp nhận trong kỳ: hồ sơ được tiếp nhận (cấp mã, trạng thái 2) trong kỳ; chia theo hình "
    "thức nộp (trực tuyến / trực tiếp / bưu chính) và, với hồ sơ trực tuyến, theo loại dịch vụ "
    "công trực tuyến của thủ tục (toàn trình / một phần, Nghị định 42/2022/NĐ-CP).",
    "Đã giải quyết trong kỳ: kết quả được phê duyệt (trạng thái 9, sau đó 10) trong kỳ.",
    "Trước hạn / đúng hạn / quá hạn: so sánh ngày (giờ Việt Nam) có kết quả với ngày hẹn trả "
    "đang có hiệu lực lúc đó — ngày hẹn khi tiếp nhận, hoặc ngày hẹn mới duy nhất theo thư xin "
    "lỗi (Mẫu 04), hoặc ngày hẹn tính lại khi công dân bổ sung đủ hồ sơ được yêu cầu trong quá "
    "trình giải quyết (thời hạn tính lại từ đầu): trước ngày hẹn → trước hạn; đúng ngày hẹn → "
    "đúng hạn; sau ngày hẹn → quá hạn.",
    "Thời gian chờ công dân (bổ sung hồ sơ, thực hiện nghĩa vụ tài chính) và thời gian tạm "
    "dừng được cộng vào ngày hẹn, không tính vào thời gian giải quyết của cơ quan.",
    "Đang giải quyết: đã tiếp nhận trước thời điểm cuối kỳ (hoặc hiện tại nếu kỳ chưa kết thúc) "
    "và chưa có kết quả, chưa dừng, chưa rút; quá hạn nếu đã qua ngày hẹn.",
    "Rút hồ sơ, từ chối tiếp nhận (Mẫu 03), dừng xử lý (trạng thái 8): tính vào ngày xảy ra.",
    "Tỷ lệ đúng hạn = (trước hạn + đúng hạn) / đã giải quyết.",
    "Tỷ lệ thanh toán trực tuyến: trong số hồ sơ tiếp nhận có phí, lệ phí, số hồ sơ đã thanh "
    "toán trực tuyến.",
    "Mức độ hài lòng: đánh giá 3–5/5 là hài lòng, 1–2 là không hài lòng; tỷ lệ hài lòng = "
    "(số đánh giá − không hài lòng) / số đánh giá (Quyết định 766/QĐ-TTg).",
]

RATE_KEYS = {"on_time_rate", "online_share", "online_payment_share", "satisfaction_rate"}


def _percent(value: Any) -> Any:
    if value is None:
        return None
    return round(float(value) * 100, 1) if float(value) <= 1 else round(float(value), 1)


def _local(value: Any) -> Any:
    if isinstance(value, datetime):
        return timezone.localtime(value).replace(tzinfo=None)
    return value


def _save(wb: Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _autowidth(ws, widths: dict[int, int] | None = None) -> None:
    for index in range(1, ws.max_column + 1):
        letter = get_column_letter(index)
        ws.column_dimensions[letter].width = (widths or {}).get(index, 14)


def statistics_xlsx(
    *, rows: list[dict], total: dict, period, group_by: str, agency=None, rules: str = ""
) -> bytes:
    """One sheet: title, period, the table grouped by `group_by`, a total row, the rule."""
    from tinhso.onestop.statistics import RULES

    wb = Workbook()
    ws = wb.active
    ws.title = "Thong ke"
    scope = agency.name if agency is not None else "Toàn tỉnh"
    append_row(ws, [f"THỐNG KÊ TÌNH HÌNH GIẢI QUYẾT HỒ SƠ THỦ TỤC HÀNH CHÍNH — {scope}"])
    append_row(
        ws,
        [
            f"Từ ngày {period.start:%d/%m/%Y} đến ngày {period.end:%d/%m/%Y}; "
            f"theo {GROUP_TITLES.get(group_by, group_by)}"
        ],
    )
    ws["A1"].font = Font(bold=True, size=13)
    append_row(ws, [])
    append_row(ws, [title for _key, title in STAT_COLUMNS])
    header_row = ws.max_row
    for cell in ws[header_row]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in [*rows, {**total, "name": "Tổng cộng", "code": ""}]:
        append_row(
            ws,
            [
                _percent(row.get(key)) if key in RATE_KEYS else row.get(key)
                for key, _t in STAT_COLUMNS
            ],
        )
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    ws.freeze_panes = ws.cell(row=header_row + 1, column=3)
    _autowidth(ws, {1: 48, 2: 14})
    notes = wb.create_sheet("Cach tinh")
    notes.column_dimensions["A"].width = 140
    for line in RULES_VI:
        append_row(notes, [line])
    append_row(notes, [])
    append_row(notes, ["Quy tắc trong mã nguồn (tinhso.onestop.statistics):"])
    for line in (rules or RULES).strip().splitlines():
        append_row(notes, [line.strip()])
    return _save(wb)


def register_xlsx(*, rows: list[dict], period, agency=None) -> bytes:
    """Form 06 (sổ theo dõi hồ sơ), A4 landscape when printed."""
    from tinhso.onestop.statistics import REGISTER_COLUMNS

    wb = Workbook()
    ws = wb.active
    ws.title = "So theo doi"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    append_row(ws, ["SỔ THEO DÕI HỒ SƠ (Mẫu số 06 — Thông tư 01/2018/TT-VPCP)"])
    ws["A1"].font = Font(bold=True, size=13)
    scope = agency.name if agency is not None else "Toàn tỉnh"
    append_row(ws, [f"{scope} — từ ngày {period.start:%d/%m/%Y} đến ngày {period.end:%d/%m/%Y}"])
    append_row(ws, [])
    append_row(ws, [title for _key, title in REGISTER_COLUMNS])
    header_row = ws.max_row
    for cell in ws[header_row]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        append_row(ws, [_local(row.get(key)) for key, _title in REGISTER_COLUMNS])
    for column in ("G", "H", "I", "J", "K"):
        for cell in ws[column][header_row:]:
            cell.number_format = "dd/mm/yyyy hh:mm"
    ws.freeze_panes = ws.cell(row=header_row + 1, column=3)
    _autowidth(ws, {1: 6, 2: 28, 3: 48, 4: 24, 5: 32, 6: 32, 12: 22, 13: 24})
    ws.print_title_rows = f"{header_row}:{header_row}"
    return _save(wb)
