"""Signing PDFs: personal signatures and the agency's seal signature (PAdES)."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from pyhanko.pdf_utils import content, layout
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers, timestamps
from pyhanko.stamp import StaticStampStyle
from pyhanko_certvalidator.registry import SimpleCertificateStore

from tinhso.accounts.rules import require
from tinhso.audit.services import record
from tinhso.core.errors import ValidationFailed
from tinhso.core.pdf import check_pdf
from tinhso.signing import appearance, trust
from tinhso.signing.aio import run
from tinhso.signing.crypto import decrypt_private_key, decrypt_text
from tinhso.signing.errors import (
    CertificateExpired,
    CertificateRevoked,
    EncryptedPdf,
    InvalidPdf,
    NoCertificate,
    SigningFailed,
)
from tinhso.signing.models import Certificate, SignatureImage

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
KINDS = ("personal", "seal")


# ---------------------------------------------------------------- reading the input
def open_pdf(pdf: bytes) -> IncrementalPdfFileWriter:
    """An incremental writer over the PDF, or `invalid_pdf` / `encrypted_pdf` /
    `pdf_active_content` (a signature must not vouch for scripts or embedded files)."""
    if not isinstance(pdf, bytes | bytearray) or b"%PDF-" not in bytes(pdf[:1024]):
        raise InvalidPdf()
    try:
        reader = PdfFileReader(io.BytesIO(bytes(pdf)), strict=False)
        if reader.encrypted:
            raise EncryptedPdf()
        writer = IncrementalPdfFileWriter.from_reader(reader)
        count = int(reader.root["/Pages"]["/Count"])
        if count < 1:
            raise InvalidPdf()
        writer.prev.find_page_for_modification(count - 1)
    except (EncryptedPdf, InvalidPdf):
        raise
    except Exception as exc:  # pyHanko raises many kinds for a damaged file
        if "encrypt" in str(exc).lower():
            raise EncryptedPdf() from exc
        raise InvalidPdf() from exc
    check_pdf(bytes(pdf))
    return writer


def page_count(reader: PdfFileReader) -> int:
    return int(reader.root["/Pages"]["/Count"])


def _page_box(reader: PdfFileReader, page_ix: int) -> tuple[float, float, float, float]:
    page_ref, _ = reader.find_page_for_modification(page_ix)
    page = page_ref.get_object()
    box = page.get("/MediaBox")
    node = page
    while box is None and "/Parent" in node:
        node = node["/Parent"]
        box = node.get("/MediaBox")
    x1, y1, x2, y2 = (float(v) for v in (box or (0, 0, 595, 842)))
    return x1, y1, x2, y2


def _page_index_of(reader: PdfFileReader, page_ref) -> int | None:
    for ix in range(page_count(reader)):
        ref, _ = reader.find_page_for_modification(ix)
        if ref.idnum == page_ref.idnum:
            return ix
    return None


def existing_signature_fields(reader: PdfFileReader) -> list[tuple[str, Any]]:
    return [(name, ref) for name, _, ref in fields.enumerate_sig_fields(reader)]


# ---------------------------------------------------------------- certificates
def select_certificate(*, owner_user=None, owner_agency=None, agency=None) -> Certificate:
    """The certificate to sign with: active and valid now, else a precise error.

    For a person with posts in several agencies, a certificate naming `agency` is
    preferred."""
    base = Certificate.objects.all()
    if owner_user is not None:
        base = base.filter(owner_user=owner_user, kind=Certificate.Kind.PERSONAL)
    else:
        base = base.filter(owner_agency=owner_agency, kind=Certificate.Kind.AGENCY)
    # An owner has a handful of certificates: one query, the choice made here (it was
    # four queries, and this runs for every package the exchange signs).
    owned = list(base)
    usable = [c for c in owned if c.storage != Certificate.Storage.REMOTE]
    if not usable:
        if owned:
            raise NoCertificate(
                "Chứng thư số của người ký nằm trên USB token: hãy ký bằng ứng dụng ký số "
                "trên máy tính (ký từ xa)."
            )
        raise NoCertificate(
            "Người ký chưa có chứng thư số."
            if owner_user is not None
            else "Cơ quan chưa có chứng thư số (chữ ký số của cơ quan)."
        )
    active = [c for c in usable if c.status == Certificate.Status.ACTIVE]
    if not active:
        raise CertificateRevoked()
    now = timezone.now()
    candidates = sorted(
        (c for c in active if c.not_before <= now < c.not_after),
        key=lambda c: c.not_after,
        reverse=True,
    )
    if agency is not None and owner_user is not None:
        candidates.sort(key=lambda c: c.owner_agency_id != agency.pk)  # stable: by not_after
    if not candidates:
        raise CertificateExpired()
    revoked = trust.revoked_serials()
    for cert in candidates:
        if not _revoked_by_crl(cert, revoked):
            return cert
    raise CertificateRevoked()


def _revoked_by_crl(cert: Certificate, revoked: dict) -> bool:
    from cryptography import x509

    parsed = x509.load_pem_x509_certificate(cert.certificate_pem.encode())
    return (parsed.issuer.rfc4514_string(), parsed.serial_number) in revoked


def check_usable(cert: Certificate) -> None:
    now = timezone.now()
    if cert.status == Certificate.Status.REVOKED:
        raise CertificateRevoked()
    if cert.not_after <= now or cert.not_before > now:
        raise CertificateExpired()
    if _revoked_by_crl(cert, trust.revoked_serials()):
        raise CertificateRevoked()


def chain_for(cert: Certificate) -> list[asn1_x509.Certificate]:
    chain = []
    ca = cert.issuer_ca
    seen = set()
    while ca is not None and ca.pk not in seen:
        seen.add(ca.pk)
        chain.append(trust.pem_to_asn1(ca.certificate_pem))
        ca = ca.issuer_ca
    return chain


@dataclass
class _OpenSigner:
    signer: signers.Signer
    session: object | None = None

    def close(self) -> None:
        if self.session is not None:
            with contextlib.suppress(Exception):  # closing must not mask errors
                self.session.close()  # type: ignore[attr-defined]


def build_signer(cert: Certificate) -> _OpenSigner:
    signing_cert = trust.pem_to_asn1(cert.certificate_pem)
    chain = chain_for(cert)
    if cert.storage == Certificate.Storage.SERVER:
        if not cert.private_key_encrypted:
            raise NoCertificate("Chứng thư số không có khóa bí mật trên máy chủ.")
        key = decrypt_private_key(cert.private_key_encrypted)
        der = key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return _OpenSigner(
            signers.SimpleSigner(
                signing_cert=signing_cert,
                signing_key=asn1_keys.PrivateKeyInfo.load(der),
                cert_registry=SimpleCertificateStore.from_certs(chain),
            )
        )
    if cert.storage == Certificate.Storage.PKCS11:
        from tinhso.signing import token

        pin = decrypt_text(cert.pkcs11_pin_encrypted) if cert.pkcs11_pin_encrypted else None
        return _OpenSigner(
            *token.open_signer(cert, signing_cert=signing_cert, chain=chain, pin=pin)
        )
    raise NoCertificate(
        "Chứng thư số này nằm trên USB token của người ký: hãy ký bằng ứng dụng ký trên máy tính."
    )


def timestamper() -> timestamps.TimeStamper | None:
    url = getattr(settings, "SIGNING_TSA_URL", None)
    return timestamps.HTTPTimeStamper(url) if url else None


def signing_failure(exc: Exception) -> SigningFailed:
    """A domain error for what pyHanko or the token refused, in Vietnamese."""
    import logging

    from pyhanko.sign.timestamps import TimestampRequestError

    logging.getLogger(__name__).info("signing failed: %r", exc)
    text = str(exc)
    if isinstance(exc, TimestampRequestError) or "timestamp" in text.lower():
        return SigningFailed(
            "Không lấy được dấu thời gian từ máy chủ cấp dấu thời gian (TSA); thử lại sau.",
            code="tsa_unavailable",
            details=text[:300],
        )
    if "forbids" in text or "DocMDP" in text or "certif" in text.lower():
        return SigningFailed(
            "Tài liệu đã được chứng thực và không cho phép thêm chữ ký.",
            code="document_locked",
            details=text[:300],
        )
    if "pkcs11" in type(exc).__module__.lower() or "PKCS" in text:
        return SigningFailed(
            "Token/HSM từ chối thao tác ký.", code="pkcs11_error", details=text[:300]
        )
    return SigningFailed(details=text[:300] or type(exc).__name__)


# ---------------------------------------------------------------- appearance
class PdfBytesContent(content.PdfContent):
    """Page 1 of a PDF (in memory) as a form XObject: our reportlab appearance."""

    def __init__(self, data: bytes):
        self.data = data
        super().__init__()

    def render(self) -> bytes:
        writer = self._ensure_writer
        xobj = writer.import_page_as_xobject(PdfFileReader(io.BytesIO(self.data)), page_ix=0)
        self.resources.xobject["/TinhsoAppearance"] = xobj
        x1, y1, x2, y2 = xobj.get_object()["/BBox"]
        self.box = layout.BoxConstraints(width=abs(x2 - x1), height=abs(y2 - y1))
        return b"/TinhsoAppearance Do"


def stamp_style(app: appearance.Appearance) -> StaticStampStyle:
    return StaticStampStyle(
        background=PdfBytesContent(app.pdf),
        background_opacity=1.0,
        border_width=0,
        background_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MID,
            y_align=layout.AxisAlignment.ALIGN_MID,
            margins=layout.Margins.uniform(0),
        ),
    )


def _image_bytes(*, owner_user=None, owner_agency=None) -> bytes | None:
    img = SignatureImage.objects.filter(owner_user=owner_user, owner_agency=owner_agency).first()
    if img is None or not img.image:
        return None
    with img.image.open("rb") as fh:
        return fh.read()


def signer_title(user, agency=None) -> str:
    """The post printed above the signature (e.g. 'GIÁM ĐỐC'), from the directory."""
    from tinhso.directory.models import Membership

    memberships = Membership.objects.filter(user=user, ended_on__isnull=True).select_related(
        "position"
    )
    if agency is not None:
        in_agency = memberships.filter(agency=agency)
        if in_agency.exists():
            memberships = in_agency
    m = memberships.order_by("-is_primary", "position__rank").first()
    if m and m.position:
        return m.position.name
    return "Người ký"


@dataclass(frozen=True)
class Placement:
    field_name: str
    page_ix: int
    box: tuple[int, int, int, int]
    app: appearance.Appearance


def _new_field_name(reader: PdfFileReader, kind: str) -> str:
    names = {name for name, _ in existing_signature_fields(reader)}
    n = 1
    while f"Sig-{kind}-{n}" in names:
        n += 1
    return f"Sig-{kind}-{n}"


def _personal_placement(reader, user, agency, page, box, title) -> Placement:
    app = appearance.personal(
        title=title or signer_title(user, agency),
        name=user.full_name or user.get_full_name() or user.username,
        signature_png=_image_bytes(owner_user=user),
    )
    n = page_count(reader)
    page_ix = n - 1 if page is None else max(0, min(page, n - 1))
    if box is None:
        box = _free_slot(reader, page_ix, app)
    return Placement(_new_field_name(reader, "personal"), page_ix, box, app)


def _free_slot(reader, page_ix: int, app: appearance.Appearance) -> tuple[int, int, int, int]:
    """Bottom right of the page; when signatures are already there (several signers),
    the next slot to their left, then a row above."""
    px1, py1, px2, py2 = _page_box(reader, page_ix)
    taken = []
    for _name, ref in existing_signature_fields(reader):
        field = ref.get_object()
        if "/Rect" not in field or "/P" not in field:
            continue
        if _page_index_of(reader, field.get_value_as_reference("/P")) == page_ix:
            taken.append(tuple(float(v) for v in field["/Rect"]))

    def free(b) -> bool:
        return all(b[2] <= t[0] or b[0] >= t[2] or b[3] <= t[1] or b[1] >= t[3] for t in taken)

    y1 = py1 + 60
    while y1 + app.height < py2:
        x2 = px2 - 50
        while x2 - app.width >= px1 + 20:
            candidate = (int(x2 - app.width), int(y1), int(x2), int(y1 + app.height))
            if free(candidate):
                return candidate
            x2 -= app.width + 10
        y1 += app.height + 10
    x2, y1 = px2 - 50, py1 + 60
    return (int(x2 - app.width), int(y1), int(x2), int(y1 + app.height))


def _last_personal_field(reader) -> tuple[int, tuple[float, float, float, float]] | None:
    found = None
    for name, ref in existing_signature_fields(reader):
        if not name.startswith("Sig-personal"):
            continue
        field = ref.get_object()
        rect = field.get("/Rect")
        page_ref = field.get_value_as_reference("/P") if "/P" in field else None
        if rect is None or page_ref is None:
            continue
        ix = _page_index_of(reader, page_ref)
        if ix is not None:
            x1, y1, x2, y2 = (float(v) for v in rect)
            found = (ix, (x1, y1, x2, y2))
    return found


def _seal_placement(reader, agency, seal_text, page, box) -> Placement:
    name = _new_field_name(reader, "seal")
    if seal_text is not None:
        now = timezone.now().astimezone(VN_TZ).replace(microsecond=0)
        app = appearance.seal_text(
            lines=[
                agency.name,
                f"Số, ký hiệu: {seal_text}",
                f"Thời gian ký: {now.isoformat()}",
            ]
        )
        page_ix = 0 if page is None else page
        if box is None:
            _, _, px2, py2 = _page_box(reader, page_ix)
            # top-right corner, in the top margin above the document's header
            box = (
                int(px2 - 20 - app.width),
                int(py2 - 6 - app.height),
                int(px2 - 20),
                int(py2 - 6),
            )
        return Placement(name, page_ix, box, app)
    app = appearance.seal(seal_png=_image_bytes(owner_agency=agency), agency_name=agency.name)
    if box is None:
        found = _last_personal_field(reader) if page is None else None
        s = appearance.SEAL_SIZE
        if found:
            page_ix, (fx1, fy1, fx2, fy2) = found
            ix1, iy1, ix2, iy2 = appearance.IMAGE_BOX
            scale = (fx2 - fx1) / appearance.PERSONAL_W
            img_left = fx1 + ix1 * scale
            img_w = (ix2 - ix1) * scale
            cy = fy1 + (iy1 + iy2) / 2 * scale
            right = img_left + img_w / 3
        else:
            n = page_count(reader)
            page_ix = n - 1 if page is None else max(0, min(page, n - 1))
            _, py1, px2, _ = _page_box(reader, page_ix)
            right = px2 - 50 - appearance.PERSONAL_W + 30 + 160 / 3
            cy = py1 + 60 + 64
        box = (int(right - s), int(cy - s / 2), int(right), int(cy + s / 2))
    else:
        page_ix = page or 0
    return Placement(name, page_ix, box, app)


# ---------------------------------------------------------------- signing
def _metadata(placement: Placement, cert: Certificate, reason: str, location: str, ts):
    vc = trust.validation_context() if ts is not None else None
    return signers.PdfSignatureMetadata(
        field_name=placement.field_name,
        reason=reason or None,
        location=location or None,
        name=cert.common_name,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        embed_validation_info=ts is not None,
        validation_context=vc,
        use_pades_lta=False,
    )


def field_spec(placement: Placement) -> fields.SigFieldSpec:
    return fields.SigFieldSpec(
        sig_field_name=placement.field_name, on_page=placement.page_ix, box=placement.box
    )


def sign_with_certificate(
    *,
    writer: IncrementalPdfFileWriter,
    cert: Certificate,
    placement: Placement,
    reason="",
    location="",
) -> bytes:
    ts = timestamper()
    opened = build_signer(cert)
    try:
        pdf_signer = signers.PdfSigner(
            _metadata(placement, cert, reason, location, ts),
            opened.signer,
            timestamper=ts,
            stamp_style=stamp_style(placement.app),
            new_field_spec=field_spec(placement),
        )
        try:
            out = run(
                pdf_signer.async_sign_pdf(
                    writer, bytes_reserved=_reserve(cert) if ts is None else None
                )
            )
        except Exception as exc:
            raise signing_failure(exc) from exc
    finally:
        opened.close()
    return out.getvalue()


def _reserve(cert: Certificate) -> int:
    """Room for the CMS (hex, so twice its size): the certificates it embeds plus a
    generous allowance for attributes and the signature. Saves pyHanko's dry run."""
    size = len(trust.pem_to_asn1(cert.certificate_pem).dump())
    size += sum(len(c.dump()) for c in chain_for(cert))
    return 2 * (size + 4096)


