"""Demo signature and seal images (PNG, transparent), drawn with Pillow.

Real deployments upload scanned signatures and seals; these are for the demo province
and tests: a blue handwriting-like stroke, and a red round seal with the agency's name.
"""

from __future__ import annotations

import hashlib
import io
import math

from PIL import Image, ImageDraw, ImageFont

from tinhso.core.pdf import font_path

BLUE = (16, 48, 170, 255)
RED = (206, 17, 38, 235)


def signature_png(name: str, width: int = 600, height: int = 240) -> bytes:
    """A blue cursive-looking stroke, deterministic for a name."""
    seed = int(hashlib.sha256(name.encode()).hexdigest()[:8], 16)
    img = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    points = []
    loops = 3 + seed % 3
    for i in range(0, 400):
        t = i / 399
        x = 40 + t * (width - 120)
        phase = (seed % 97) / 15
        y = height / 2 + math.sin(t * loops * 2 * math.pi + phase) * (height * 0.28) * (1 - 0.5 * t)
        x += math.cos(t * loops * 4 * math.pi) * 22
        points.append((x, y))
    draw.line(points, fill=BLUE, width=7, joint="curve")
    # the final flourish: underline
    draw.line(
        [(60, height * 0.8), (width * 0.55, height * 0.74), (width - 40, height * 0.82)],
        fill=BLUE,
        width=6,
        joint="curve",
    )
    return _png(img)


def seal_png(agency_name: str, size: int = 480) -> bytes:
    """A red round seal: two rings, the agency name around, a star in the middle."""
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    c = size / 2
    draw.ellipse([6, 6, size - 6, size - 6], outline=RED, width=12)
    draw.ellipse([size * 0.2, size * 0.2, size * 0.8, size * 0.8], outline=RED, width=5)
    # star
    star = []
    for k in range(10):
        r = size * 0.17 if k % 2 == 0 else size * 0.07
        a = -math.pi / 2 + k * math.pi / 5
        star.append((c + r * math.cos(a), c + r * math.sin(a)))
    draw.polygon(star, fill=RED)
    # text around the ring
    text = agency_name.upper()[:60]
    font = ImageFont.truetype(str(font_path("Sans-Bold")), int(size * 0.075))
    radius = size * 0.39
    span = min(2 * math.pi * 0.9, len(text) * 0.13)
    start = -math.pi / 2 - span / 2
    for i, ch in enumerate(text):
        angle = start + span * (i + 0.5) / max(len(text), 1)
        glyph = Image.new("RGBA", (int(size * 0.12), int(size * 0.12)), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text(
            (glyph.width / 2, glyph.height / 2), ch, font=font, fill=RED, anchor="mm"
        )
        glyph = glyph.rotate(-math.degrees(angle) - 90, resample=Image.Resampling.BICUBIC)
        x = c + radius * math.cos(angle) - glyph.width / 2
        y = c + radius * math.sin(angle) - glyph.height / 2
        img.alpha_composite(glyph, (int(x), int(y)))
    return _png(img)


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()
