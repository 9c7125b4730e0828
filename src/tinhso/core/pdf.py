"""Fonts for PDFs we render (receipts, registers, signature appearances).

Vietnamese needs a font with its full repertoire; DejaVu is vendored under core/fonts so
a closed network or a bare server renders the same PDF.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONTS = {
    "Sans": "DejaVuSans.ttf",
    "Sans-Bold": "DejaVuSans-Bold.ttf",
    "Serif": "DejaVuSerif.ttf",
    "Serif-Bold": "DejaVuSerif-Bold.ttf",
    "Serif-Italic": "DejaVuSerif-Italic.ttf",
}


def font_path(name: str = "Serif") -> Path:
    return FONT_DIR / FONTS[name]


@lru_cache(maxsize=1)
def register_reportlab_fonts() -> None:
    """Register the fonts with reportlab as 'Sans', 'Serif', ... (once per process)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    for name, filename in FONTS.items():
        pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / filename)))
