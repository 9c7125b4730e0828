"""edXML (QCVN 102:2016/BTTTT) packages: writing, signing, reading and verifying.

One canonical form is written: every element in the edXML namespace with the `edXML:`
prefix, the XML-DSig signature (signxml, enveloped, over the whole package: envelope and
attachments) inside `edXMLHeader`. On input the variants real implementations send are
accepted: with or without the prefix, in the default namespace or in none, SteeringType 0
or missing, optional blocks missing.

Reading is defensive (domain/edxml.md, "parse defensively"): a size limit before
anything, no DTD at all (refused before parsing, so entities are never declared, let
alone expanded or fetched), a parser that resolves no entity and opens no network, the
signature checked over the bytes as received, then the schema (schema/edxml.xsd) on the
normalised tree, then the fields, then base64 of every attachment.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime as dt
import hashlib
import re
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from lxml import etree

from tinhso.exchange.errors import E, PackageRefused, PackageTooLarge, SignatureRefused

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
DS = "http://www.w3.org/2000/09/xmldsig#"
VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SCHEMA_PATH = Path(__file__).resolve().parent / "schema" / "edxml.xsd"
DEFAULT_MAX_BYTES = 30 * 1024 * 1024

# Business types (TraceHeaderList/Bussiness/BussinessDocType).
NEW, REVOKE, UPDATE, REPLACE = 0, 1, 2, 3
BUSINESS_TYPES = {NEW: "new", REVOKE: "revoke", UPDATE: "update", REPLACE: "replace"}

# Priority (OtherInfo/Priority) <-> documents.Urgency.
PRIORITY_OF_URGENCY = {"normal": 0, "urgent": 1, "very_urgent": 2, "express": 3}
URGENCY_OF_PRIORITY = {0: "normal", 1: "urgent", 2: "very_urgent", 3: "express", 4: "express"}

# DocumentType/Type: the standard's full table was not found (domain/edxml.md); this is
# ours, in Decree 30's order, with 18 (seen for the official letter) read as one too.
TYPE_CODES: dict[str, int] = {
    "cv": 1,
    "nq": 2,
    "qd": 3,
    "ct": 4,
    "qc": 5,
    "qyd": 6,
    "tc": 7,
    "tb": 8,
    "hd": 9,
    "ctr": 10,
    "kh": 11,
    "pa": 12,
    "dean": 13,
    "da": 14,
    "bc": 15,
    "bb": 16,
    "ttr": 17,
    "hdong": 19,
    "cd": 20,
    "bgn": 21,
    "btt": 22,
    "guq": 23,
    "gm": 24,
    "ggt": 25,
    "gnp": 26,
    "pg": 27,
    "pc": 28,
    "pb": 29,
    "sy": 30,
    "trs": 31,
    "sl": 32,
}
DOC_TYPE_OF_CODE = {code: key for key, code in TYPE_CODES.items()} | {18: "cv"}


# ---------------------------------------------------------------------------- the data
@dataclass
class Organ:
    organ_id: str
    name: str = ""
    in_charge: str = ""
    address: str = ""
    email: str = ""
    telephone: str = ""
    fax: str = ""
    website: str = ""


@dataclass
class Staff:
    department: str = ""
    staff: str = ""
    mobile: str = ""
    email: str = ""


@dataclass
class ResponseFor:
    organ_id: str
    document_id: str
    code: str = ""
    promulgation_date: dt.date | None = None


@dataclass
class Attachment:
    name: str
    data: bytes
    content_type: str = "application/pdf"
    description: str = ""
    content_id: str = field(default_factory=lambda: f"cid:{uuid.uuid4()}")


@dataclass
class ReceiverChange:
    receiver_type: int  # 0 removed, 1 added
    organ_id: str


@dataclass
class Replacement:
    document_id: str
    organ_ids: list[str] = field(default_factory=list)


@dataclass
class Business:
    doc_type: int = NEW
    reason: str = ""
    document_info: str = ""
    receivers: list[ReceiverChange] = field(default_factory=list)
    document_id: str = ""  # the earlier document revoked / updated / replaced
    staff: Staff | None = None
    paper: int | None = None
    replacements: list[Replacement] = field(default_factory=list)


@dataclass
class Trace:
    organ_id: str
    timestamp: dt.datetime


@dataclass
class DocumentPackage:
    sender: Organ
    to: list[Organ]
    number_notation: str  # "12/BTTTT-THH" (Code: CodeNumber / CodeNotation)
    promulgation_date: dt.date
    subject: str
    doc_type: str = "cv"  # documents.DOC_TYPES key
    type_name: str = ""
    place: str = ""
    content: str = ""
    signer_competence: str = ""
    signer_position: str = ""
    signer_name: str = ""
    due_date: dt.date | None = None
    to_places: list[str] = field(default_factory=list)
    priority: int = 0
    page_amount: int | None = None
    promulgation_amount: int | None = None
    sphere: str = ""
    appendixes: list[str] = field(default_factory=list)
    response_for: list[ResponseFor] = field(default_factory=list)
    steering_type: int = 0
    document_id: str = ""
    traces: list[Trace] = field(default_factory=list)
    business: Business = field(default_factory=Business)
    attachments: list[Attachment] = field(default_factory=list)

    kind = "document"

    def __post_init__(self) -> None:
        if not self.document_id:
            self.document_id = make_document_id(
                self.sender.organ_id, self.promulgation_date, self.number_notation
            )

    @property
    def urgency(self) -> str:
        return URGENCY_OF_PRIORITY.get(self.priority, "normal")


@dataclass
class StatusPackage:
    response_for: ResponseFor
    sender: Organ
    status_code: str
    description: str = ""
    timestamp: dt.datetime = field(default_factory=lambda: dt.datetime.now(tz=VN_TZ))
    staff: Staff | None = None
    traces: list[Trace] = field(default_factory=list)

    kind = "status"

    @property
    def document_id(self) -> str:
        return self.response_for.document_id


Package = DocumentPackage | StatusPackage


@dataclass
class SignatureInfo:
    """Who signed the package, read from the certificate the signature carries."""

    subject: str
    common_name: str
    organization: str
    issuer: str
    serial_hex: str
    fingerprint_sha256: str
    not_after: dt.datetime
    certificate_pem: str
    intact: bool = True
    trusted: bool = True
    revoked: bool = False
    # The trust state the verdict was made in (`check_trust`): CRLs, CAs, certificates
    # revoked by us; empty when the certificate was not checked. Not kept with the item.
    trust_state: tuple = field(default=(), repr=False, compare=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "common_name": self.common_name,
            "organization": self.organization,
            "issuer": self.issuer,
            "serial_hex": self.serial_hex,
            "fingerprint_sha256": self.fingerprint_sha256,
            "not_after": self.not_after.isoformat(),
            "intact": self.intact,
            "trusted": self.trusted,
            "revoked": self.revoked,
        }


@dataclass
class Parsed:
    package: Package
    raw: bytes
    sha256: str
    signature: SignatureInfo | None


# ---------------------------------------------------------------------------- identifiers
def make_document_id(organ_id: str, promulgation_date: dt.date, number_notation: str) -> str:
    """`<sender OrganId>,<yyyy/MM/dd>,<number>/<notation>` (QCVN 102)."""
    return f"{organ_id},{promulgation_date:%Y/%m/%d},{number_notation}"


DOCUMENT_ID_RE = re.compile(r"^([0-9A-Za-z.]+),(\d{4})[/-](\d{2})[/-](\d{2}),(.+)$")


def parse_document_id(value: str) -> tuple[str, dt.date, str]:
    """(sender OrganId, promulgation date, number/notation) or `invalid_document_id`."""
    match = DOCUMENT_ID_RE.match((value or "").strip())
    if not match:
        raise PackageRefused(
            f"Mã văn bản (DocumentId) '{str(value)[:80]}' không đúng dạng "
            "<mã cơ quan>,<yyyy/MM/dd>,<số/ký hiệu>.",
            code=E.INVALID_DOCUMENT_ID,
        )
    organ, year, month, day, number = match.groups()
    try:
        date = dt.date(int(year), int(month), int(day))
    except ValueError as exc:
        raise PackageRefused(
            f"Ngày trong mã văn bản '{str(value)[:80]}' không hợp lệ.", code=E.INVALID_DOCUMENT_ID
        ) from exc
    return organ.upper(), date, number.strip()


def split_notation(number_notation: str) -> tuple[str, str]:
    number, _, notation = number_notation.partition("/")
    return number.strip(), notation.strip()


def _fmt_date(value: dt.date | None) -> str:
    return value.strftime("%Y/%m/%d") if value else ""


def _fmt_ts(value: dt.datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(VN_TZ)
    return value.strftime("%Y/%m/%d %H:%M:%S")


def _parse_date(text: str, what: str) -> dt.date:
    match = re.match(r"^(\d{4})[/-](\d{2})[/-](\d{2})$", (text or "").strip())
    try:
        if not match:
            raise ValueError(text)
        return dt.date(*map(int, match.groups()))
    except ValueError as exc:
        raise PackageRefused(
            f"{what} '{str(text)[:40]}' không phải ngày hợp lệ (yyyy/MM/dd).", code=E.INVALID_DATE
        ) from exc


def _parse_ts(text: str) -> dt.datetime:
    match = re.match(
        r"^(\d{4})[/-](\d{2})[/-](\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$", (text or "").strip()
    )
    try:
        if not match:
            raise ValueError(text)
        y, mo, d, h, mi, s = (int(p) if p else 0 for p in match.groups())
        return dt.datetime(y, mo, d, h, mi, s, tzinfo=VN_TZ)
    except ValueError as exc:
        raise PackageRefused(
            f"Thời điểm '{str(text)[:40]}' không hợp lệ (yyyy/MM/dd HH:mm:ss).",
            code=E.INVALID_DATE,
        ) from exc


# ---------------------------------------------------------------------------- writing
def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def _sub(parent: etree._Element, tag: str, text: Any = None) -> etree._Element:
    element = etree.SubElement(parent, _q(tag))
    if text is not None:
        element.text = str(text)
    return element


def _organ(parent: etree._Element, tag: str, organ: Organ) -> None:
    element = _sub(parent, tag)
    _sub(element, "OrganId", organ.organ_id)
    _sub(element, "OrganizationInCharge", organ.in_charge)
    _sub(element, "OrganName", organ.name)
    _sub(element, "OrganAdd", organ.address)
    _sub(element, "Email", organ.email)
    _sub(element, "Telephone", organ.telephone)
    _sub(element, "Fax", organ.fax)
    _sub(element, "Website", organ.website)


def _staff(parent: etree._Element, staff: Staff | None) -> None:
    if staff is None:
        return
    element = _sub(parent, "StaffInfo")
    _sub(element, "Department", staff.department)
    _sub(element, "Staff", staff.staff)
    _sub(element, "Mobile", staff.mobile)
    _sub(element, "Email", staff.email)


def _response_for(parent: etree._Element, rf: ResponseFor) -> None:
    element = _sub(parent, "ResponseFor")
    _sub(element, "OrganId", rf.organ_id)
    _sub(element, "Code", rf.code)
    _sub(element, "PromulgationDate", _fmt_date(rf.promulgation_date))
    _sub(element, "DocumentId", rf.document_id)


def _traces(header: etree._Element, traces: list[Trace], business: Business | None) -> None:
    element = _sub(header, "TraceHeaderList")
    for trace in traces:
        th = _sub(element, "TraceHeader")
        _sub(th, "OrganId", trace.organ_id)
        _sub(th, "Timestamp", _fmt_ts(trace.timestamp))
    if business is None:
        return
    b = _sub(element, "Bussiness")
    _sub(b, "BussinessDocType", business.doc_type)
    _sub(b, "BussinessDocReason", business.reason)
    if business.document_info or business.receivers:
        info = _sub(b, "BussinessDocumentInfo")
        _sub(info, "DocumentInfo", business.document_info)
        receivers = _sub(info, "ReceiverList")
        for change in business.receivers:
            r = _sub(receivers, "Receiver")
            _sub(r, "ReceiverType", change.receiver_type)
            _sub(r, "OrganId", change.organ_id)
    if business.document_id:
        _sub(b, "DocumentId", business.document_id)
    _staff(b, business.staff)
    if business.paper is not None:
        _sub(b, "Paper", business.paper)
    if business.replacements:
        lst = _sub(b, "ReplacementInfoList")
        for rep in business.replacements:
            ri = _sub(lst, "ReplacementInfo")
            _sub(ri, "DocumentId", rep.document_id)
            ids = _sub(ri, "OrganIdList")
            for organ_id in rep.organ_ids:
                _sub(ids, "OrganId", organ_id)


def _root() -> tuple[etree._Element, etree._Element, etree._Element]:
    root = etree.Element(_q("edXML"), nsmap={"edXML": NS})
    envelope = _sub(root, "edXMLEnvelope")
    header = _sub(envelope, "edXMLHeader")
    return root, envelope, header


def build_tree(package: Package) -> etree._Element:
    """The package as an (unsigned) canonical tree, with the signature's placeholder."""
    root, envelope, header = _root()
    if isinstance(package, StatusPackage):
        ms = _sub(header, "MessageStatus")
        _response_for(ms, package.response_for)
        _organ(ms, "From", package.sender)
        _sub(ms, "StatusCode", package.status_code)
        _sub(ms, "Description", package.description)
        _sub(ms, "Timestamp", _fmt_ts(package.timestamp))
        _staff(ms, package.staff)
        _traces(header, package.traces, None)
    else:
        mh = _sub(header, "MessageHeader")
        _organ(mh, "From", package.sender)
        for organ in package.to:
            _organ(mh, "To", organ)
        number, notation = split_notation(package.number_notation)
        code = _sub(mh, "Code")
        _sub(code, "CodeNumber", number)
        _sub(code, "CodeNotation", notation)
        info = _sub(mh, "PromulgationInfo")
        _sub(info, "Place", package.place)
        _sub(info, "PromulgationDate", _fmt_date(package.promulgation_date))
        dtype = _sub(mh, "DocumentType")
        _sub(dtype, "Type", TYPE_CODES.get(package.doc_type, 1))
        _sub(dtype, "TypeName", package.type_name)
        _sub(mh, "Subject", package.subject)
        _sub(mh, "Content", package.content)
        signer = _sub(mh, "SignerInfo")
        _sub(signer, "Competence", package.signer_competence)
        _sub(signer, "Position", package.signer_position)
        _sub(signer, "FullName", package.signer_name)
        _sub(mh, "DueDate", _fmt_date(package.due_date))
        places = _sub(mh, "ToPlaces")
        for place in package.to_places:
            _sub(places, "Place", place)
        other = _sub(mh, "OtherInfo")
        _sub(other, "Priority", package.priority)
        _sub(other, "SphereOfPromulgation", package.sphere)
        _sub(other, "TyperNotation", "")
        _sub(other, "PromulgationAmount", package.promulgation_amount or "")
        _sub(other, "PageAmount", package.page_amount or "")
        appendixes = _sub(other, "Appendixes")
        for appendix in package.appendixes:
            _sub(appendixes, "Appendix", appendix)
        for rf in package.response_for:
            _response_for(mh, rf)
        _sub(mh, "SteeringType", package.steering_type)
        _sub(mh, "DocumentId", package.document_id)
        _traces(header, package.traces, package.business)
    etree.SubElement(header, f"{{{DS}}}Signature", Id="placeholder", nsmap={"ds": DS})
    body = _sub(envelope, "edXMLBody")
    manifest = _sub(body, "edXMLManifest")
    attachments = package.attachments if isinstance(package, DocumentPackage) else []
    for att in attachments:
        ref = _sub(manifest, "Reference")
        _sub(ref, "ContentId", att.content_id)
        _sub(ref, "AttachmentName", att.name)
        _sub(ref, "ContentType", att.content_type)
        _sub(ref, "Description", att.description)
    if attachments:
        encoded = _sub(root, "AttachmentEncoded")
        for att in attachments:
            a = _sub(encoded, "Attachment")
            _sub(a, "ContentId", att.content_id)
            _sub(a, "AttachmentName", att.name)
            _sub(a, "ContentType", att.content_type)
            _sub(a, "ContentTransferEncoded", base64.b64encode(att.data).decode("ascii"))
    return root


