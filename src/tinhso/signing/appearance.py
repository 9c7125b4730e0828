"""Visible appearances of signatures (Decree 30/2020, annex: digital signatures).

Each appearance is drawn with reportlab as a one-page PDF the size of the signature
field and imported by pyHanko as the widget's appearance stream, so Vietnamese text is
rendered with the vendored DejaVu fonts (embedded, with a ToUnicode map: extractable).

- personal: the signer's title, their signature image (blue PNG), their full name.
- seal: the agency's seal (red PNG) over the left third of the signer's image.
- seal_text (attachments): number/notation and signing time, Times-like 10 pt, black.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache

from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from tinhso.core.pdf import register_reportlab_fonts

# Geometry of the personal appearance (points). The signer's image is drawn in the
# rectangle IMAGE_BOX of the field, which the seal appearance needs to find later.
PERSONAL_W = 220.0
PERSONAL_H = 130.0
IMAGE_BOX = (30.0, 28.0, 190.0, 100.0)  # x1, y1, x2, y2 relative to the field
SEAL_SIZE = 100.0  # about 35 mm: real size of a round seal
SEAL_TEXT_W = 250.0


@dataclass(frozen=True)
class Appearance:
    pdf: bytes
    width: float
    height: float


def _fit(c: canvas.Canvas, text: str, font: str, size: float, width: float) -> float:
    """Shrink the font size until the text fits the width."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    while size > 5 and stringWidth(text, font, size) > width:
        size -= 0.5
    return size


@lru_cache(maxsize=256)
def personal(*, title: str, name: str, signature_png: bytes | None) -> Appearance:
    """Rendered once per (title, name, image) in a process: the output is deterministic."""
    register_reportlab_fonts()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(PERSONAL_W, PERSONAL_H), invariant=1)
    c.setFillColorRGB(0, 0, 0)
    title = title.upper()
    size = _fit(c, title, "Serif-Bold", 10.5, PERSONAL_W - 8)
    c.setFont("Serif-Bold", size)
    c.drawCentredString(PERSONAL_W / 2, PERSONAL_H - 14, title)
    x1, y1, x2, y2 = IMAGE_BOX
    if signature_png:
        c.drawImage(
            ImageReader(io.BytesIO(signature_png)),
            x1,
            y1,
            width=x2 - x1,
            height=y2 - y1,
            mask="auto",
            preserveAspectRatio=True,
            anchor="c",
        )
    else:  # no image uploaded: say it in words, in the image's place
        c.setFont("Serif-Italic", 10)
        c.drawCentredString(PERSONAL_W / 2, (y1 + y2) / 2 - 4, "(Đã ký số)")
    size = _fit(c, name, "Serif-Bold", 11, PERSONAL_W - 8)
    c.setFont("Serif-Bold", size)
    c.drawCentredString(PERSONAL_W / 2, 8, name)
    c.showPage()
    c.save()
    return Appearance(buf.getvalue(), PERSONAL_W, PERSONAL_H)


@lru_cache(maxsize=128)
def seal(*, seal_png: bytes | None, agency_name: str) -> Appearance:
    register_reportlab_fonts()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(SEAL_SIZE, SEAL_SIZE), invariant=1)
    if seal_png:
        c.drawImage(
            ImageReader(io.BytesIO(seal_png)),
            0,
            0,
            width=SEAL_SIZE,
            height=SEAL_SIZE,
            mask="auto",
            preserveAspectRatio=True,
        )
    else:  # no seal image: a red ring with the name, still a visible mark
        c.setStrokeColorRGB(0.8, 0.07, 0.15)
        c.setFillColorRGB(0.8, 0.07, 0.15)
        c.setLineWidth(3)
        c.circle(SEAL_SIZE / 2, SEAL_SIZE / 2, SEAL_SIZE / 2 - 3)
        size = _fit(c, agency_name, "Sans-Bold", 8, SEAL_SIZE - 16)
        c.setFont("Sans-Bold", size)
        c.drawCentredString(SEAL_SIZE / 2, SEAL_SIZE / 2 - 3, agency_name)
    c.showPage()
    c.save()
    return Appearance(buf.getvalue(), SEAL_SIZE, SEAL_SIZE)


def seal_text(*, lines: list[str]) -> Appearance:
    """Text-only agency signature for attachments: black, Times-like 10 pt."""
    register_reportlab_fonts()
    buf = io.BytesIO()
    height = 11.5 * len(lines) + 4
    c = canvas.Canvas(buf, pagesize=(SEAL_TEXT_W, height), invariant=1)
    c.setFillColorRGB(0, 0, 0)
    y = height - 10
    for line in lines:
        size = _fit(c, line, "Serif", 10, SEAL_TEXT_W - 4)
        c.setFont("Serif", size)
        c.drawString(2, y, line)
        y -= 11.5
    c.showPage()
    c.save()
    return Appearance(buf.getvalue(), SEAL_TEXT_W, height)
