"""Number, notation and date of an outgoing document, written into its PDF.

Decree 30 has the clerk give the number after the leader has signed, and the issued
document shows it ("Số: 07/STC-QLNS" and "Sông Lam, ngày 05 tháng 3 năm 2026"). Writing
text into the page after the leader's signature would change the signed content (the
signature then reports the document modified). So, as PDF forms allow:

1. before the leader signs, `add_number_fields` places two empty, read-only text fields
   over the document's "Số: …" line and its place-and-date line (found on the first page;
   in the top margin when the draft has none);
2. when the clerk numbers it, `fill_number_fields` fills them in an incremental update:
   form filling, which PDF signatures allow, so the leader's signature stays valid;
3. the agency's seal then signs the whole file, number and date included.

The fields' appearance is drawn with reportlab (the platform's Vietnamese fonts) and
imported as the widget's appearance stream; the value is the same text.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from datetime import date

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name, pdf_string
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader

logger = logging.getLogger(__name__)

NUMBER_FIELD = "SoKyHieu"
DATE_FIELD = "NgayBanHanh"
FONT_SIZE = 13  # Decree 30 annex I: number and date lines in 13-14 pt
READ_ONLY = 1  # field flag bit 1
PRINT = 4  # annotation flag: print the widget


@dataclass(frozen=True)
class Line:
    """A line of text found on the page (PDF user space, points)."""

    text: str
    x: float
    y: float
    size: float


def _first_page_lines(pdf: bytes) -> tuple[list[Line], tuple[float, float, float, float]]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf), strict=False)
    page = reader.pages[0]
    lines: list[Line] = []

    def visit(text, cm, tm, _font, size):
        text = (text or "").strip()
        if not text:
            return
        # position = text matrix then current transformation matrix
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        scale = (tm[3] or 1) * (cm[3] or 1)
        lines.append(Line(text=text, x=x, y=y, size=abs(size * scale) or FONT_SIZE))

    try:
        page.extract_text(visitor_text=visit)
    except Exception:  # an unreadable page: fall back to the margins
        logger.info("could not read the first page's text", exc_info=True)
    box = page.mediabox
    return lines, (float(box.left), float(box.bottom), float(box.right), float(box.top))


def _is_number_line(text: str) -> bool:
    return text.startswith(("Số:", "Số :", "Số ")) and "/" in text


def _is_date_line(text: str) -> bool:
    low = text.lower()
    return "ngày" in low and "tháng" in low and "năm" in low


def _text_width(text: str, size: float, italic: bool = False) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    from tinhso.core.pdf import register_reportlab_fonts

    register_reportlab_fonts()
    return stringWidth(text, "Serif-Italic" if italic else "Serif", size)


def place_of(date_line: str) -> str:
    """'Sông Lam, ngày … tháng … năm …' -> 'Sông Lam' (the place name of the date line)."""
    head, sep, _tail = date_line.partition(",")
    return head.strip() if sep else ""


def date_line(place: str, day: date) -> str:
    """Decree 30: a leading zero for days below 10 and for months 1 and 2."""
    dd = f"{day.day:02d}"
    mm = f"{day.month:02d}" if day.month < 3 else str(day.month)
    text = f"ngày {dd} tháng {mm} năm {day.year}"
    return f"{place}, {text}" if place else text.capitalize()


@dataclass(frozen=True)
class Slots:
    number: tuple[float, float, float, float]
    date: tuple[float, float, float, float]
    place: str
    number_align: str  # "centre" | "left"
    date_align: str  # "right" | "left"
    number_size: float = FONT_SIZE
    date_size: float = FONT_SIZE


def find_slots(pdf: bytes) -> Slots:
    """Where the number and the date go: over the draft's own lines when it has them."""
    lines, (px1, py1, px2, py2) = _first_page_lines(pdf)
    top = [ln for ln in lines if ln.y > py1 + (py2 - py1) * 0.5]  # the header is on top
    number = next((ln for ln in top if _is_number_line(ln.text)), None)
    dated = next((ln for ln in top if _is_date_line(ln.text)), None)
    pad = 3.0
    if number is not None:
        size = number.size
        width = max(_text_width(number.text, size), _text_width("Số: 0000/XXXX-XXXXXX", size))
        centre = number.x + _text_width(number.text, size) / 2
        number_box = (
            centre - width / 2 - pad,
            number.y - size * 0.35,
            centre + width / 2 + pad,
            number.y + size * 1.05,
        )
        number_align = "centre"
    else:  # top margin, left
        number_box = (px1 + 40, py2 - 30, px1 + 290, py2 - 12)
        number_align = "left"
    if dated is not None:
        size = dated.size
        original = _text_width(dated.text, size, italic=True)
        right = dated.x + original
        width = max(
            original,
            _text_width(date_line(place_of(dated.text), date(2000, 12, 28)), size, italic=True),
        )
        date_box = (right - width - pad, dated.y - size * 0.35, right + pad, dated.y + size * 1.05)
        date_align = "right"
        place = place_of(dated.text)
    else:
        date_box = (px2 - 300, py2 - 30, px2 - 40, py2 - 12)
        date_align = "right"
        place = ""
    return Slots(
        number_box,
        date_box,
        place,
        number_align,
        date_align,
        number.size if number is not None else FONT_SIZE,
        dated.size if dated is not None else FONT_SIZE,
    )


