"""Photos: checked to be an image (not a decompression bomb), GPS read from EXIF, then
re-encoded as a JPEG without any metadata, rotated upright and resized."""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from typing import IO, Any

from PIL import Image, ImageOps, UnidentifiedImageError

from tinhso.core.errors import ValidationFailed
from tinhso.feedback.errors import FeedbackErrorCode as E

MAX_BYTES = 15 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 40-megapixel photo is the largest a phone takes
MAX_SIDE = 1600
QUALITY = 82
GPS_IFD = 0x8825


@dataclass
class Processed:
    data: bytes
    sha256: str
    width: int
    height: int
    gps: tuple[float, float] | None


def _ratio(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        num, den = value
        return float(num) / float(den)


def _dms(values: Any, ref: Any) -> float | None:
    try:
        d, m, s = (_ratio(v) for v in values)
    except Exception:  # noqa: BLE001 - malformed EXIF is simply "no position"
        return None
    result = d + m / 60 + s / 3600
    if str(ref).upper().startswith(("S", "W")):
        result = -result
    return result


def gps_of(image: Image.Image) -> tuple[float, float] | None:
    """(lat, lng) from the EXIF GPS block, or None."""
    try:
        gps = image.getexif().get_ifd(GPS_IFD)
    except Exception:  # noqa: BLE001
        return None
    if not gps or 2 not in gps or 4 not in gps:
        return None
    lat = _dms(gps[2], gps.get(1, "N"))
    lng = _dms(gps[4], gps.get(3, "E"))
    if lat is None or lng is None or not (-90 <= lat <= 90 and -180 <= lng <= 180):
        return None
    return round(lat, 6), round(lng, 6)


def _not_image() -> ValidationFailed:
    from django.utils.translation import gettext as _

    return ValidationFailed(
        _("Tệp tải lên không phải là ảnh (chấp nhận JPEG, PNG, WebP)."), code=E.NOT_AN_IMAGE
    )


def process(stream: IO[bytes] | bytes) -> Processed:
    from django.utils.translation import gettext as _

    raw = stream if isinstance(stream, bytes) else stream.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise ValidationFailed(
            _("Ảnh quá lớn (tối đa %(mb)d MB).") % {"mb": MAX_BYTES // (1024 * 1024)},
            code=E.IMAGE_TOO_LARGE,
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(raw), formats=["JPEG", "PNG", "WEBP"])
            width, height = image.size
            if width * height > MAX_PIXELS or width <= 0 or height <= 0:
                raise ValidationFailed(
                    _("Ảnh có kích thước điểm ảnh quá lớn."), code=E.IMAGE_TOO_LARGE
                )
            gps = gps_of(image)
            image.load()
    except ValidationFailed:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValidationFailed(
            _("Ảnh có kích thước điểm ảnh quá lớn."), code=E.IMAGE_TOO_LARGE
        ) from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise _not_image() from exc
    upright: Image.Image = ImageOps.exif_transpose(image) or image
    if upright.mode not in ("RGB", "L"):
        upright = upright.convert("RGB")
    image = upright  # type: ignore[assignment]
    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    # A new image without `exif=`: nothing of the original metadata is written.
    image.save(out, format="JPEG", quality=QUALITY, optimize=True)
    data = out.getvalue()
    return Processed(
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        width=image.width,
        height=image.height,
        gps=gps,
    )


def redacted_copy(width: int, height: int) -> bytes:
    """A grey placeholder of the same size, for a redacted photo."""
    out = io.BytesIO()
    Image.new("RGB", (max(1, width), max(1, height)), (160, 160, 160)).save(out, format="JPEG")
    return out.getvalue()
