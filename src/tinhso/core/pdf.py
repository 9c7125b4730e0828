"""PDFs: the fonts of those we render, and the safety check of those we are given.

Fonts for PDFs we render (receipts, registers, signature appearances).

Vietnamese needs a font with its full repertoire; DejaVu is vendored under core/fonts so
a closed network or a bare server renders the same PDF.
"""

from __future__ import annotations

import io
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

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


# ---------------------------------------------------------------------------------------
# Table cells that cannot outgrow a page
#
# reportlab cannot split a table row across pages: one row taller than the page aborts the
# whole file (LayoutError). Stored text may be long (a subject, a note) or already stored
# before limits existed; a cell shows as much as fits in `max_height` and ends with "…".

MAX_CELL_CHARS = 4_000  # measured from here down; nothing longer fits a cell anyway


def fitted_paragraph(text: str, style: Any, *, width: float, max_height: float) -> Any:
    """A reportlab Paragraph of plain `text` (escaped here), cut with "…" so that, wrapped
    to `width` points, it is at most `max_height` points tall."""
    from xml.sax.saxutils import escape

    from reportlab.platypus import Paragraph

    from tinhso.core.text import clean_text

    text = clean_text(text or "", multiline=True)[:MAX_CELL_CHARS]

    def build(n: int) -> Any:
        shown = text if n >= len(text) else text[:n].rstrip() + "…"
        return Paragraph(escape(shown), style)

    def fits(paragraph: Any) -> bool:
        return paragraph.wrap(width, max_height * 100)[1] <= max_height

    whole = build(len(text))
    if fits(whole):
        return whole
    shortest, longest = 0, len(text)  # the longest prefix that fits, by bisection
    while longest - shortest > 1:
        middle = (shortest + longest) // 2
        if fits(build(middle)):
            shortest = middle
        else:
            longest = middle
    return build(shortest)


# ---------------------------------------------------------------------------------------
# Active content: what a PDF viewer may run or open by itself.
#
# A paper or a document is something people read, print and sign. JavaScript, actions that
# run when the file or a page opens (/OpenAction other than "go to a page", /AA), launch,
# submit-form and import actions, links into other files, embedded files and XFA forms have
# no place in it, and a signature over them would vouch for whatever they do. We walk the
# whole object graph from the trailer (names are compared after pypdf decodes "#xx"
# escapes, compressed object streams included) and refuse the file when any is present.

# Action types (/S) refused wherever they appear.
_REFUSED_ACTIONS = {
    "/JavaScript": "javascript",
    "/Launch": "launch_action",
    "/SubmitForm": "submit_form",
    "/ImportData": "import_data",
    "/GoToR": "remote_link",
    "/GoToE": "embedded_file",
    "/Rendition": "rich_media",
    "/RichMediaExecute": "rich_media",
}
# Keys refused wherever they appear.
_REFUSED_KEYS = {
    "/JS": "javascript",
    "/JavaScript": "javascript",  # the document-level name tree of scripts
    "/AA": "automatic_action",
    "/EmbeddedFiles": "embedded_file",
    "/EF": "embedded_file",
    "/XFA": "xfa_form",
    "/RichMediaContent": "rich_media",
}
_REFUSED_TYPES = {"/EmbeddedFile": "embedded_file"}
_REFUSED_SUBTYPES = {"/FileAttachment": "embedded_file", "/RichMedia": "rich_media"}
MAX_PDF_OBJECTS = 2_000_000  # dictionaries and arrays visited before we give up


# The pre-scan (`may_hold_active_content`): the walk above costs several milliseconds per
# file in pure Python (every object parsed); most files hold nothing it looks for, and
# the bytes alone can show that. Every dictionary pypdf (or a viewer) can read is in the
# file as written, except the objects packed in a compressed object stream, and every
# name in it is a token `/Name` ending at a delimiter (pypdf's own rule), spelt literally
# or with `#xx` escapes. So when no name token of the file spells, literally or
# escaped, any key, action, type or subtype the walk refuses, nor a name that packs or
# hides objects (`/First`, which any reader needs to unpack an object stream, `/ObjStm`,
# `/Encrypt`), and every `/S`, `/Type`, `/Subtype` is followed by a name (the walk also
# matches a string spelling one), the walk cannot find anything: it is skipped. Else
# the walk runs as before. Stream data only ever adds tokens, so it can only send a
# file to the walk, never spare it.
_DELIMITERS = rb" \t\n\r\f\v()<>\[\]{}/%"  # what ends a name for pypdf (regex \s + delimiters)
_SUSPECT_NAMES = {
    name.encode()
    for name in (
        *_REFUSED_ACTIONS,
        *_REFUSED_KEYS,
        *_REFUSED_TYPES,
        *_REFUSED_SUBTYPES,
        "/OpenAction",
        "/First",
        "/ObjStm",
        "/Encrypt",
    )
}
_SUSPECT_RE = re.compile(
    rb"(?:"
    + b"|".join(re.escape(n) for n in sorted(_SUSPECT_NAMES, key=len, reverse=True))
    + rb")(?=["
    + _DELIMITERS
    + rb"]|\Z)"
)
# `/S`, `/Type`, `/Subtype` as a token, followed (after white space) by anything but a name
_TYPED_NOT_BY_NAME_RE = re.compile(
    rb"/(?:S|Type|Subtype)(?=[" + _DELIMITERS + rb"]|\Z)[ \t\n\r\f\v]*+(?!/)"
)
_ESCAPED_NAME_RE = re.compile(rb"/[^" + _DELIMITERS + rb"]*#[^" + _DELIMITERS + rb"]*")