def sign_tree(root: etree._Element, *, private_key: Any, chain_pem: list[str]) -> bytes:
    """XML-DSig (enveloped, over the whole package) with the sending agency's seal key."""
    from cryptography.hazmat.primitives.asymmetric import ec
    from signxml import DigestAlgorithm, SignatureMethod, XMLSigner
    from signxml.algorithms import SignatureConstructionMethod

    method = (
        SignatureMethod.ECDSA_SHA256
        if isinstance(private_key, ec.EllipticCurvePrivateKey)
        else SignatureMethod.RSA_SHA256
    )
    signer = XMLSigner(
        method=SignatureConstructionMethod.enveloped,
        signature_algorithm=method,
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm="http://www.w3.org/2001/10/xml-exc-c14n#",
    )
    signed = signer.sign(root, key=private_key, cert=chain_pem)
    return etree.tostring(signed, xml_declaration=True, encoding="UTF-8")


def write(package: Package, *, private_key: Any, chain_pem: list[str]) -> bytes:
    """Build and sign: the bytes that travel."""
    return sign_tree(build_tree(package), private_key=private_key, chain_pem=chain_pem)


# ---------------------------------------------------------------------------- reading
_PARSER_OPTIONS = dict(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_comments=False,
    remove_pis=False,
    collect_ids=False,
)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(**_PARSER_OPTIONS)  # type: ignore[arg-type]


