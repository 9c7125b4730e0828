"""Signature images (an official's signature, an agency's seal), stored as PNG files."""

from __future__ import annotations

import hashlib
import io

from django.core.files.base import ContentFile
from django.db import transaction
from PIL import Image, UnidentifiedImageError

from tinhso.audit.services import record
from tinhso.core.errors import ValidationFailed
from tinhso.signing.models import SignatureImage

MAX_IMAGE_BYTES = 2 * 1024 * 1024


@transaction.atomic
def set_image(*, png: bytes, owner_user=None, owner_agency=None, actor=None) -> SignatureImage:
    """Store (or replace) the signature image of a user or the seal of an agency."""
    if len(png) > MAX_IMAGE_BYTES:
        raise ValidationFailed("Ảnh quá lớn (tối đa 2 MB).", code="file_too_large")
    try:
        img = Image.open(io.BytesIO(png))
        if img.format != "PNG":
            raise ValidationFailed("Ảnh chữ ký/con dấu phải là PNG.", code="image_not_png")
        img.verify()
        img = Image.open(io.BytesIO(png))
        transparent = img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info
    except (UnidentifiedImageError, OSError) as exc:
        raise ValidationFailed("Không đọc được ảnh PNG.", code="image_not_png") from exc
    if not transparent:
        raise ValidationFailed(
            "Ảnh chữ ký/con dấu phải có nền trong suốt (PNG có kênh alpha).",
            code="image_not_transparent",
        )
    kind = SignatureImage.Kind.SIGNATURE if owner_user is not None else SignatureImage.Kind.SEAL
    digest = hashlib.sha256(png).hexdigest()
    row = SignatureImage.objects.filter(owner_user=owner_user, owner_agency=owner_agency).first()
    if row is not None and row.sha256 == digest:
        return row
    if row is None:
        row = SignatureImage(kind=kind, owner_user=owner_user, owner_agency=owner_agency)
    elif row.image:
        row.image.delete(save=False)
    row.sha256 = digest
    row.image.save(f"{kind}-{digest[:16]}.png", ContentFile(png), save=False)
    row.save()
    record(
        actor=actor,
        action="signing.set_image",
        obj=row,
        agency=owner_agency,
        summary={"kind": kind, "sha256": digest},
    )
    return row
