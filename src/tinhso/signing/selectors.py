"""Reads: verification of the signatures of a PDF, certificates of a user or agency."""

from __future__ import annotations

import datetime as dt
import io
import logging
from dataclasses import asdict, dataclass, field

from cryptography import x509
from django.utils import timezone
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.validation import EmbeddedPdfSignature, async_validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel

from tinhso.signing import ca as x
from tinhso.signing import trust
from tinhso.signing.aio import run
from tinhso.signing.errors import EncryptedPdf, InvalidPdf
from tinhso.signing.models import Certificate

log = logging.getLogger(__name__)


@dataclass
class SignatureReport:
    field_name: str
    signer_name: str
    signer_agency: str
    issuer: str
    serial: str
    certificate_not_before: dt.datetime | None
    certificate_not_after: dt.datetime | None
    signed_at: dt.datetime | None
    signed_at_source: str  # "timestamp" (trusted time-stamp) | "claimed" (signer's clock) | ""
    intact: bool  # the bytes the signature covers are unchanged
    valid: bool  # the cryptographic signature matches (intact and the CMS is sound)
    trusted: bool  # the chain leads to a configured trust anchor
    expired: bool  # the certificate is past its validity now
    revoked: bool
    revoked_at: dt.datetime | None
    covers_whole_document: bool
    coverage: str  # entire_file | entire_revision | partial | unclear
    modification: str  # none | signatures_added | annotations | other | unknown
    modification_text: str
    byte_range: list[int]
    signed_bytes: int  # how many bytes of the file the signature covers
    file_bytes: int
    revision: int  # 1-based revision of the file the signature belongs to
    total_revisions: int
    subfilter: str
    timestamped: bool
    status: str  # valid | warning | invalid
    summary: str
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        data = asdict(self)
        for key, value in data.items():
            if isinstance(value, dt.datetime):
                data[key] = value.isoformat()
        return data


def _reader(pdf: bytes) -> PdfFileReader:
    if not isinstance(pdf, bytes | bytearray) or b"%PDF-" not in bytes(pdf[:1024]):
        raise InvalidPdf()
    try:
        reader = PdfFileReader(io.BytesIO(bytes(pdf)), strict=False)
        if reader.encrypted:
            raise EncryptedPdf()
        reader.root["/Pages"]  # noqa: B018 - parse the catalog now
    except (InvalidPdf, EncryptedPdf):
        raise
    except Exception as exc:
        if "encrypt" in str(exc).lower():
            raise EncryptedPdf() from exc
        raise InvalidPdf() from exc
    return reader


_MODIFICATION = {
    ModificationLevel.NONE: ("none", "Không có thay đổi nào sau khi ký."),
    ModificationLevel.LTA_UPDATES: (
        "signatures_added",
        "Sau khi ký chỉ bổ sung dữ liệu kiểm tra/dấu thời gian (hợp lệ).",
    ),
    ModificationLevel.FORM_FILLING: (
        "signatures_added",
        "Sau khi ký chỉ bổ sung chữ ký khác (hợp lệ), nội dung không đổi.",
    ),
    ModificationLevel.ANNOTATIONS: (
        "annotations",
        "Sau khi ký có thêm chú thích (ghi chú, đánh dấu); nội dung trang không đổi.",
    ),
    ModificationLevel.OTHER: (
        "other",
        "Tài liệu đã bị thay đổi nội dung sau khi ký.",
    ),
}


def verify_pdf(pdf: bytes, *, at: dt.datetime | None = None) -> list[SignatureReport]:
    """One report per signature of the PDF (empty for an unsigned PDF).

    `at`: evaluate the certificates as of that time instead of now (e.g. an archive
    check years later: expired certificates are reported, with whether the chain was
    trusted when the document was signed)."""
    reader = _reader(pdf)
    try:
        entries = _collect(reader)
    except Exception as exc:
        raise InvalidPdf() from exc
    if not entries:
        return []
    crl_revoked = trust.revoked_serials()
    vc_now = trust.validation_context(moment=at)
    total = reader.total_revisions
    reports = []
    for _, name, byte_range, sig, error in entries:
        if sig is None:
            reports.append(_broken_report(name, byte_range, len(pdf), total, error))
        else:
            reports.append(_report(sig, vc_now, crl_revoked, len(pdf), total, at))
    invalid = [r for r in reports if r.status == "invalid"]
    if invalid:
        from tinhso.core.signals import security_event

        security_event.send(
            sender=__name__,
            kind="signature_invalid",
            detail="; ".join(
                f"{r.signer_name or r.field_name}: {' '.join(r.problems)}" for r in invalid
            )[:400],
        )
    return reports


