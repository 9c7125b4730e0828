"""Stored files keep their SHA-256; type and size are checked before storing."""

from __future__ import annotations

import hashlib
from typing import IO

from tinhso.core.errors import ValidationFailed

PDF_MAGIC = b"%PDF-"


def sha256_of(stream: IO[bytes]) -> str:
    digest = hashlib.sha256()
    stream.seek(0)
    for chunk in iter(lambda: stream.read(1024 * 1024), b""):
        digest.update(chunk)
    stream.seek(0)
    return digest.hexdigest()


def check_upload(
    *, name: str, size: int, head: bytes, allowed: dict[str, bytes | None], max_bytes: int
) -> str:
    """Return the extension if the file is acceptable, else raise a domain error.

    `allowed` maps an extension to the magic bytes the file must start with (None: any).
    """
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in allowed:
        raise ValidationFailed(
            f"Loại tệp .{ext or '?'} không được chấp nhận. Chấp nhận: "
            + ", ".join(sorted(allowed)),
            code="file_type_not_allowed",
        )
    if size > max_bytes:
        raise ValidationFailed(
            f"Tệp quá lớn ({size // 1024} KB); tối đa {max_bytes // 1024} KB.",
            code="file_too_large",
        )
    magic = allowed[ext]
    if magic is not None and not head.startswith(magic):
        raise ValidationFailed(
            f"Nội dung tệp không đúng định dạng .{ext}.", code="file_content_mismatch"
        )
    return ext