# ---------------------------------------------------------------------------------------
# The fields


def _field_names(reader: PdfFileReader) -> dict[str, generic.IndirectObject]:
    try:
        fields = reader.root["/AcroForm"]["/Fields"]
    except KeyError:
        return {}
    found = {}
    for ref in fields:
        obj = ref.get_object()
        name = str(obj.get("/T", ""))
        if name:
            found[name] = ref
    return found


def has_number_fields(pdf: bytes) -> bool:
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    names = _field_names(reader)
    return NUMBER_FIELD in names and DATE_FIELD in names


def is_signed(pdf: bytes) -> bool:
    from pyhanko.sign.fields import enumerate_sig_fields

    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    try:
        return any(True for _ in enumerate_sig_fields(reader, filled_status=True))
    except Exception:  # no form, or an odd one: treat as unsigned
        return False


def prepare_for_number(pdf: bytes) -> bytes:
    """Before the first signature: add the empty number and date fields. A PDF someone
    already signed is left as it is (a field added now would count as a change)."""
    if has_number_fields(pdf) or is_signed(pdf):
        return pdf
    return add_number_fields(pdf)


def add_number_fields(pdf: bytes) -> bytes:
    """The PDF with the two empty fields (unchanged when it already has them). Only for a
    PDF nobody has signed yet: a field added after a signature counts as a change."""
    if has_number_fields(pdf):
        return pdf
    slots = find_slots(pdf)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    page_ref, _resources = writer.find_page_for_modification(0)
    page = page_ref.get_object()
    root = writer.root
    if "/AcroForm" not in root:
        root[pdf_name("/AcroForm")] = writer.add_object(
            generic.DictionaryObject({pdf_name("/Fields"): generic.ArrayObject()})
        )
        writer.update_root()
    acroform = root["/AcroForm"]
    acroform_ref = root.raw_get("/AcroForm")
    fields = acroform.get("/Fields")
    if fields is None:
        fields = generic.ArrayObject()
        acroform[pdf_name("/Fields")] = fields
    annots = page.get("/Annots")
    if annots is None:
        annots = generic.ArrayObject()
        page[pdf_name("/Annots")] = annots
    for name, box, label in (
        (NUMBER_FIELD, slots.number, "Số, ký hiệu văn bản"),
        (DATE_FIELD, slots.date, "Địa danh, ngày tháng năm ban hành"),
    ):
        field = generic.DictionaryObject(
            {
                pdf_name("/Type"): pdf_name("/Annot"),
                pdf_name("/Subtype"): pdf_name("/Widget"),
                pdf_name("/FT"): pdf_name("/Tx"),
                pdf_name("/T"): pdf_string(name),
                pdf_name("/TU"): pdf_string(label),
                pdf_name("/Ff"): generic.NumberObject(READ_ONLY),
                pdf_name("/F"): generic.NumberObject(PRINT),
                pdf_name("/Rect"): generic.ArrayObject(generic.FloatObject(v) for v in box),
                pdf_name("/P"): page_ref,
                pdf_name("/DA"): pdf_string(f"/Helv {FONT_SIZE} Tf 0 g"),
            }
        )
        ref = writer.add_object(field)
        fields.append(ref)
        annots.append(ref)
    writer.update_container(page)
    if isinstance(acroform_ref, generic.IndirectObject):
        writer.update_container(acroform)
    else:
        writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _appearance_pdf(
    text: str, width: float, height: float, *, align: str, italic: bool, size: float
) -> bytes:
    """A page of exactly the field's size: white background, the text in black."""
    from reportlab.pdfgen import canvas

    from tinhso.core.pdf import register_reportlab_fonts

    register_reportlab_fonts()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(width, height))
    c.setFillColorRGB(1, 1, 1)
    c.rect(0, 0, width, height, stroke=0, fill=1)
    c.setFillColorRGB(0, 0, 0)
    font = "Serif-Italic" if italic else "Serif"
    while size > 6 and _text_width(text, size, italic) > width - 4:
        size -= 0.5
    c.setFont(font, size)
    baseline = (height - size * 0.7) / 2
    if align == "centre":
        c.drawCentredString(width / 2, baseline, text)
    elif align == "right":
        c.drawRightString(width - 3, baseline, text)
    else:
        c.drawString(3, baseline, text)
    c.showPage()
    c.save()
    return buf.getvalue()