def _collect(reader: PdfFileReader) -> list[tuple]:
    """Filled signature fields (not document time-stamps), in signing order; a field
    whose signature cannot be parsed is kept (reported as broken), not dropped."""
    entries = []
    for fq_name, sig_obj, sig_field in enumerate_sig_fields(reader, filled_status=True):
        obj = sig_obj.get_object()
        if str(obj.get("/Type", "/Sig")) == "/DocTimeStamp":
            continue
        try:
            byte_range = [int(v) for v in obj.get("/ByteRange", [])]
        except (TypeError, ValueError):
            byte_range = []
        end = byte_range[2] + byte_range[3] if len(byte_range) == 4 else 0
        try:
            sig, error = EmbeddedPdfSignature(reader, sig_field, fq_name), ""
        except Exception as exc:  # noqa: BLE001 - a damaged signature is reported
            sig, error = None, str(exc)[:200]
        entries.append((end, fq_name, byte_range, sig, error))
    entries.sort(key=lambda e: e[0])
    return entries


def _broken_report(name, byte_range, file_bytes, total_revisions, error) -> SignatureReport:
    problem = "Chữ ký bị hỏng: không đọc được dữ liệu chữ ký (CMS)."
    return SignatureReport(
        field_name=name,
        signer_name="",
        signer_agency="",
        issuer="",
        serial="",
        certificate_not_before=None,
        certificate_not_after=None,
        signed_at=None,
        signed_at_source="",
        intact=False,
        valid=False,
        trusted=False,
        expired=False,
        revoked=False,
        revoked_at=None,
        covers_whole_document=False,
        coverage="unclear",
        modification="unknown",
        modification_text="Không xác định được phần tài liệu thay đổi sau khi ký.",
        byte_range=byte_range,
        signed_bytes=(byte_range[1] + byte_range[3]) if len(byte_range) == 4 else 0,
        file_bytes=file_bytes,
        revision=0,
        total_revisions=total_revisions,
        subfilter="",
        timestamped=False,
        status="invalid",
        summary="Chữ ký KHÔNG hợp lệ: " + problem,
        problems=[problem],
    )