def may_hold_active_content(data: bytes) -> bool:
    """False when the bytes of `data` prove the walk (`active_content`) would find
    nothing (see above); True when it must run."""
    from pypdf.generic import NameObject

    if _SUSPECT_RE.search(data) or _TYPED_NOT_BY_NAME_RE.search(data):
        return True
    for match in _ESCAPED_NAME_RE.finditer(data):
        name = NameObject.unnumber(match.group())  # decoded as pypdf decodes it
        if name in _SUSPECT_NAMES or name in (b"/S", b"/Type", b"/Subtype"):
            return True
    return False


class PdfTooComplex(Exception):
    """More objects than `MAX_PDF_OBJECTS`: not inspected, so not accepted."""


class PdfUnreadable(Exception):
    """An object pypdf cannot read: not inspected, so not accepted."""


def active_content(reader: Any) -> list[str]:
    """The kinds of active content in an opened pypdf `PdfReader` (sorted, [] if none).

    Raises PdfTooComplex for a file too large to inspect, PdfUnreadable for an object
    pypdf cannot read.
    """
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    found: set[str] = set()
    seen: set[tuple[int, int]] = set()
    stack: list[Any] = [reader.trailer]
    budget = MAX_PDF_OBJECTS
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            ref = (obj.idnum, obj.generation)
            if ref in seen:
                continue
            seen.add(ref)
            try:
                obj = obj.get_object()
            except Exception as exc:  # noqa: BLE001 - pypdf raises many kinds
                # A viewer may read what pypdf cannot: what we cannot inspect is refused.
                raise PdfUnreadable() from exc
        if isinstance(obj, DictionaryObject):
            budget -= 1
            _inspect(obj, found)
            stack.extend(dict.values(obj))
        elif isinstance(obj, ArrayObject):
            budget -= 1
            stack.extend(list.__iter__(obj))
        if budget < 0:
            raise PdfTooComplex()
    return sorted(found)


def _inspect(obj: dict, found: set[str]) -> None:
    from pypdf.generic import DictionaryObject, IndirectObject

    for key in dict.keys(obj):
        if key in _REFUSED_KEYS:
            found.add(_REFUSED_KEYS[key])
    action = dict.get(obj, "/S")
    if isinstance(action, str) and action in _REFUSED_ACTIONS:
        found.add(_REFUSED_ACTIONS[action])
    kind = dict.get(obj, "/Type")
    if isinstance(kind, str) and kind in _REFUSED_TYPES:
        found.add(_REFUSED_TYPES[kind])
    subtype = dict.get(obj, "/Subtype")
    if isinstance(subtype, str) and subtype in _REFUSED_SUBTYPES:
        found.add(_REFUSED_SUBTYPES[subtype])
    opening = dict.get(obj, "/OpenAction")
    if opening is not None:
        if isinstance(opening, IndirectObject):
            try:
                opening = opening.get_object()
            except Exception as exc:  # noqa: BLE001
                raise PdfUnreadable() from exc
        # A destination (an array: "open at page 1") is harmless; any action is not,
        # except "go to a page of this file".
        if isinstance(opening, DictionaryObject) and dict.get(opening, "/S") != "/GoTo":
            found.add("automatic_action")


MAX_FORM_FIELDS = 2000


# A signature field's type is the name /Sig: in a file whose objects all lie in its bytes
# as written (no object stream, /ObjStm, where they may be compressed), no /Sig token,
# even spelled with #-escapes, means no signature field (the form is not walked). A
# field type or an object type given by anything but a name (a string, a hex string, a
# reference: pypdf compares them as text) makes the walk decide, like `/FT` or `/Type`
# spelled with escapes.
_SIGNATURE_NAMES = {b"/Sig", b"/ObjStm", b"/FT", b"/Type"}
_SIGNATURE_RE = re.compile(rb"/(?:Sig|ObjStm)(?=[" + _DELIMITERS + rb"]|\Z)")
_TYPE_NOT_BY_NAME_RE = re.compile(
    rb"/(?:FT|Type)(?=[" + _DELIMITERS + rb"]|\Z)[ \t\n\r\f\v]*+(?!/)"
)


