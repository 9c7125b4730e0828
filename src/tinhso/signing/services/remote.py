"""Signing with the official's own USB token on their computer (interrupted signing).

1. `prepare_remote_signing`: the server reserves the signature field (with the visible
   appearance), computes the document digest over the /ByteRange and the CMS signed
   attributes (PAdES), keeps that state in a `RemoteSigningSession`, and returns the
   digest of the signed attributes for the client to sign.
2. The client signs the digest with the token's key (ECDSA or RSA PKCS#1 v1.5, SHA-256)
   and posts back the raw signature and its certificate.
3. `complete_remote_signing`: the server checks the certificate is the one prepared for
   and trusted, verifies the signature against the signed attributes, builds the CMS
   and embeds it: the signed PDF.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io

from asn1crypto import cms
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    Prehashed,
    decode_dss_signature,
    encode_dss_signature,
)
from django.db import transaction
from django.utils import timezone
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest
from pyhanko.sign.signers.pdf_signer import PdfTBSDocument
from pyhanko_certvalidator import CertificateValidator
from pyhanko_certvalidator.registry import SimpleCertificateStore

from tinhso.accounts.rules import require
from tinhso.audit.services import record
from tinhso.signing import ca as x
from tinhso.signing import trust
from tinhso.signing.aio import run
from tinhso.signing.errors import (
    CertificateExpired,
    CertificateRevoked,
    CertificateUntrusted,
    InvalidCertificate,
    NoCertificate,
    SessionNotFound,
    SignatureMismatch,
)
from tinhso.signing.models import Certificate, RemoteSigningSession
from tinhso.signing.services.sign import (
    _personal_placement,
    field_spec,
    open_pdf,
    signing_failure,
    stamp_style,
    timestamper,
)

SESSION_TTL = dt.timedelta(minutes=15)
MD = "sha256"


def _parse_cert(data: bytes | str) -> x509.Certificate:
    try:
        return x.load_certificate(data)
    except ValueError as exc:
        raise InvalidCertificate() from exc


def _algorithm(cert: x509.Certificate) -> str:
    key = cert.public_key()
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "ECDSA_SHA256"
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA_PKCS1V15_SHA256"
    raise InvalidCertificate("Loại khóa của chứng thư không được hỗ trợ.", code="unsupported_key")


def _placeholder_size(cert: x509.Certificate) -> int:
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return key.key_size // 8
    if isinstance(key, ec.EllipticCurvePublicKey):
        return 2 * ((key.curve.key_size + 7) // 8) + 9  # DER ECDSA signature upper bound
    raise InvalidCertificate("Loại khóa của chứng thư không được hỗ trợ.", code="unsupported_key")


def _check_certificate(user, cert: x509.Certificate) -> Certificate:
    """The certificate must be registered to the user, valid now and trusted."""
    row = Certificate.objects.filter(
        fingerprint_sha256=x.fingerprint(cert), owner_user=user
    ).first()
    if row is None:
        raise NoCertificate(
            "Chứng thư số của token chưa được đăng ký cho tài khoản của bạn.",
            code="certificate_not_registered",
        )
    if row.status == Certificate.Status.REVOKED:
        raise CertificateRevoked()
    now = timezone.now()
    if not (cert.not_valid_before_utc <= now < cert.not_valid_after_utc):
        raise CertificateExpired()
    if (cert.issuer.rfc4514_string(), cert.serial_number) in trust.revoked_serials():
        raise CertificateRevoked()
    _validate_chain(cert)
    return row


@transaction.atomic
def register_token_certificate(*, user, certificate: bytes | str) -> Certificate:
    """An official registers the certificate of their own USB token (PEM/DER): it must
    be a signing certificate of a trusted CA, valid now and not revoked. The key stays
    on the token; the first remote signature proves possession."""
    require(user, "signing.remote_sign", None)
    cert = _parse_cert(certificate)
    from tinhso.signing.services.pki import register_certificate

    if x.describe(cert).is_ca:
        raise InvalidCertificate(
            "Đây là chứng thư của CA, không phải chứng thư ký.", code="not_a_signing_certificate"
        )
    existing = Certificate.objects.filter(fingerprint_sha256=x.fingerprint(cert)).first()
    if existing is not None and existing.owner_user_id != user.pk:
        raise InvalidCertificate(
            "Chứng thư này đã được đăng ký cho người khác.", code="certificate_taken"
        )
    now = timezone.now()
    if not (cert.not_valid_before_utc <= now < cert.not_valid_after_utc):
        raise CertificateExpired()
    if (cert.issuer.rfc4514_string(), cert.serial_number) in trust.revoked_serials():
        raise CertificateRevoked()
    _validate_chain(cert)
    return register_certificate(
        cert=cert,
        kind=Certificate.Kind.PERSONAL,
        owner_user=user,
        storage=Certificate.Storage.REMOTE,
        actor=user,
    )


def _validate_chain(cert: x509.Certificate) -> None:
    validator = CertificateValidator(
        trust.to_asn1(cert),
        intermediate_certs=trust.intermediates(),
        validation_context=trust.validation_context(),
    )
    try:
        run(validator.async_validate_usage({"digital_signature"}))
    except Exception as exc:
        raise CertificateUntrusted() from exc


def _registry(row: Certificate) -> SimpleCertificateStore:
    from tinhso.signing.services.sign import chain_for

    return SimpleCertificateStore.from_certs(chain_for(row))


@transaction.atomic
def prepare_remote_signing(
    *,
    pdf: bytes,
    user,
    certificate: bytes | str,
    reason: str = "",
    location: str = "",
    agency=None,
    title: str | None = None,
) -> dict:
    """Reserve the signature and return what the token must sign."""
    require(user, "signing.remote_sign", agency)
    RemoteSigningSession.objects.filter(
        user=user, status=RemoteSigningSession.Status.PENDING, expires_at__lt=timezone.now()
    ).delete()  # abandoned sessions of this user: their prepared PDFs are not kept
    writer = open_pdf(pdf)
    cert = _parse_cert(certificate)
    row = _check_certificate(user, cert)
    placement = _personal_placement(writer.prev, user, agency, None, None, title)
    ext_signer = signers.ExternalSigner(
        signing_cert=trust.to_asn1(cert),
        cert_registry=_registry(row),
        signature_value=_placeholder_size(cert),
    )
    meta = signers.PdfSignatureMetadata(
        field_name=placement.field_name,
        reason=reason or None,
        location=location or None,
        name=row.common_name,
        md_algorithm=MD,
        subfilter=fields.SigSeedSubFilter.PADES,
    )
    pdf_signer = signers.PdfSigner(
        meta,
        ext_signer,
        timestamper=timestamper(),
        stamp_style=stamp_style(placement.app),
        new_field_spec=field_spec(placement),
    )
    try:
        prep_digest, _tbs, output = run(pdf_signer.async_digest_doc_for_signing(writer))
        signed_attrs = run(ext_signer.signed_attrs(prep_digest.document_digest, MD, use_pades=True))
    except Exception as exc:
        raise signing_failure(exc) from exc
    attrs_der = signed_attrs.dump()
    session = RemoteSigningSession.objects.create(
        user=user,
        certificate_pem=x.to_pem(cert),
        field_name=placement.field_name,
        md_algorithm=MD,
        prepared_pdf=output.getvalue(),
        reserved_start=prep_digest.reserved_region_start,
        reserved_end=prep_digest.reserved_region_end,
        document_digest=prep_digest.document_digest,
        signed_attrs=attrs_der,
        expires_at=timezone.now() + SESSION_TTL,
    )
    record(
        actor=user,
        action="signing.remote_prepare",
        obj=session,
        agency=agency,
        summary={"certificate": row.serial_hex, "field": placement.field_name},
    )
    return {
        "session_id": str(session.uid),
        "digest_b64": base64.b64encode(hashlib.sha256(attrs_der).digest()).decode(),
        "data_to_sign_b64": base64.b64encode(attrs_der).decode(),
        "algorithm": _algorithm(cert),
        "certificate_required": True,
        "expires_at": session.expires_at.isoformat(),
    }


def normalise_signature(cert: x509.Certificate, signature: bytes) -> bytes:
    """ECDSA as DER (what CMS carries); tokens often return raw r || s: convert it."""
    key = cert.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey):
        return signature
    try:
        decode_dss_signature(signature)
        return signature
    except ValueError:
        size = (key.curve.key_size + 7) // 8
        if len(signature) != 2 * size:
            raise SignatureMismatch() from None
        r = int.from_bytes(signature[:size], "big")
        s = int.from_bytes(signature[size:], "big")
        return encode_dss_signature(r, s)


def _verify_raw(cert: x509.Certificate, signature: bytes, data: bytes) -> None:
    digest = hashlib.sha256(data).digest()
    key = cert.public_key()
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, digest, ec.ECDSA(Prehashed(hashes.SHA256())))
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, digest, padding.PKCS1v15(), Prehashed(hashes.SHA256()))
        else:
            raise SignatureMismatch()
    except InvalidSignature as exc:
        raise SignatureMismatch() from exc


@transaction.atomic
def complete_remote_signing(
    *, session_id: str, user, signature: bytes, certificate: bytes | str
) -> bytes:
    """Embed the token's signature; returns the signed PDF. A wrong signature or
    certificate changes nothing (the session stays pending until it expires)."""
    try:
        session = RemoteSigningSession.objects.select_for_update().get(uid=session_id, user=user)
    except (RemoteSigningSession.DoesNotExist, ValueError, Exception) as exc:
        raise SessionNotFound() from exc
    if session.status == RemoteSigningSession.Status.COMPLETED:
        return bytes(session.signed_pdf or b"")
    if session.expires_at <= timezone.now():
        raise SessionNotFound()
    cert = _parse_cert(certificate)
    if x.fingerprint(cert) != x.fingerprint(x.load_certificate(session.certificate_pem)):
        raise SignatureMismatch(
            "Chứng thư gửi lên khác chứng thư đã dùng khi chuẩn bị ký.",
            code="certificate_mismatch",
        )
    row = _check_certificate(user, cert)
    attrs_der = bytes(session.signed_attrs)
    signature = normalise_signature(cert, signature)
    _verify_raw(cert, signature, attrs_der)
    ext_signer = signers.ExternalSigner(
        signing_cert=trust.to_asn1(cert), cert_registry=_registry(row), signature_value=signature
    )
    try:
        sig_cms = run(
            ext_signer.async_sign_prescribed_attributes(
                session.md_algorithm,
                signed_attrs=cms.CMSAttributes.load(attrs_der),
                timestamper=timestamper(),
            )
        )
        output = io.BytesIO(bytes(session.prepared_pdf))
        run(
            PdfTBSDocument.async_finish_signing(
                output,
                PreparedByteRangeDigest(
                    document_digest=bytes(session.document_digest),
                    reserved_region_start=session.reserved_start,
                    reserved_region_end=session.reserved_end,
                ),
                sig_cms,
            )
        )
    except Exception as exc:
        raise signing_failure(exc) from exc
    signed = output.getvalue()
    session.status = RemoteSigningSession.Status.COMPLETED
    session.signed_pdf = signed
    session.signed_pdf_sha256 = hashlib.sha256(signed).hexdigest()
    session.completed_at = timezone.now()
    session.save(update_fields=["status", "signed_pdf", "signed_pdf_sha256", "completed_at"])
    record(
        actor=user,
        action="signing.remote_complete",
        obj=session,
        summary={"certificate": row.serial_hex, "output_sha256": session.signed_pdf_sha256},
    )
    return signed
