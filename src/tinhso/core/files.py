"""Stored files keep their SHA-256; type, size and content are checked before storing,
and every file a user gave us is served back as a download, never as a page.
"""

from __future__ import annotations

import hashlib
from typing import IO, overload

from django.http import FileResponse, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header

from tinhso.core.errors import CoreErrorCode, ValidationFailed
from tinhso.core.text import clean_text

PDF_MAGIC = b"%PDF-"

# The content type we announce for a stored file, by extension: never one a browser would
# render as a page (text/html, image/svg+xml ...), whatever the uploader called the file.
SAFE_CONTENT_TYPES = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "odt": "application/vnd.oasis.opendocument.text",
    "xml": "application/xml",
}
DEFAULT_CONTENT_TYPE = "application/octet-stream"


def sha256_of(stream: IO[bytes]) -> str:
    digest = hashlib.sha256()
    stream.seek(0)
    for chunk in iter(lambda: stream.read(1024 * 1024), b""):
        digest.update(chunk)
    stream.seek(0)
    return digest.hexdigest()


def extension_of(name: str) -> str:
    name = name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def check_upload(
    *, name: str, size: int, head: bytes, allowed: dict[str, bytes | None], max_bytes: int
) -> str:
    """Return the extension if the file is acceptable, else raise a domain error.

    `allowed` maps an extension to the magic bytes the file must start with (None: any).
    """
    ext = extension_of(name)
    if ext not in allowed:
        raise ValidationFailed(
            f"Loại tệp .{clean_text(ext)[:10] or '?'} không được chấp nhận. Chấp nhận: "
            + ", ".join(sorted(allowed)),
            code=CoreErrorCode.FILE_TYPE_NOT_ALLOWED,
        )
    if size > max_bytes:
        raise ValidationFailed(
            f"Tệp quá lớn ({size // 1024} KB); tối đa {max_bytes // 1024} KB.",
            code=CoreErrorCode.FILE_TOO_LARGE,
        )
    magic = allowed[ext]
    if magic is not None and not head.startswith(magic):
        raise ValidationFailed(
            f"Nội dung tệp không đúng định dạng .{ext}.",
            code=CoreErrorCode.FILE_CONTENT_MISMATCH,
        )
    return ext


def check_content(*, ext: str, data: bytes) -> None:
    """The checks that need the whole file: a PDF without active content
    (`tinhso.core.pdf.check_pdf`), a well-formed XML without a DTD (`check_xml`)."""
    if ext == "pdf":
        from tinhso.core.pdf import check_pdf

        check_pdf(data)
    elif ext == "xml":
        check_xml(data)


def check_xml(data: bytes) -> None:
    """Refuse an XML file that is not well-formed or that has a document type declaration.

    Parsed by lxml with entities left unresolved, no DTD loaded and no network, as
    defusedxml would: a DTD is how entity bombs and external entities (reading server
    files, calling other hosts) get in, and no e-document format we accept needs one.
    """
    from lxml import etree

    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
    )
    try:
        root = etree.fromstring(data, parser)
    except (etree.XMLSyntaxError, ValueError):
        raise ValidationFailed(
            "Tệp XML không đúng cú pháp (không phải XML hợp lệ). Vui lòng kiểm tra lại tệp.",
            code=CoreErrorCode.INVALID_XML,
        ) from None
    if root is None:
        raise ValidationFailed("Tệp XML rỗng.", code=CoreErrorCode.INVALID_XML)
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.system_url:
        raise ValidationFailed(
            "Tệp XML có khai báo DOCTYPE/ENTITY, không được chấp nhận vì lý do an toàn.",
            code=CoreErrorCode.XML_DTD_FORBIDDEN,
        )


def safe_content_type(filename: str) -> str:
    return SAFE_CONTENT_TYPES.get(extension_of(filename), DEFAULT_CONTENT_TYPE)


def safe_filename(filename: str, default: str = "tep") -> str:
    """A download name: one line, no folder, not empty."""
    name = clean_text(filename or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1].strip()
    return name[:200] or default


@overload
def attachment_response(content: bytes, *, filename: str) -> HttpResponse: ...
@overload
def attachment_response(content: IO[bytes], *, filename: str) -> FileResponse: ...
def attachment_response(content: bytes | IO[bytes], *, filename: str) -> HttpResponseBase:
    """Serve a file a user uploaded (bytes or an open binary file): always a download with a
    content type chosen by us, never sniffed, sandboxed should a browser render it anyway.
    (PDFs the platform renders itself, such as forms 01–05, may be shown inline.)"""
    name = safe_filename(filename)
    content_type = safe_content_type(name)
    response: HttpResponseBase
    if isinstance(content, bytes | bytearray):
        response = HttpResponse(bytes(content), content_type=content_type)
        response["Content-Disposition"] = content_disposition_header(True, name)
    else:
        response = FileResponse(
            content, as_attachment=True, filename=name, content_type=content_type
        )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
