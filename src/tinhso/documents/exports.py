"""The year's registers as the decree's annex IV templates: printable PDF and XLSX.

Both files must come out whatever the rows hold (they are the legal record of the year):
XLSX cells go through `tinhso.core.sheets` (no illegal character, never a formula) and a
PDF cell is shortened, with "…", to at most `MAX_CELL_HEIGHT`
(`tinhso.core.pdf.fitted_paragraph`) so that one row can never be taller than a page.
"""

from __future__ import annotations

import io
from datetime import date

from tinhso.core.pdf import fitted_paragraph
from tinhso.core.sheets import append_row
from tinhso.core.text import clean_text
from tinhso.documents.models import Register
from tinhso.documents.selectors import register_columns, register_rows

MAX_CELL_HEIGHT = 170.0  # points (6 cm): a row never takes more than a third of a page


def _cell(value) -> str:
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return "" if value is None else str(value)


def register_pdf(register: Register) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from tinhso.core.pdf import register_reportlab_fonts

    register_reportlab_fonts()
    columns = register_columns(register)
    rows = register_rows(register)
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=register.title,
    )
    cell = ParagraphStyle("cell", fontName="Serif", fontSize=8, leading=10)
    head = ParagraphStyle("head", fontName="Serif-Bold", fontSize=8, leading=10, alignment=1)
    title = ParagraphStyle("title", fontName="Serif-Bold", fontSize=14, leading=18, alignment=1)
    sub = ParagraphStyle("sub", fontName="Serif", fontSize=10, leading=13, alignment=1)
    width = landscape(A4)[0] - 24 * mm
    weights = {
        "type_and_subject": 4.0,
        "recipients": 2.5,
        "sender": 2.2,
        "handler": 2.0,
        "number_notation": 1.6,
        "issued_on": 1.2,
        "arrived_on": 1.2,
        "sent_on": 1.2,
    }
    total = sum(weights.get(key, 1.0) for key, _ in columns)
    col_widths = [width * weights.get(key, 1.0) / total for key, _ in columns]
    padding = 12  # the table's default left + right cell padding, in points
    data = [[Paragraph(_escape(label), head) for _key, label in columns]]
    for row in rows:
        data.append(
            [
                fitted_paragraph(
                    _cell(row[key]), cell, width=w - padding, max_height=MAX_CELL_HEIGHT
                )
                for (key, _label), w in zip(columns, col_widths, strict=True)
            ]
        )
    if len(data) == 1:
        data.append([Paragraph("", cell) for _ in columns])
    table = Table(data, colWidths=col_widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
            ]
        )
    )
    story = [
        Paragraph(_escape(clean_text(register.agency.name).upper()), sub),
        Spacer(1, 4 * mm),
        Paragraph(_escape(clean_text(register.title).upper()), title),
        Paragraph(f"Năm {register.year} — {len(rows)} văn bản", sub),
        Spacer(1, 6 * mm),
        table,
    ]
    doc.build(story)
    return buf.getvalue()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def register_xlsx(register: Register) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    columns = register_columns(register)
    wb = Workbook()
    ws = wb.active
    ws.title = f"{register.get_direction_display()} {register.year}"[:31]
    append_row(ws, [register.agency.name])
    append_row(ws, [register.title])
    append_row(ws, [])
    append_row(ws, [label for _key, label in columns])
    for cell in ws[4]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws["A2"].font = Font(bold=True, size=14)
    for row in register_rows(register):
        append_row(ws, [_xlsx_value(row[key]) for key, _label in columns])
    for idx, (key, _label) in enumerate(columns, start=1):
        letter = ws.cell(row=4, column=idx).column_letter
        ws.column_dimensions[letter].width = 60 if key == "type_and_subject" else 18
    for row in ws.iter_rows(min_row=5):
        for cell in row:
            if isinstance(cell.value, date):
                cell.number_format = "DD/MM/YYYY"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _xlsx_value(value):
    return value if isinstance(value, (int, date)) else _cell(value)
