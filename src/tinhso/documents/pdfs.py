"""Reading uploaded PDFs (checks + text for search) and rendering small document PDFs."""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

from tinhso.core.errors import ValidationFailed
from tinhso.core.files import PDF_MAGIC
from tinhso.core.pdf import check_pdf, may_hold_signatures
from tinhso.documents.errors import DocumentErrorCode as E

logger = logging.getLogger(__name__)

MAX_PDF_BYTES = 50 * 1024 * 1024
MAX_TEXT_PAGES = 60
MAX_TEXT_CHARS = 200_000


class InvalidPdf(ValidationFailed):
    code = E.INVALID_PDF
    message = "Tệp không phải là PDF hợp lệ hoặc đã bị hỏng. Vui lòng tải lên tệp PDF khác."


class EncryptedPdf(ValidationFailed):
    code = E.ENCRYPTED_PDF
    message = (
        "Tệp PDF được đặt mật khẩu (mã hóa). Vui lòng gỡ mật khẩu rồi tải lên lại, "
        "vì văn bản phải đọc được và ký số được."
    )


@dataclass(frozen=True)
class PdfInfo:
    page_count: int
    text: str
    # whether it may carry signatures (`core.pdf.may_hold_signatures`): if not, there
    # is nothing for the signature verification to verify
    may_be_signed: bool = True


def read_pdf(data: bytes, *, text: bool = True) -> PdfInfo:
    """Check that `data` is a readable, unencrypted PDF without active content
    (`pdf_active_content`); return its page count and text (`text=False`: the checks
    only, the text left empty — e.g. an arrival check before the document is registered)."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    if not data or PDF_MAGIC not in data[:1024]:
        raise InvalidPdf()
    if len(data) > MAX_PDF_BYTES:
        raise ValidationFailed(
            f"Tệp PDF quá lớn; tối đa {MAX_PDF_BYTES // (1024 * 1024)} MB.", code=E.FILE_TOO_LARGE
        )
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise EncryptedPdf()
        pages = reader.pages
        page_count = len(pages)
        if page_count == 0:
            raise InvalidPdf("Tệp PDF không có trang nào.")
        check_pdf(data, reader=reader)  # no JavaScript, automatic action, embedded file
        parts: list[str] = []
        size = 0
        for page in list(pages)[: MAX_TEXT_PAGES if text else 0]:
            try:
                chunk = page.extract_text() or ""
            except Exception:  # a page we cannot read: keep the others
                logger.info("text extraction failed on one page", exc_info=True)
                chunk = ""
            parts.append(chunk)
            size += len(chunk)
            if size > MAX_TEXT_CHARS:
                break
    except ValidationFailed:  # EncryptedPdf, InvalidPdf, pdf_active_content
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError):
        raise InvalidPdf() from None
    except Exception:  # pypdf raises many kinds of errors on broken files
        logger.info("unreadable PDF", exc_info=True)
        raise InvalidPdf() from None
    return PdfInfo(
        page_count=page_count,
        text="\n".join(parts)[:MAX_TEXT_CHARS],
        may_be_signed=may_hold_signatures(reader, data),
    )


def render_document_pdf(
    *,
    agency_name: str,
    title: str,
    subject: str,
    body: list[str],
    number_notation: str = "Số:      /",
    place_date: str = "",
    signer_title: str = "",
    signer_name: str = "",
) -> bytes:
    """A small one-page administrative document (demo data, tests) in Vietnamese."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    from tinhso.core.pdf import register_reportlab_fonts

    register_reportlab_fonts()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.setTitle(subject[:120])
    width, height = A4
    left = 20 * mm
    y = height - 20 * mm
    c.setFont("Serif-Bold", 10)
    for i, line in enumerate(_wrap(agency_name.upper(), 32)[:2]):
        c.drawCentredString(left + 35 * mm, y - i * 5 * mm, line)
    c.drawCentredString(width - 55 * mm, y, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    y -= 5 * mm
    c.drawCentredString(width - 55 * mm, y, "Độc lập - Tự do - Hạnh phúc")
    y -= 6 * mm
    c.setFont("Serif", 11)
    c.drawCentredString(left + 35 * mm, y, number_notation)
    y -= 8 * mm
    c.setFont("Serif-Italic", 11)
    if place_date:
        c.drawRightString(width - 20 * mm, y, place_date)
    y -= 14 * mm
    c.setFont("Serif-Bold", 13)
    c.drawCentredString(width / 2, y, title.upper())
    y -= 7 * mm
    c.setFont("Serif-Bold", 11)
    for line in _wrap(subject, 85):
        c.drawCentredString(width / 2, y, line)
        y -= 6 * mm
    y -= 6 * mm
    c.setFont("Serif", 11)
    for paragraph in body:
        for line in _wrap(paragraph, 82):
            c.drawString(left, y, line)
            y -= 6 * mm
            if y < 60 * mm:
                break
        y -= 2 * mm
    if signer_title or signer_name:
        y = max(y - 8 * mm, 40 * mm)
        c.setFont("Serif-Bold", 11)
        c.drawCentredString(width - 55 * mm, y, signer_title.upper())
        c.drawCentredString(width - 55 * mm, y - 30 * mm, signer_name)
    c.showPage()
    c.save()
    return buf.getvalue()


def _wrap(text: str, width: int) -> list[str]:
    words = text.split()
    lines: list[str] = []
    line = ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    if line:
        lines.append(line)
    return lines or [""]