def _bytes_may_name_a_signature(data: bytes) -> bool:
    from pypdf.generic import NameObject

    if _SIGNATURE_RE.search(data) or _TYPE_NOT_BY_NAME_RE.search(data):
        return True
    for match in _ESCAPED_NAME_RE.finditer(data):
        if NameObject.unnumber(match.group()) in _SIGNATURE_NAMES:
            return True
    return False


def may_hold_signatures(reader: Any, data: bytes | None = None) -> bool:
    """False when the opened pypdf `reader` shows no signature field: a PDF signature
    is the value of a `/Sig` field of the catalog's interactive form (/AcroForm
    /Fields, with their /Kids), where a signature verifier (pyHanko) looks for them too;
    then that second parse of the file has nothing to verify. True when a field (or an
    ancestor: /FT is inherited) is a /Sig field, and whenever the form cannot be walked
    plainly (an unreadable object, an unexpected type, too many fields): the verifier
    then decides, as before. `data` (the file's bytes), when given, spares the walk of
    the form when they cannot name a /Sig field (see `_SIGNATURE_NAMES`)."""
    from pypdf.generic import ArrayObject, DictionaryObject

    if data is not None and not _bytes_may_name_a_signature(data):
        return False
    try:
        catalog = reader.trailer["/Root"]
        if "/AcroForm" not in catalog:
            return False
        form = catalog["/AcroForm"]
        if not isinstance(form, DictionaryObject):
            return True
        if "/Fields" not in form:
            return False
        stack: list[Any] = [form["/Fields"]]
        budget = MAX_FORM_FIELDS
        while stack:
            kids = stack.pop()
            if not isinstance(kids, ArrayObject):
                return True
            for ref in kids:
                budget -= 1
                field = ref.get_object()
                if budget < 0 or not isinstance(field, DictionaryObject):
                    return True
                if "/FT" in field and field["/FT"] == "/Sig":  # [] resolves a reference
                    return True
                if "/Kids" in field:
                    stack.append(field["/Kids"])
    except Exception:  # noqa: BLE001 - pypdf raises many kinds: let the verifier decide
        return True
    return False


def check_pdf(data: bytes, *, reader: Any = None) -> None:
    """Refuse (ValidationFailed) a PDF that pypdf cannot open, that is locked with a
    password, or that carries active content (`pdf_active_content`, listing what).

    A PDF with only an owner password (printing restrictions, common in PDFs issued by
    other systems) is opened with the empty user password and inspected as any other.
    """
    from tinhso.core.errors import CoreErrorCode, ValidationFailed

    if reader is None:
        from pypdf import PdfReader

        if not data or b"%PDF-" not in data[:1024]:
            raise ValidationFailed(_INVALID, code=CoreErrorCode.INVALID_PDF)
        try:
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted and not reader.decrypt(""):
                raise ValidationFailed(_ENCRYPTED, code=CoreErrorCode.ENCRYPTED_PDF)
            if "/Root" not in reader.trailer:
                raise ValueError("no document catalog")
        except ValidationFailed:
            raise
        except Exception:  # noqa: BLE001 - pypdf raises many kinds on a damaged file
            raise ValidationFailed(_INVALID, code=CoreErrorCode.INVALID_PDF) from None
    if not may_hold_active_content(data):
        return
    try:
        found = active_content(reader)
    except PdfUnreadable:
        raise ValidationFailed(_INVALID, code=CoreErrorCode.INVALID_PDF) from None
    except PdfTooComplex:
        raise ValidationFailed(
            "Tệp PDF quá phức tạp để kiểm tra an toàn. Vui lòng in lại ra PDF rồi tải lên.",
            code=CoreErrorCode.PDF_ACTIVE_CONTENT,
            details={"found": ["too_complex"]},
        ) from None
    if found:
        raise ValidationFailed(
            "Tệp PDF chứa nội dung tự chạy hoặc tệp đính kèm bên trong (JavaScript, hành "
            "động tự động, mở chương trình, tệp nhúng). Tệp như vậy không được tiếp nhận "
            "hay ký số. Vui lòng in lại ra PDF (chức năng «In ra PDF») rồi tải lên.",
            code=CoreErrorCode.PDF_ACTIVE_CONTENT,
            details={"found": found},
        )


_INVALID = "Tệp không phải là PDF hợp lệ hoặc đã bị hỏng. Vui lòng tải lên tệp PDF khác."
_ENCRYPTED = (
    "Tệp PDF được đặt mật khẩu (mã hóa). Vui lòng gỡ mật khẩu rồi tải lên lại, "
    "vì cán bộ phải mở và đọc được tệp."
)