def _report(
    sig, vc_now, crl_revoked, file_bytes: int, total_revisions: int, at: dt.datetime | None
) -> SignatureReport:
    problems: list[str] = []
    byte_range = [int(v) for v in sig.sig_object.get("/ByteRange", [])]
    signed_bytes = (byte_range[1] + byte_range[3]) if len(byte_range) == 4 else 0
    subfilter = str(sig.sig_object.get("/SubFilter", "")).lstrip("/")
    try:
        cert = sig.signer_cert
        crypto_cert = x509.load_der_x509_certificate(cert.dump())
        info = x.describe(crypto_cert)
    except Exception:  # noqa: BLE001 - a broken CMS is reported, not a crash
        crypto_cert = None
        info = None
    try:
        status = run(async_validate_pdf_signature(sig, signer_validation_context=vc_now))
    except Exception as exc:  # noqa: BLE001
        log.info("signature %s could not be validated: %s", sig.field_name, exc)
        status = None
        problems.append("Không đọc được nội dung chữ ký (CMS hỏng).")
    now = at or timezone.now()
    intact = bool(status and status.intact)
    valid = bool(status and status.valid)
    chain_ok = bool(
        status and status.trust_problem_indic is None and status.validation_path is not None
    )
    signed_at, source, timestamped = None, "", False
    if status is not None:
        if status.timestamp_validity is not None:
            signed_at, source, timestamped = status.timestamp_validity.timestamp, "timestamp", True
        elif status.signer_reported_dt is not None:
            signed_at, source = status.signer_reported_dt, "claimed"
    if signed_at is None:
        try:
            signed_at = sig.self_reported_timestamp
            source = "claimed" if signed_at else ""
        except Exception:  # noqa: BLE001
            signed_at = None
    expired = bool(info and info.not_after <= now)
    if expired and not chain_ok and status is not None and signed_at is not None and intact:
        # Expired now: was the chain trusted when the document was signed?
        try:
            at_signing = run(
                async_validate_pdf_signature(
                    sig, signer_validation_context=trust.validation_context(moment=signed_at)
                )
            )
            chain_ok = (
                at_signing.trust_problem_indic is None and at_signing.validation_path is not None
            )
        except Exception as exc:  # noqa: BLE001
            log.info("validation at signing time failed: %s", exc)
    revoked_at = None
    if crypto_cert is not None:
        revoked_at = crl_revoked.get(
            (crypto_cert.issuer.rfc4514_string(), crypto_cert.serial_number)
        )
        if revoked_at is None and info is not None:
            row = (
                Certificate.objects.filter(
                    fingerprint_sha256=info.fingerprint, status=Certificate.Status.REVOKED
                )
                .only("revoked_at")
                .first()
            )
            revoked_at = row.revoked_at if row else None
    revoked = bool(status and status.revoked) or revoked_at is not None
    if revoked:
        chain_ok = chain_ok and not revoked

    coverage_level = status.coverage if status is not None else None
    coverage: str = (
        {
            SignatureCoverageLevel.ENTIRE_FILE: "entire_file",
            SignatureCoverageLevel.ENTIRE_REVISION: "entire_revision",
            SignatureCoverageLevel.CONTIGUOUS_BLOCK_FROM_START: "partial",
        }.get(coverage_level, "unclear")
        if coverage_level is not None
        else "unclear"
    )
    level = status.modification_level if status is not None else None
    modification, modification_text = (_MODIFICATION.get(level) if level is not None else None) or (
        "unknown",
        "Không xác định được phần tài liệu thay đổi sau khi ký.",
    )
    if coverage == "entire_file":
        modification, modification_text = "none", "Chữ ký bao trùm toàn bộ tệp."
    try:
        revision = sig.signed_revision + 1
    except Exception:  # noqa: BLE001
        revision = 0

    if not intact:
        problems.append("Nội dung được ký đã bị thay đổi (mã băm không khớp).")
    elif not valid:
        problems.append("Chữ ký không hợp lệ về mặt mật mã.")
    if modification in ("other", "unknown") and intact:
        problems.append(modification_text)
    if not chain_ok and not revoked:
        problems.append("Chứng thư số không thuộc tổ chức chứng thực được tin cậy.")
    if revoked:
        when = f" từ {timezone.localtime(revoked_at):%d/%m/%Y %H:%M}" if revoked_at else ""
        problems.append(f"Chứng thư số đã bị thu hồi{when}.")
    warnings = []
    if expired:
        warnings.append("Chứng thư số đã hết hạn (chữ ký được tạo khi chứng thư còn hiệu lực).")
    if modification == "annotations":
        warnings.append(modification_text)
    if problems:
        status_code = "invalid"
        summary = "Chữ ký KHÔNG hợp lệ: " + " ".join(problems)
    elif warnings:
        status_code = "warning"
        summary = "Chữ ký hợp lệ, lưu ý: " + " ".join(warnings)
    else:
        status_code = "valid"
        summary = "Chữ ký hợp lệ: tài liệu nguyên vẹn, chứng thư số được tin cậy. " + (
            modification_text
        )
    return SignatureReport(
        field_name=sig.field_name,
        signer_name=info.common_name if info else "",
        signer_agency=(info.organization or info.unit) if info else "",
        issuer=info.issuer_common_name if info else "",
        serial=info.serial_hex if info else "",
        certificate_not_before=info.not_before if info else None,
        certificate_not_after=info.not_after if info else None,
        signed_at=signed_at,
        signed_at_source=source,
        intact=intact,
        valid=valid,
        trusted=chain_ok,
        expired=expired,
        revoked=revoked,
        revoked_at=revoked_at,
        covers_whole_document=coverage == "entire_file",
        coverage=coverage,
        modification=modification,
        modification_text=modification_text,
        byte_range=byte_range,
        signed_bytes=signed_bytes,
        file_bytes=file_bytes,
        revision=revision,
        total_revisions=total_revisions,
        subfilter=subfilter,
        timestamped=timestamped,
        status=status_code,
        summary=summary,
        problems=problems + warnings,
    )


def certificates_of(*, user=None, agency=None):
    qs = Certificate.objects.select_related("issuer_ca")
    if user is not None:
        return qs.filter(owner_user=user)
    return qs.filter(owner_agency=agency)


def certificates_expiring(*, within_days: int = 30):
    """Active certificates whose validity ends within `within_days` from now (or ended in
    the last day): the security monitoring centre raises an event for each."""
    import datetime

    now = timezone.now()
    return (
        Certificate.objects.filter(status=Certificate.Status.ACTIVE)
        .filter(not_after__lte=now + datetime.timedelta(days=within_days))
        .filter(not_after__gte=now - datetime.timedelta(days=1))
        .select_related("owner_user")
        .order_by("not_after")
    )
