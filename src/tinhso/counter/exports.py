"""The supervisor's statistics as an XLSX workbook (one sheet per breakdown)."""

from __future__ import annotations

import io
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Font

from tinhso.counter import selectors
from tinhso.counter.models import Centre

COLUMNS = [
    ("tickets", "Số phiếu"),
    ("served", "Đã phục vụ"),
    ("absent", "Vắng mặt"),
    ("avg_wait_min", "Chờ TB (phút)"),
    ("avg_service_min", "Phục vụ TB (phút)"),
    ("ratings", "Lượt đánh giá"),
    ("not_satisfied", "Không hài lòng"),
    ("satisfaction", "Hài lòng (%)"),
]
SHEETS = [
    ("day", "Theo ngày", [("day", "Ngày")]),
    ("group", "Theo nhóm", [("group__letter", "Ký hiệu"), ("group__name", "Nhóm dịch vụ")]),
    (
        "officer",
        "Theo cán bộ",
        [("officer__full_name", "Cán bộ"), ("officer__username", "Tài khoản")],
    ),
    ("desk", "Theo quầy", [("desk__number", "Quầy")]),
]


def statistics_xlsx(centre: Centre, start: date, end: date) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for by, title, keys in SHEETS:
        sheet = book.create_sheet(title)
        sheet.append([f"{centre.name}: {start:%d/%m/%Y} – {end:%d/%m/%Y}"])
        sheet["A1"].font = Font(bold=True)
        sheet.append([label for _k, label in keys] + [label for _k, label in COLUMNS])
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in selectors.statistics(centre, start, end, by=by):
            sheet.append([row.get(k) for k, _l in keys] + [row.get(k) for k, _l in COLUMNS])
        total = selectors.totals(centre, start, end)
        sheet.append(["Tổng cộng"] + [""] * (len(keys) - 1) + [total.get(k) for k, _l in COLUMNS])
        for column in sheet.columns:
            sheet.column_dimensions[column[0].column_letter].width = 18
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