def fill_number_fields(pdf: bytes, *, number_notation: str, issued_on: date) -> bytes:
    """Fill the fields with "Số: <number/notation>" and the place and date (an incremental
    update: form filling keeps earlier signatures valid). Raises LookupError without them."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    if NUMBER_FIELD not in _field_names(reader):
        raise LookupError("the PDF has no number fields")
    slots = find_slots(pdf)
    values = {
        NUMBER_FIELD: (f"Số: {number_notation}", "centre", False, slots.number_size),
        DATE_FIELD: (date_line(slots.place, issued_on), "right", True, slots.date_size),
    }
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    names = _field_names(writer.prev)
    for name, (text, align, italic, size) in values.items():
        ref = names.get(name)
        if ref is None:
            continue
        field = writer.get_object(ref.reference)
        x1, y1, x2, y2 = (float(v) for v in field["/Rect"])
        width, height = abs(x2 - x1), abs(y2 - y1)
        if name == NUMBER_FIELD and slots.number_align == "left":
            align = "left"
        look = PdfFileReader(
            io.BytesIO(_appearance_pdf(text, width, height, align=align, italic=italic, size=size))
        )
        xobject = writer.import_page_as_xobject(look)
        field[pdf_name("/V")] = pdf_string(text)
        field[pdf_name("/AP")] = generic.DictionaryObject({pdf_name("/N"): xobject})
        writer.update_container(field)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def field_values(pdf: bytes) -> dict[str, str]:
    """The number and date fields' values (empty strings when not filled)."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    names = _field_names(reader)
    return {
        name: str(names[name].get_object().get("/V", "")) if name in names else ""
        for name in (NUMBER_FIELD, DATE_FIELD)
    }


def printed_text(pdf: bytes) -> str:
    """The first page's text as printed: page content plus the printed form fields'
    appearances (what a reader sees), read from a flattened copy made in memory."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ContentStream, DictionaryObject, NameObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf), strict=False))
    page = writer.pages[0]
    resources = page.get("/Resources")
    resources = resources.get_object() if resources is not None else DictionaryObject()
    xobjects = resources.get("/XObject")
    xobjects = xobjects.get_object() if xobjects is not None else DictionaryObject()
    drawn = []
    for n, annot_ref in enumerate(page.get("/Annots") or []):
        annot = annot_ref.get_object()
        appearance = annot.get("/AP", {}).get("/N")
        if annot.get("/Subtype") != "/Widget" or appearance is None:
            continue
        if not int(annot.get("/F", 0)) & PRINT:
            continue
        name = f"/TinhsoWidget{n}"
        xobjects[NameObject(name)] = appearance.indirect_reference or appearance
        x1, y1 = (float(v) for v in annot["/Rect"][:2])
        drawn.append(f"q 1 0 0 1 {x1:.2f} {y1:.2f} cm {name} Do Q")
    if drawn:
        resources[NameObject("/XObject")] = xobjects
        page[NameObject("/Resources")] = resources
        contents = page.get_contents()
        original = contents.get_data() if contents is not None else b""
        stream = ContentStream(None, writer)
        stream.set_data(b"q\n" + original + b"\nQ\n" + "\n".join(drawn).encode())
        page.replace_contents(stream)
    return page.extract_text()
