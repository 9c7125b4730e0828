"""Storing uploaded files: type, size and content checks, SHA-256, Django's storage API.

Content: a PDF must open and carry no active content (JavaScript, automatic actions,
embedded files: `pdf_active_content`), an XML file must be well-formed and have no DTD
(`tinhso.core.files.check_content`). The content type stored is chosen from the
extension, never taken from the uploader.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage

from tinhso.core.files import (
    PDF_MAGIC,
    check_content,
    check_upload,
    safe_content_type,
    safe_filename,
    sha256_of,
)

ZIP_MAGIC = b"PK\x03\x04"
ALLOWED: dict[str, bytes | None] = {
    "pdf": PDF_MAGIC,
    "jpg": b"\xff\xd8\xff",
    "jpeg": b"\xff\xd8\xff",
    "png": b"\x89PNG\r\n\x1a\n",
    "docx": ZIP_MAGIC,
    "xlsx": ZIP_MAGIC,
    "odt": ZIP_MAGIC,
    "xml": None,
}
MAX_BYTES = int(getattr(settings, "ONESTOP_MAX_UPLOAD_BYTES", 10 * 1024 * 1024))


@dataclass(frozen=True)
class StoredFile:
    name: str  # storage name
    original_name: str
    sha256: str
    size: int
    content_type: str


def _size(upload: Any) -> int:
    size = getattr(upload, "size", None)
    if size is None:
        stream: IO[bytes] = upload
        stream.seek(0, 2)
        size = stream.tell()
        stream.seek(0)
    return int(size)


def check(upload: Any, *, allowed: dict[str, bytes | None] | None = None) -> str:
    """Raise ValidationFailed (file_type_not_allowed / file_too_large /
    file_content_mismatch / invalid_pdf / encrypted_pdf / pdf_active_content /
    invalid_xml / xml_dtd_forbidden) unless the upload is acceptable; return its extension."""
    name = getattr(upload, "name", "") or ""
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    ext = check_upload(
        name=name.rsplit("/", 1)[-1],
        size=_size(upload),
        head=head or b"",
        allowed=allowed or ALLOWED,
        max_bytes=MAX_BYTES,
    )
    if ext in ("pdf", "xml"):
        data = upload.read()
        upload.seek(0)
        check_content(ext=ext, data=data)
    return ext


def store(
    upload: Any, *, folder: str, allowed: dict[str, bytes | None] | None = None
) -> StoredFile:
    """Check and save one upload under `onestop/<folder>/`; returns where and its digest."""
    ext = check(upload, allowed=allowed)
    original = safe_filename(getattr(upload, "name", "") or "", default=f"tep.{ext}")
    digest = sha256_of(upload)
    size = _size(upload)
    upload.seek(0)
    django_file = upload if isinstance(upload, File) else File(upload, name=original)
    name = default_storage.save(f"onestop/{folder}/{uuid.uuid4().hex}.{ext}", django_file)
    return StoredFile(name, original, digest, size, safe_content_type(f"x.{ext}"))


def store_bytes(data: bytes, *, folder: str, filename: str) -> StoredFile:
    """Save bytes we produced ourselves (receipts, demo results)."""
    import hashlib

    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    name = default_storage.save(f"onestop/{folder}/{uuid.uuid4().hex}.{ext}", ContentFile(data))
    return StoredFile(
        name, filename, hashlib.sha256(data).hexdigest(), len(data), safe_content_type(filename)
    )