@lru_cache(maxsize=1)
def schema() -> etree.XMLSchema:
    with SCHEMA_PATH.open("rb") as handle:
        return etree.XMLSchema(etree.parse(handle, _parser()))


def _local(tag: Any) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def parse_bytes(raw: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> etree._Element:
    """The element tree of `raw`, or a refusal (size, DTD, malformed, not edXML)."""
    if not raw:
        raise PackageRefused("Gói tin rỗng.", code=E.PACKAGE_EMPTY)
    if len(raw) > max_bytes:
        raise PackageTooLarge(
            f"Gói tin {len(raw) // 1024} KB vượt quá dung lượng cho phép "
            f"({max_bytes // (1024 * 1024)} MB)."
        )
    head = raw[:4096].lower()
    if b"<!doctype" in raw or b"<!entity" in head or b"<!doctype" in head:
        raise PackageRefused(
            "Gói tin có khai báo DTD/thực thể (DOCTYPE, ENTITY): bị từ chối, không xử lý.",
            code=E.XML_DTD_FORBIDDEN,
        )
    try:
        root = etree.fromstring(raw, _parser())
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise PackageRefused(
            f"Gói tin không phải XML hợp lệ: {str(exc)[:160]}", code=E.MALFORMED_XML
        ) from exc
    if root.getroottree().docinfo.doctype:
        raise PackageRefused("Gói tin có khai báo DTD: bị từ chối.", code=E.XML_DTD_FORBIDDEN)
    if _local(root.tag) != "edXML" or etree.QName(root).namespace not in (None, NS):
        raise PackageRefused(
            "Gói tin không phải edXML (phần tử gốc phải là edXML).", code=E.NOT_EDXML
        )
    return root


def _signature_element(root: etree._Element) -> etree._Element | None:
    found = root.findall(f".//{{{DS}}}Signature")
    return found[0] if len(found) == 1 else (None if not found else found[-1])


def verify_signature(raw: bytes, root: etree._Element) -> SignatureInfo:
    """Check the XML-DSig of the package over the bytes as received, and that the
    certificate it carries chains to our trust anchors and is not revoked (CRL)."""
    from signxml import SignatureConfiguration, XMLVerifier
    from signxml.exceptions import InvalidInput, InvalidSignature

    sigs = root.findall(f".//{{{DS}}}Signature")
    if not sigs:
        raise SignatureRefused(
            "Gói tin không có chữ ký số (XML-DSig) của cơ quan gửi.", code=E.SIGNATURE_MISSING
        )
    if len(sigs) > 1:
        raise SignatureRefused("Gói tin có nhiều hơn một chữ ký số.", code=E.SIGNATURE_INVALID)
    sig = sigs[0]
    parent = sig.getparent()
    if parent is None or _local(parent.tag) != "edXMLHeader":
        raise SignatureRefused(
            "Chữ ký số phải nằm trong edXMLHeader của gói tin.", code=E.SIGNATURE_INVALID
        )
    certs = sig.findall(f"{{{DS}}}KeyInfo/{{{DS}}}X509Data/{{{DS}}}X509Certificate")
    if not certs or not (certs[0].text or "").strip():
        raise SignatureRefused(
            "Chữ ký số không kèm chứng thư số của cơ quan gửi.", code=E.SIGNATURE_MISSING
        )
    try:
        der = base64.b64decode("".join((certs[0].text or "").split()), validate=True)
        cert, info = _certificate(der)
    except (ValueError, binascii.Error) as exc:
        raise SignatureRefused(
            "Chứng thư số kèm chữ ký không đọc được.", code=E.SIGNATURE_INVALID
        ) from exc
    location = "./" + "/".join(
        f"{{{etree.QName(e).namespace}}}{_local(e.tag)}"
        if etree.QName(e).namespace
        else _local(e.tag)
        for e in [*list(parent.iterancestors())[::-1][1:], parent]
    )
    config = SignatureConfiguration(location=location + "/")
    try:
        results = XMLVerifier().verify(raw, x509_cert=cert, parser=_parser(), expect_config=config)
    except (InvalidSignature, InvalidInput) as exc:
        raise SignatureRefused(
            "Chữ ký số của gói tin không hợp lệ: nội dung đã bị thay đổi sau khi ký "
            f"({str(exc)[:120]}).",
        ) from exc
    except Exception as exc:  # noqa: BLE001 - anything signxml cannot process is refused
        raise SignatureRefused(f"Không kiểm tra được chữ ký số: {str(exc)[:120]}") from exc
    result = results[0] if isinstance(results, list) else results
    if _local(getattr(result.signed_xml, "tag", "")) != "edXML":
        raise SignatureRefused(
            "Chữ ký số không bao trùm toàn bộ gói tin.", code=E.SIGNATURE_INVALID
        )
    return info


def _certificate(der: bytes) -> tuple[Any, SignatureInfo]:
    """The certificate a signature carries and what it says (a copy each time: the
    caller fills in its trust). Parsed once per certificate, not once per package: a
    sender signs every package with the same one. Raises ValueError for a damaged one."""
    from cryptography import x509

    found = _CERTIFICATES.get(der)
    if found is None:
        cert = x509.load_der_x509_certificate(der)
        found = (cert, _certificate_info(cert))  # every field parsed: a damaged one fails
        if len(_CERTIFICATES) >= 1000:
            _CERTIFICATES.clear()
        _CERTIFICATES[der] = found
    return found[0], dataclasses.replace(found[1])


_CERTIFICATES: dict[bytes, tuple[Any, SignatureInfo]] = {}


@lru_cache(maxsize=256)
def _certificate_of_pem(pem: str) -> Any:
    from cryptography import x509

    return x509.load_pem_x509_certificate(pem.encode())


def _certificate_info(cert: Any) -> SignatureInfo:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization

    from tinhso.signing import ca as ca_helpers

    return SignatureInfo(
        subject=cert.subject.rfc4514_string(),
        common_name=ca_helpers.attr(cert.subject, x509.NameOID.COMMON_NAME),
        organization=ca_helpers.attr(cert.subject, x509.NameOID.ORGANIZATION_NAME),
        issuer=cert.issuer.rfc4514_string(),
        serial_hex=f"{cert.serial_number:x}",
        fingerprint_sha256=cert.fingerprint(hashes.SHA256()).hex(),
        not_after=cert.not_valid_after_utc,
        certificate_pem=cert.public_bytes(serialization.Encoding.PEM).decode(),
    )


_TRUST_CACHE: dict[tuple, tuple[float, str]] = {}
TRUST_CACHE_SECONDS = 300.0


def check_trust(info: SignatureInfo, *, states: dict[str, tuple] | None = None) -> SignatureInfo:
    """The certificate chains to a trust anchor of this platform, is valid now and not
    revoked (a certificate we revoked, or the latest CRL); else a refusal with the precise
    reason. The chain's verdict is kept a few minutes per certificate, trust anchors and
    CRLs as they are (a new CRL or CA invalidates it at once)."""
    import time

    cert = _certificate_of_pem(info.certificate_pem)
    now = dt.datetime.now(tz=dt.UTC)
    if cert.not_valid_after_utc <= now or cert.not_valid_before_utc > now:
        raise SignatureRefused(
            "Chứng thư số ký gói tin đã hết hạn hoặc chưa có hiệu lực.",
            code=E.CERTIFICATE_EXPIRED,
        )
    # One round trip: is the certificate revoked by us, and the state of the trust
    # anchors and CRLs that the cached verdict is keyed on.
    # `states`: what this query answered for the packages of the same batch (a request
    # of a few hundred milliseconds), by certificate: asked once per signer per batch.
    if states is not None and info.fingerprint_sha256 in states:
        revoked, state = states[info.fingerprint_sha256]
    else:
        revoked, state = _trust_state(info.fingerprint_sha256)
        if states is not None:
            states[info.fingerprint_sha256] = (revoked, state)
    if revoked:
        raise SignatureRefused("Chứng thư số ký gói tin đã bị thu hồi.", code=E.CERTIFICATE_REVOKED)
    info.trust_state = state
    marker = (info.fingerprint_sha256, *state)
    cached = _TRUST_CACHE.get(marker)
    if cached is not None and cached[0] > time.monotonic():
        verdict = cached[1]
    else:
        verdict = _chain_verdict(cert)
        if len(_TRUST_CACHE) > 10_000:
            _TRUST_CACHE.clear()
        _TRUST_CACHE[marker] = (time.monotonic() + TRUST_CACHE_SECONDS, verdict)
    if verdict == "revoked":
        raise SignatureRefused(
            "Chứng thư số ký gói tin đã bị thu hồi (theo danh sách thu hồi CRL).",
            code=E.CERTIFICATE_REVOKED,
        )
    if verdict == "untrusted":
        raise SignatureRefused(
            "Chứng thư số ký gói tin không do tổ chức cung cấp dịch vụ chứng thực được tin cậy "
            "cấp (không dựng được chuỗi tin cậy).",
            code=E.CERTIFICATE_UNTRUSTED,
        )
    return info


def _trust_state(fingerprint: str) -> tuple[bool, tuple]:
    """(revoked by us, the trust state) in one statement. The trust state: last CRL, last
    CA, number of CAs, last change of a CA, and the certificates revoked by us (how
    many, the last revocation): any new CRL, CA or revocation changes it."""
    from django.db import connection

    from tinhso.signing.models import CACertificate, Certificate, RevocationList

    q = connection.ops.quote_name
    crl, ca, cert = (q(m._meta.db_table) for m in (RevocationList, CACertificate, Certificate))
    crl_pk, ca_pk = (q(m._meta.pk.column or "id") for m in (RevocationList, CACertificate))  # type: ignore[union-attr]
    ca_changed = q(str(CACertificate._meta.get_field("updated_at").column))  # type: ignore[union-attr]
    fingerprint_col, status_col, revoked_at_col = (
        q(str(Certificate._meta.get_field(name).column))  # type: ignore[union-attr]
        for name in ("fingerprint_sha256", "status", "revoked_at")
    )
    # Names from the models (quoted), values as parameters.
    revoked_sql = f"SELECT 1 FROM {cert} WHERE {fingerprint_col} = %s AND {status_col} = %s"  # noqa: S608
    sql = (
        f"SELECT EXISTS({revoked_sql}), (SELECT MAX({crl_pk}) FROM {crl}),"  # noqa: S608
        f" (SELECT MAX({ca_pk}) FROM {ca}), (SELECT COUNT(*) FROM {ca}),"
        f" (SELECT MAX({ca_changed}) FROM {ca}),"
        f" (SELECT COUNT(*) FROM {cert} WHERE {status_col} = %s),"
        f" (SELECT MAX({revoked_at_col}) FROM {cert} WHERE {status_col} = %s)"
    )
    revoked_status = str(Certificate.Status.REVOKED)
    with connection.cursor() as cursor:
        cursor.execute(sql, [fingerprint, revoked_status, revoked_status, revoked_status])
        revoked, last_crl, last_ca, count, ca_changed_at, revocations, last_revoked = (
            cursor.fetchone()
        )
    state = (last_crl, last_ca, int(count), str(ca_changed_at), int(revocations), str(last_revoked))
    return bool(revoked), state


def _chain_verdict(cert: Any) -> str:
    """ "trusted", "revoked" or "untrusted" (pyhanko-certvalidator, offline, our CRLs)."""
    from pyhanko_certvalidator import CertificateValidator

    from tinhso.signing import trust
    from tinhso.signing.aio import run

    if (cert.issuer.rfc4514_string(), cert.serial_number) in trust.revoked_serials():
        return "revoked"
    validator = CertificateValidator(
        trust.to_asn1(cert),
        intermediate_certs=trust.intermediates(),
        validation_context=trust.validation_context(),
    )
    try:
        run(validator.async_validate_usage({"digital_signature"}))
    except Exception as exc:  # noqa: BLE001 - path building / revocation failures alike
        return "revoked" if "revoked" in str(exc).lower() else "untrusted"
    return "trusted"


def normalise(root: etree._Element, *, in_place: bool = False) -> etree._Element:
    """A copy (or `root` itself, `in_place`: when the caller has no further use for the
    tree as parsed) with every non-signature element in the edXML namespace (prefix-less
    and namespace-less variants become the canonical form)."""
    copy = root if in_place else etree.fromstring(etree.tostring(root), _parser())
    for element in copy.iter():
        if not isinstance(element.tag, str):
            continue
        qname = etree.QName(element)
        if qname.namespace == DS:
            continue
        if qname.namespace in (None, NS):
            element.tag = _q(qname.localname)
    etree.cleanup_namespaces(copy, top_nsmap={"edXML": NS})
    return copy


def validate(tree: etree._Element) -> None:
    xsd = schema()
    if not xsd.validate(tree):
        error = xsd.error_log.last_error
        where = f" (dòng {error.line})" if error is not None else ""
        text = error.message if error is not None else ""
        raise PackageRefused(
            f"Gói tin không đúng cấu trúc edXML{where}: {text[:200]}", code=E.SCHEMA_INVALID
        )


def _t(element: etree._Element | None, path: str) -> str:
    if element is None:
        return ""
    found = element.find(path, {"e": NS})
    return (found.text or "").strip() if found is not None else ""


def _int(text: str, default: int = 0) -> int:
    try:
        return int(text)
    except (TypeError, ValueError):
        return default


def _read_organ(element: etree._Element) -> Organ:
    return Organ(
        organ_id=_t(element, "e:OrganId").upper(),
        in_charge=_t(element, "e:OrganizationInCharge"),
        name=_t(element, "e:OrganName"),
        address=_t(element, "e:OrganAdd"),
        email=_t(element, "e:Email"),
        telephone=_t(element, "e:Telephone"),
        fax=_t(element, "e:Fax"),
        website=_t(element, "e:Website"),
    )


def _read_staff(element: etree._Element | None) -> Staff | None:
    if element is None:
        return None
    return Staff(
        department=_t(element, "e:Department"),
        staff=_t(element, "e:Staff"),
        mobile=_t(element, "e:Mobile"),
        email=_t(element, "e:Email"),
    )


def _read_response_for(element: etree._Element) -> ResponseFor:
    document_id = _t(element, "e:DocumentId")
    parse_document_id(document_id)
    date_text = _t(element, "e:PromulgationDate")
    return ResponseFor(
        organ_id=_t(element, "e:OrganId").upper(),
        code=_t(element, "e:Code"),
        promulgation_date=_parse_date(date_text, "Ngày ban hành") if date_text else None,
        document_id=document_id,
    )


def _read_traces(header: etree._Element) -> tuple[list[Trace], Business | None]:
    lst = header.find("e:TraceHeaderList", {"e": NS})
    if lst is None:
        return [], None
    traces = [
        Trace(organ_id=_t(th, "e:OrganId").upper(), timestamp=_parse_ts(_t(th, "e:Timestamp")))
        for th in lst.findall("e:TraceHeader", {"e": NS})
    ]
    b = lst.find("e:Bussiness", {"e": NS})
    if b is None:
        return traces, None
    receivers = [
        ReceiverChange(
            receiver_type=_int(_t(r, "e:ReceiverType")), organ_id=_t(r, "e:OrganId").upper()
        )
        for r in b.findall("e:BussinessDocumentInfo/e:ReceiverList/e:Receiver", {"e": NS})
    ]
    replacements = [
        Replacement(
            document_id=_t(ri, "e:DocumentId"),
            organ_ids=[
                (o.text or "").strip().upper()
                for o in ri.findall("e:OrganIdList/e:OrganId", {"e": NS})
            ],
        )
        for ri in b.findall("e:ReplacementInfoList/e:ReplacementInfo", {"e": NS})
    ]
    paper = _t(b, "e:Paper")
    business = Business(
        doc_type=_int(_t(b, "e:BussinessDocType")),
        reason=_t(b, "e:BussinessDocReason"),
        document_info=_t(b, "e:BussinessDocumentInfo/e:DocumentInfo"),
        receivers=receivers,
        document_id=_t(b, "e:DocumentId"),
        staff=_read_staff(b.find("e:StaffInfo", {"e": NS})),
        paper=_int(paper) if paper else None,
        replacements=replacements,
    )
    if business.doc_type != NEW:
        if not business.document_id:
            raise PackageRefused(
                "Gói tin thu hồi/cập nhật/thay thế phải nêu mã văn bản (DocumentId) liên quan.",
                code=E.INVALID_DOCUMENT_ID,
            )
        parse_document_id(business.document_id)
    return traces, business


def _b64(text: str, name: str) -> bytes:
    compact = "".join((text or "").split())
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise PackageRefused(
            f"Tệp đính kèm '{name[:80]}' không giải mã được (base64 hỏng).", code=E.BAD_BASE64
        ) from exc


def read_tree(tree: etree._Element) -> Package:
    """The package's fields from a normalised, schema-valid tree."""
    ns = {"e": NS}
    header = tree.find("e:edXMLEnvelope/e:edXMLHeader", ns)
    assert header is not None  # the schema requires it
    traces, business = _read_traces(header)
    status = header.find("e:MessageStatus", ns)
    if status is not None:
        return StatusPackage(
            response_for=_read_response_for(status.find("e:ResponseFor", ns)),  # type: ignore[arg-type]
            sender=_read_organ(status.find("e:From", ns)),  # type: ignore[arg-type]
            status_code=_t(status, "e:StatusCode"),
            description=_t(status, "e:Description"),
            timestamp=_parse_ts(_t(status, "e:Timestamp")),
            staff=_read_staff(status.find("e:StaffInfo", ns)),
            traces=traces,
        )
    mh = header.find("e:MessageHeader", ns)
    assert mh is not None
    document_id = _t(mh, "e:DocumentId")
    organ, _date, _number = parse_document_id(document_id)
    sender = _read_organ(mh.find("e:From", ns))  # type: ignore[arg-type]
    if organ != sender.organ_id:
        raise PackageRefused(
            f"Mã văn bản (DocumentId) '{document_id[:80]}' không thuộc cơ quan gửi "
            f"{sender.organ_id}.",
            code=E.INVALID_DOCUMENT_ID,
        )
    number = _t(mh, "e:Code/e:CodeNumber")
    notation = _t(mh, "e:Code/e:CodeNotation")
    type_code = _int(_t(mh, "e:DocumentType/e:Type"), 1)
    type_name = _t(mh, "e:DocumentType/e:TypeName")
    manifest = {
        _t(ref, "e:ContentId"): ref
        for ref in tree.findall("e:edXMLEnvelope/e:edXMLBody/e:edXMLManifest/e:Reference", ns)
    }
    attachments = []
    for att in tree.findall("e:AttachmentEncoded/e:Attachment", ns):
        cid = _t(att, "e:ContentId")
        name = _t(att, "e:AttachmentName") or "tep-dinh-kem"
        attachments.append(
            Attachment(
                content_id=cid,
                name=name,
                content_type=_t(att, "e:ContentType") or "application/octet-stream",
                description=_t(manifest.get(cid), "e:Description"),
                data=_b64(_t(att, "e:ContentTransferEncoded"), name),
            )
        )
    present = {a.content_id for a in attachments}
    missing = [cid for cid in manifest if cid not in present]
    if missing:
        raise PackageRefused(
            f"Tệp đính kèm {missing[0][:80]} có trong danh mục nhưng không có nội dung.",
            code=E.ATTACHMENT_MISSING,
        )
    due = _t(mh, "e:DueDate")
    page_amount = _t(mh, "e:OtherInfo/e:PageAmount")
    amount = _t(mh, "e:OtherInfo/e:PromulgationAmount")
    return DocumentPackage(
        sender=sender,
        to=[_read_organ(o) for o in mh.findall("e:To", ns)],
        number_notation=f"{number}/{notation}" if notation else number,
        promulgation_date=_parse_date(
            _t(mh, "e:PromulgationInfo/e:PromulgationDate"), "Ngày ban hành"
        ),
        doc_type=_doc_type(type_code, type_name),
        type_name=type_name,
        place=_t(mh, "e:PromulgationInfo/e:Place"),
        subject=_t(mh, "e:Subject"),
        content=_t(mh, "e:Content"),
        signer_competence=_t(mh, "e:SignerInfo/e:Competence"),
        signer_position=_t(mh, "e:SignerInfo/e:Position"),
        signer_name=_t(mh, "e:SignerInfo/e:FullName"),
        due_date=_parse_date(due, "Hạn xử lý") if due else None,
        to_places=[(p.text or "").strip() for p in mh.findall("e:ToPlaces/e:Place", ns)],
        priority=_int(_t(mh, "e:OtherInfo/e:Priority")),
        page_amount=_int(page_amount) if page_amount else None,
        promulgation_amount=_int(amount) if amount else None,
        sphere=_t(mh, "e:OtherInfo/e:SphereOfPromulgation"),
        appendixes=[
            (a.text or "").strip() for a in mh.findall("e:OtherInfo/e:Appendixes/e:Appendix", ns)
        ],
        response_for=[_read_response_for(rf) for rf in mh.findall("e:ResponseFor", ns)],
        steering_type=_int(_t(mh, "e:SteeringType")),
        document_id=document_id,
        traces=traces,
        business=business or Business(),
        attachments=attachments,
    )


def _doc_type(code: int, name: str) -> str:
    from tinhso.core.text import fold

    if name:
        found = _doc_type_of_label().get(fold(name))
        if found is not None:
            return found
    return DOC_TYPE_OF_CODE.get(code, "cv")


@lru_cache(maxsize=1)
def _doc_type_of_label() -> dict[str, str]:
    """{folded label: document type}, the first type of a label winning (folded once,
    not for every package)."""
    from tinhso.core.text import fold
    from tinhso.documents.models import DOC_TYPES

    found: dict[str, str] = {}
    for key, (_abbr, label) in DOC_TYPES.items():
        found.setdefault(fold(label), key)
    return found


def read(
    raw: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    check_certificate: bool = True,
    trust_states: dict[str, tuple] | None = None,
) -> Parsed:
    """Parse, verify the signature (and the trust in its certificate), validate, read.
    `trust_states`: shared by the packages of one batch (`check_trust`).

    Raises PackageRefused (or a subclass) with a stable code; nothing is written."""
    root = parse_bytes(raw, max_bytes=max_bytes)
    signature = verify_signature(raw, root)
    if check_certificate:
        check_trust(signature, states=trust_states)
    tree = normalise(root, in_place=True)  # the signature was checked over `raw`
    validate(tree)
    package = read_tree(tree)
    return Parsed(
        package=package, raw=raw, sha256=hashlib.sha256(raw).hexdigest(), signature=signature
    )


def read_unsigned(raw: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Package:
    """Structure only (no signature check): for tools and the fuzz tests."""
    tree = normalise(parse_bytes(raw, max_bytes=max_bytes), in_place=True)
    validate(tree)
    return read_tree(tree)