@transaction.atomic
def sign_pdf(
    *,
    pdf: bytes,
    signer,
    kind: str,
    agency=None,
    reason: str = "",
    location: str = "",
    seal_text: str | None = None,
    page: int | None = None,
    box: tuple[int, int, int, int] | None = None,
    title: str | None = None,
) -> bytes:
    """Sign a PDF and return the signed PDF (an incremental update of the input).

    kind "personal": with `signer`'s own certificate, appearance = title, signature image,
    name. kind "seal": with `agency`'s certificate (signer = the clerk applying it),
    appearance = the seal over the left third of the last personal signature's image, or
    with `seal_text` (attachments) a text-only block: number/notation and signing time.
    """
    if kind not in KINDS:
        raise ValidationFailed("Loại chữ ký không hợp lệ.", code="invalid_signature_kind")
    writer = open_pdf(pdf)
    reader = writer.prev
    if kind == "personal":
        require(signer, "signing.sign_personal", agency)
        cert = select_certificate(owner_user=signer, agency=agency)
        placement = _personal_placement(reader, signer, agency, page, box, title)
    else:
        if agency is None:
            raise ValidationFailed("Cần chỉ rõ cơ quan ký số.", code="agency_required")
        require(signer, "signing.apply_seal", agency)
        cert = select_certificate(owner_agency=agency)
        placement = _seal_placement(reader, agency, seal_text, page, box)
    signed = sign_with_certificate(
        writer=writer, cert=cert, placement=placement, reason=reason, location=location
    )
    import hashlib

    record(
        actor=signer,
        action=f"signing.sign_{kind}",
        obj=cert,
        agency=agency or cert.owner_agency,
        summary={
            "field": placement.field_name,
            "certificate": cert.serial_hex,
            "input_sha256": hashlib.sha256(pdf).hexdigest(),
            "output_sha256": hashlib.sha256(signed).hexdigest(),
            "text_only": seal_text is not None,
        },
    )
    return signed


def vn_now() -> dt.datetime:
    return timezone.now().astimezone(VN_TZ)
