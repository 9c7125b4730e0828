"""edXML packages: written in one canonical form, read in the variants others send,
signed over the whole package, and every bad input refused with a stable code."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from lxml import etree

from tinhso.exchange import edxml
from tinhso.exchange.errors import PackageRefused

from .conftest import document_package, signed

pytestmark = pytest.mark.django_db


def _code(raw: bytes, **kwargs) -> str:
    with pytest.raises(PackageRefused) as info:
        edxml.read(raw, **kwargs)
    return str(info.value.code)


def test_round_trip_keeps_every_field_and_attachment(province):
    package = document_package(
        province.sender,
        "000.00.20.H99",
        due_date=dt.date(2026, 2, 1),
        priority=2,
        to_places=["Sở Tài chính"],
        attachments=[
            edxml.Attachment(name="van-ban.pdf", data=b"%PDF-1.4 main"),
            edxml.Attachment(name="phu-luc.xlsx", data=b"\x00\x01binary", content_type="x"),
        ],
    )
    raw = signed(province.sender, package)
    parsed = edxml.read(raw)
    got = parsed.package
    assert isinstance(got, edxml.DocumentPackage)
    assert got.document_id == "000.00.10.H99,2026/01/05,15/STTTT-KH"
    assert got.number_notation == "15/STTTT-KH" and got.subject == package.subject
    assert got.due_date == dt.date(2026, 2, 1) and got.urgency == "very_urgent"
    assert [a.data for a in got.attachments] == [b"%PDF-1.4 main", b"\x00\x01binary"]
    assert all(a.content_id.startswith("cid:") for a in got.attachments)
    assert parsed.signature.common_name and parsed.signature.trusted


def test_document_id_is_built_and_parsed_per_the_standard():
    doc_id = edxml.make_document_id("000.00.04.G14", dt.date(2012, 8, 6), "267/VPCP-TTĐT")
    assert doc_id == "000.00.04.G14,2012/08/06,267/VPCP-TTĐT"
    assert edxml.parse_document_id(doc_id) == (
        "000.00.04.G14",
        dt.date(2012, 8, 6),
        "267/VPCP-TTĐT",
    )
    with pytest.raises(PackageRefused) as info:
        edxml.parse_document_id("267/VPCP-TTĐT")
    assert info.value.code == "invalid_document_id"


def _strip_prefix(raw: bytes, *, drop_namespace: bool) -> bytes:
    """The same package as another implementation writes it: default namespace (or none),
    no optional blocks, SteeringType 0 missing; signed again by the sender."""
    return raw  # placeholder replaced below


def test_variants_without_prefix_or_namespace_and_missing_optional_blocks_are_read(province):
    key, chain = _seal(province)
    for namespace in (edxml.NS, None):
        nsmap = {None: namespace} if namespace else None

        def q(tag, ns=namespace):
            return f"{{{ns}}}{tag}" if ns else tag

        root = etree.Element(q("edXML"), nsmap=nsmap)
        env = etree.SubElement(root, q("edXMLEnvelope"))
        header = etree.SubElement(env, q("edXMLHeader"))
        mh = etree.SubElement(header, q("MessageHeader"))
        frm = etree.SubElement(mh, q("From"))
        etree.SubElement(frm, q("OrganId")).text = "000.00.10.H99"
        to = etree.SubElement(mh, q("To"))
        etree.SubElement(to, q("OrganId")).text = "000.00.20.H99"
        code = etree.SubElement(mh, q("Code"))
        etree.SubElement(code, q("CodeNumber")).text = "7"
        etree.SubElement(code, q("CodeNotation")).text = "STTTT-VP"
        info = etree.SubElement(mh, q("PromulgationInfo"))
        etree.SubElement(info, q("PromulgationDate")).text = "2026/03/02"
        dtype = etree.SubElement(mh, q("DocumentType"))
        etree.SubElement(dtype, q("Type")).text = "18"
        etree.SubElement(mh, q("Subject")).text = "Về việc không có khối tùy chọn"
        etree.SubElement(mh, q("DocumentId")).text = "000.00.10.H99,2026/03/02,7/STTTT-VP"
        etree.SubElement(header, f"{{{edxml.DS}}}Signature", Id="placeholder")
        raw = edxml.sign_tree(root, private_key=key, chain_pem=chain)
        got = edxml.read(raw).package
        assert got.number_notation == "7/STTTT-VP" and got.doc_type == "cv"
        assert got.steering_type == 0 and got.attachments == [] and got.business.doc_type == 0


def _seal(province):
    from tinhso.exchange.services import seal_key

    return seal_key(province.sender.agency)


def test_status_package_round_trip(province):
    status = edxml.StatusPackage(
        response_for=edxml.ResponseFor("000.00.10.H99", "000.00.10.H99,2026/01/05,15/STTTT-KH"),
        sender=edxml.Organ("000.00.20.H99", "Sở Tài chính"),
        status_code="03",
        description="Đã tiếp nhận",
        staff=edxml.Staff(staff="Trần Thị Văn Thư"),
    )
    got = edxml.read(signed(province.receiver, status)).package
    assert isinstance(got, edxml.StatusPackage)
    assert got.status_code == "03" and got.response_for.document_id.endswith("15/STTTT-KH")
    assert got.staff.staff == "Trần Thị Văn Thư"


def test_malformed_xml_dtd_entities_and_external_entities_are_refused_unresolved(
    province, tmp_path
):
    secret = tmp_path / "secret.txt"
    secret.write_text("bi-mat")
    assert _code(b"<edXML><unclosed></edXML>") == "malformed_xml"
    assert _code(b"") == "package_empty"
    billion = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]><edXML>&lol2;</edXML>'
    )
    assert _code(billion) == "xml_dtd_forbidden"
    external = (
        f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file://{secret}">]>'
        "<edXML>&xxe;</edXML>"
    ).encode()
    assert _code(external) == "xml_dtd_forbidden"
    assert _code(b"<other/>") == "not_edxml"
    assert _code(b"<edXML/>" + b" " * 2000, max_bytes=1000) == "package_too_large"


def test_missing_or_wrong_signature_is_refused(province):
    raw = signed(province.sender, document_package(province.sender, "000.00.20.H99"))
    root = etree.fromstring(raw)
    sig = root.find(f".//{{{edxml.DS}}}Signature")
    sig.getparent().remove(sig)
    assert _code(etree.tostring(root)) == "signature_missing"


@pytest.mark.parametrize("where", ["body", "attachment", "signature"])
def test_one_byte_changed_anywhere_breaks_the_signature(province, where):
    data = b"%PDF-1.4 " + b"A" * 300
    raw = signed(
        province.sender,
        document_package(
            province.sender, "000.00.20.H99", attachments=[edxml.Attachment("a.pdf", data)]
        ),
    )
    if where == "body":
        tampered = raw.replace(b"15/STTTT-KH", b"16/STTTT-KH", 1)
    elif where == "attachment":
        b64 = base64.b64encode(data)
        i = raw.index(b64) + 40
        tampered = raw[:i] + (b"B" if raw[i : i + 1] != b"B" else b"C") + raw[i + 1 :]
    else:
        start = raw.index(b"<ds:SignatureValue>") + len(b"<ds:SignatureValue>") + 5
        tampered = (
            raw[:start] + (b"A" if raw[start : start + 1] != b"A" else b"B") + raw[start + 1 :]
        )
    assert tampered != raw
    assert _code(tampered) in ("signature_invalid",)


def test_untrusted_certificate_is_refused(province):
    from tinhso.signing import ca

    root_key = ca.new_key()
    root = ca.make_ca(subject=ca.name(common_name="CA lạ"), key=root_key)
    key = ca.new_key()
    leaf = ca.issue_leaf(
        subject=ca.name(common_name="Kẻ giả mạo"),
        public_key=key.public_key(),
        issuer_cert=root,
        issuer_key=root_key,
    )
    raw = edxml.write(
        document_package(province.sender, "000.00.20.H99"),
        private_key=key,
        chain_pem=[ca.to_pem(leaf), ca.to_pem(root)],
    )
    assert _code(raw) == "certificate_untrusted"


def test_revoked_certificate_is_refused(province):
    from tinhso.signing.models import Certificate
    from tinhso.signing.services import publish_crl, revoke_certificate

    raw = signed(province.sender, document_package(province.sender, "000.00.20.H99"))
    cert = Certificate.objects.get(owner_agency=province.sender.agency)
    revoke_certificate(certificate=cert, reason="lộ khóa")
    publish_crl(ca=cert.issuer_ca)
    assert _code(raw) == "certificate_revoked"


def test_a_crl_published_after_packages_were_accepted_refuses_the_next_one_at_once(province):
    """The trust verdict is kept per certificate and trust state (one query each time):
    a new CRL changes that state, so the very next package is refused even though the
    certificate's own row still says active (a CRL imported from an outside CA)."""
    from tinhso.signing.models import Certificate
    from tinhso.signing.services import revoke_certificate

    raw = signed(province.sender, document_package(province.sender, "000.00.20.H99"))
    assert edxml.read(raw).signature is not None  # the verdict "trusted" is now cached
    assert edxml.read(raw).signature is not None
    cert = Certificate.objects.get(owner_agency=province.sender.agency)
    revoke_certificate(certificate=cert, reason="lộ khóa")  # publishes the CA's CRL
    Certificate.objects.filter(pk=cert.pk).update(status=Certificate.Status.ACTIVE)
    assert _code(raw) == "certificate_revoked"


def test_bad_base64_is_refused(province):
    key, chain = _seal(province)
    tree = edxml.build_tree(document_package(province.sender, "000.00.20.H99"))
    enc = tree.find(f".//{{{edxml.NS}}}ContentTransferEncoded")
    enc.text = "@@@ không phải base64 @@@"
    raw = edxml.sign_tree(tree, private_key=key, chain_pem=chain)
    assert _code(raw) == "bad_base64"


def test_schema_refuses_a_package_without_subject(province):
    key, chain = _seal(province)
    tree = edxml.build_tree(document_package(province.sender, "000.00.20.H99"))
    subject = tree.find(f".//{{{edxml.NS}}}Subject")
    subject.getparent().remove(subject)
    raw = edxml.sign_tree(tree, private_key=key, chain_pem=chain)
    assert _code(raw) == "schema_invalid"
