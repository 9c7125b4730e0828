"""Exports: a report as PDF (what the leader signs), the data table as XLSX in the
template's layout, and the JSON for the national reporting system behind an adapter.

The national exchange format is open (domain/reporting-766.md: guided by Circular
01/2020/TT-VPCP and dispatch 4699/VPCP-KSTT, not read here). `NationalReportAdapter`
turns a report into `NATIONAL_SHAPE` — documented below and in the OpenAPI schema — and is
the one place to change when the Government Office's format is applied.

NATIONAL_SHAPE (version "tinhso-httbc-1"):

    {
      "format": "tinhso-httbc-1",
      "report": {"code": str, "title": str, "kind": str, "frequency": str},
      "period": {"key": "2026-03", "label": str, "cutoff_start": "YYYY-MM-DD",
                 "cutoff_end": "YYYY-MM-DD", "deadline": ISO datetime},
      "reporter": {"code": <agency code, Decision 20>, "name": str},
      "receiver": {"code": str, "name": str},
      "template_version": int,
      "submitted_at": ISO datetime | null, "late": bool,
      "signed_sha256": str | "",      # SHA-256 of the signed PDF
      "indicators": [{"code": str, "name": str, "unit": str,
                      "value": "decimal as string" | null, "aggregation": str,
                      "disaggregation": str}],
      "narrative": str
    }
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from tinhso.reporting import periods
from tinhso.reporting.models import Submission
from tinhso.reporting.selectors import AggregateRow, value_rows

NATIONAL_FORMAT = "tinhso-httbc-1"


def number(value: Decimal | None) -> str:
    """Vietnamese number format: 1.234.567,5."""
    if value is None:
        return ""
    normalized = value.normalize()
    if normalized == normalized.to_integral():
        text = f"{int(normalized):,}"
        return text.replace(",", ".")
    whole, _, frac = f"{normalized:f}".partition(".")
    return f"{int(whole):,}".replace(",", ".") + "," + frac


def report_pdf(submission: Submission) -> bytes:
    """The report as the leader signs it: header, period, the data table with last
    period's values, the narrative."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from tinhso.core.pdf import fitted_paragraph, register_reportlab_fonts

    register_reportlab_fonts()
    base = ParagraphStyle("base", fontName="Serif", fontSize=10, leading=13)
    title = ParagraphStyle(
        "title", parent=base, fontName="Serif-Bold", fontSize=13, leading=17, alignment=1
    )
    small = ParagraphStyle("small", parent=base, fontSize=9, leading=11)
    period = periods.period(
        submission.definition.frequency,
        submission.period_key,
        deadline_working_days=submission.definition.deadline_working_days,
    )
    story: list[Any] = [
        fitted_paragraph(submission.agency.name.upper(), base, width=170 * mm, max_height=40),
        Spacer(1, 6 * mm),
        fitted_paragraph(submission.definition.title.upper(), title, width=170 * mm, max_height=80),
        Paragraph(
            f"Kỳ báo cáo: {period.label} (số liệu từ {period.cutoff_start:%d/%m/%Y} đến "
            f"{period.cutoff_end:%d/%m/%Y}) — mã báo cáo {submission.definition.code}, "
            f"biểu mẫu phiên bản {submission.template.version}",
            small,
        ),
        Spacer(1, 4 * mm),
    ]
    data = [[Paragraph(h, small) for h in ("Mã", "Chỉ tiêu", "Đơn vị", "Kỳ này", "Kỳ trước")]]
    for row in value_rows(submission):
        data.append(
            [
                Paragraph(row.indicator.code, small),
                fitted_paragraph(row.indicator.name, small, width=80 * mm, max_height=200),
                Paragraph(row.indicator.unit, small),
                Paragraph(number(row.value), small),
                Paragraph(number(row.previous), small),
            ]
        )
    table = Table(data, colWidths=[18 * mm, 82 * mm, 22 * mm, 24 * mm, 24 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e9ecef")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story += [table, Spacer(1, 6 * mm)]
    if submission.narrative:
        story.append(
            Paragraph("Thuyết minh", ParagraphStyle("h", parent=base, fontName="Serif-Bold"))
        )
        for para in submission.narrative.split("\n"):
            if para.strip():
                story.append(fitted_paragraph(para, base, width=170 * mm, max_height=600))
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=40 * mm,
        title=submission.definition.title,
        author=submission.agency.name,
    )
    doc.build(story)
    return buffer.getvalue()


XLSX_HEADER = ["STT", "Mã chỉ tiêu", "Tên chỉ tiêu", "Đơn vị tính", "Phân tổ", "Cách tổng hợp"]


def submission_xlsx(submission: Submission) -> bytes:
    """The data table of one report, in the template's layout (one row per indicator, in
    the template's order), with this period's and last period's values."""
    from openpyxl import Workbook

    from tinhso.core.sheets import append_row

    wb = Workbook()
    ws = wb.active
    ws.title = "Biểu số liệu"
    append_row(ws, [submission.definition.title])
    append_row(ws, [f"{submission.agency.name} — kỳ {submission.period_key}"])
    append_row(ws, [*XLSX_HEADER, "Kỳ này", "Kỳ trước"])
    for index, row in enumerate(value_rows(submission), start=1):
        i = row.indicator
        append_row(
            ws,
            [
                index,
                i.code,
                i.name,
                i.unit,
                i.disaggregation,
                i.get_aggregation_display(),
                float(row.value) if row.value is not None else None,
                float(row.previous) if row.previous is not None else None,
            ],
        )
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def aggregate_xlsx(definition, period_key: str, rows: list[AggregateRow], root) -> bytes:
    """The assembled report: the template's rows, the total by each indicator's method and
    one column per reporting agency."""
    from openpyxl import Workbook

    from tinhso.core.sheets import append_row

    wb = Workbook()
    ws = wb.active
    ws.title = "Tổng hợp"
    agencies = [a for a, _v in rows[0].by_agency] if rows else []
    append_row(ws, [definition.title])
    append_row(ws, [f"{root.name} — tổng hợp kỳ {period_key}"])
    append_row(ws, [*XLSX_HEADER, "Tổng hợp", "Số đơn vị", *[a.name for a in agencies]])
    for index, row in enumerate(rows, start=1):
        i = row.indicator
        append_row(
            ws,
            [
                index,
                i.code,
                i.name,
                i.unit,
                i.disaggregation,
                row.method,
                float(row.total) if row.total is not None else None,
                row.count,
                *[float(v) if v is not None else None for _a, v in row.by_agency],
            ],
        )
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


class NationalReportAdapter:
    """Our report → the national reporting system's JSON (`NATIONAL_SHAPE`)."""

    format = NATIONAL_FORMAT

    def submission(self, submission: Submission) -> dict[str, Any]:
        definition = submission.definition
        period = periods.period(
            definition.frequency,
            submission.period_key,
            deadline_working_days=definition.deadline_working_days,
        )
        return {
            "format": self.format,
            "report": {
                "code": definition.code,
                "title": definition.title,
                "kind": definition.kind,
                "frequency": definition.frequency,
            },
            "period": {
                "key": period.key,
                "label": period.label,
                "cutoff_start": period.cutoff_start.isoformat(),
                "cutoff_end": period.cutoff_end.isoformat(),
                "deadline": period.deadline.isoformat(),
            },
            "reporter": {"code": submission.agency.code, "name": submission.agency.name},
            "receiver": {"code": definition.receiver.code, "name": definition.receiver.name},
            "template_version": submission.template.version,
            "submitted_at": submission.submitted_at.isoformat()
            if submission.submitted_at
            else None,
            "late": submission.is_late,
            "signed_sha256": submission.signed_sha256,
            "indicators": [
                {
                    "code": r.indicator.code,
                    "name": r.indicator.name,
                    "unit": r.indicator.unit,
                    "value": None if r.value is None else f"{r.value.normalize():f}",
                    "aggregation": r.indicator.aggregation,
                    "disaggregation": r.indicator.disaggregation,
                }
                for r in value_rows(submission)
            ],
            "narrative": submission.narrative,
        }

    def aggregate(
        self, definition, period_key: str, rows: list[AggregateRow], root
    ) -> dict[str, Any]:
        period = periods.period(
            definition.frequency, period_key, deadline_working_days=definition.deadline_working_days
        )
        return {
            "format": self.format,
            "report": {
                "code": definition.code,
                "title": definition.title,
                "kind": definition.kind,
                "frequency": definition.frequency,
            },
            "period": {
                "key": period.key,
                "label": period.label,
                "cutoff_start": period.cutoff_start.isoformat(),
                "cutoff_end": period.cutoff_end.isoformat(),
                "deadline": period.deadline.isoformat(),
            },
            "reporter": {"code": root.code, "name": root.name},
            "receiver": {"code": "HTTTBCQG", "name": "Hệ thống thông tin báo cáo quốc gia"},
            "template_version": rows[0].indicator.template.version if rows else None,
            "submitted_at": None,
            "late": False,
            "signed_sha256": "",
            "indicators": [
                {
                    "code": r.indicator.code,
                    "name": r.indicator.name,
                    "unit": r.indicator.unit,
                    "value": None if r.total is None else f"{r.total.normalize():f}",
                    "aggregation": r.indicator.aggregation,
                    "disaggregation": r.indicator.disaggregation,
                }
                for r in rows
            ],
            "narrative": "",
        }


def national_adapter() -> NationalReportAdapter:
    return NationalReportAdapter()
