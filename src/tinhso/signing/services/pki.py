"""Certificates and CAs: import trust roots, the local demo CA, issue, revoke, CRLs."""

from __future__ import annotations

import datetime as dt

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from django.db import transaction
from django.utils import timezone

from tinhso.audit.services import record
from tinhso.signing import ca as x
from tinhso.signing.crypto import decrypt_private_key, encrypt_private_key, encrypt_text
from tinhso.signing.errors import InvalidCertificate
from tinhso.signing.models import CACertificate, Certificate, RevocationList

DEMO_ROOT_NAME = "tinhso Demo Root CA"
DEMO_ISSUING_NAME = "tinhso Demo Issuing CA"


def _is_self_signed(cert: x509.Certificate) -> bool:
    return cert.issuer == cert.subject


def _ca_row(cert: x509.Certificate, **extra) -> CACertificate:
    info = x.describe(cert)
    row = CACertificate.objects.filter(fingerprint_sha256=info.fingerprint).first()
    if row:
        return row
    issuer_ca = None
    if not _is_self_signed(cert):
        issuer_ca = CACertificate.objects.filter(subject=info.issuer).order_by("-not_after").first()
    return CACertificate.objects.create(
        subject=info.subject,
        common_name=info.common_name or info.subject,
        issuer=info.issuer,
        serial_hex=info.serial_hex,
        fingerprint_sha256=info.fingerprint,
        not_before=info.not_before,
        not_after=info.not_after,
        certificate_pem=x.to_pem(cert),
        issuer_ca=issuer_ca,
        **extra,
    )


@transaction.atomic
def import_ca_certificates(*, data: bytes, actor=None) -> list[CACertificate]:
    """Import CA certificates (PEM bundle or one DER): self-signed ones become trust
    anchors, the others intermediates. Importing the same certificate twice is a no-op."""
    try:
        certs = x.load_certificates(data)
    except ValueError as exc:
        raise InvalidCertificate() from exc
    if not certs:
        raise InvalidCertificate()
    rows = []
    # roots first so that intermediates find their issuer
    for cert in sorted(certs, key=lambda c: not _is_self_signed(c)):
        if not x.describe(cert).is_ca:
            raise InvalidCertificate(
                f"Chứng thư «{x.describe(cert).common_name}» không phải chứng thư của CA.",
                code="not_a_ca_certificate",
            )
        row = _ca_row(cert, is_trust_anchor=_is_self_signed(cert))
        rows.append(row)
        record(
            actor=actor,
            action="signing.import_ca",
            obj=row,
            summary={"subject": row.subject, "fingerprint": row.fingerprint_sha256},
        )
    return rows


@transaction.atomic
def import_crl(*, data: bytes, actor=None) -> RevocationList:
    try:
        crl = (
            x509.load_pem_x509_crl(data) if b"-----BEGIN" in data else x509.load_der_x509_crl(data)
        )
    except ValueError as exc:
        raise InvalidCertificate(
            "Không đọc được danh sách thu hồi (CRL).", code="invalid_crl"
        ) from exc
    issuer = CACertificate.objects.filter(subject=crl.issuer.rfc4514_string()).first()
    if issuer is None or not crl.is_signature_valid(
        x.load_certificate(issuer.certificate_pem).public_key()  # type: ignore[arg-type]
    ):
        raise InvalidCertificate(
            "CRL không do một CA đã đăng ký ký phát.", code="crl_issuer_unknown"
        )
    from cryptography.hazmat.primitives import serialization

    row = RevocationList.objects.create(
        issuer_ca=issuer,
        number=0,
        this_update=crl.last_update_utc,
        next_update=crl.next_update_utc,
        crl_der=crl.public_bytes(serialization.Encoding.DER),
    )
    record(actor=actor, action="signing.import_crl", obj=row, summary={"issuer": issuer.subject})
    return row


def _ca_key(ca_row: CACertificate):
    if not ca_row.private_key_encrypted:
        raise InvalidCertificate(
            f"CA «{ca_row.common_name}» không phải CA cục bộ (không có khóa bí mật).",
            code="ca_without_key",
        )
    return decrypt_private_key(ca_row.private_key_encrypted)


@transaction.atomic
def ensure_demo_ca() -> tuple[CACertificate, CACertificate]:
    """The local demo CA (root + issuing CA); created once, found afterwards."""
    root = CACertificate.objects.filter(is_demo=True, common_name=DEMO_ROOT_NAME).first()
    if root is None:
        key = x.new_key()
        cert = x.make_ca(
            subject=x.name(DEMO_ROOT_NAME, organization="tinhso (demo)"), key=key, path_length=1
        )
        root = _ca_row(
            cert,
            is_trust_anchor=True,
            is_demo=True,
            private_key_encrypted=encrypt_private_key(key),
        )
        record(
            actor=None, action="signing.create_demo_ca", obj=root, summary={"name": DEMO_ROOT_NAME}
        )
    issuing = CACertificate.objects.filter(is_demo=True, common_name=DEMO_ISSUING_NAME).first()
    if issuing is None:
        key = x.new_key()
        cert = x.make_ca(
            subject=x.name(DEMO_ISSUING_NAME, organization="tinhso (demo)"),
            key=key,
            issuer_cert=x.load_certificate(root.certificate_pem),
            issuer_key=_ca_key(root),
            years=10,
            path_length=0,
        )
        issuing = _ca_row(
            cert,
            is_trust_anchor=False,
            is_demo=True,
            private_key_encrypted=encrypt_private_key(key),
        )
        publish_crl(ca=issuing)
        publish_crl(ca=root)
    return root, issuing


def crl_url_for(ca: CACertificate) -> str | None:
    """Public URL of the CA's CRL (put in issued certificates so that any PDF reader can
    check revocation), when SIGNING_PUBLIC_URL (e.g. https://tinhso.example.gov.vn) is set."""
    from django.conf import settings
    from django.urls import reverse

    base = getattr(settings, "SIGNING_PUBLIC_URL", None)
    if not base:
        return None
    return base.rstrip("/") + reverse("signing:ca_crl", args=[ca.fingerprint_sha256])


def _subject_for(*, kind: str, owner_user=None, owner_agency=None, organization: str = ""):
    if kind == Certificate.Kind.PERSONAL:
        full_name = owner_user.full_name or owner_user.get_full_name() or owner_user.username
        org = organization or (owner_agency.name if owner_agency else "")
        return x.name(full_name, organization=org, uid=owner_user.username)
    parent = owner_agency.parent.name if owner_agency.parent_id else ""
    return x.name(
        owner_agency.name, organization=parent or owner_agency.name, uid=owner_agency.code
    )


@transaction.atomic
def issue_certificate(
    *,
    ca: CACertificate,
    kind: str,
    owner_user=None,
    owner_agency=None,
    organization: str = "",
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    public_key: CertificatePublicKeyTypes | None = None,
    storage: str = Certificate.Storage.SERVER,
    pkcs11_module: str = "",
    pkcs11_token_label: str = "",
    pkcs11_key_label: str = "",
    pkcs11_pin: str = "",
    actor=None,
) -> Certificate:
    """Issue a certificate from a local CA. With no public key, a key pair is generated
    and its private key stored encrypted on the server."""
    key = None
    if public_key is None:
        key = x.new_key()
        public_key = key.public_key()
    cert = x.issue_leaf(
        crl_url=crl_url_for(ca),
        subject=_subject_for(
            kind=kind, owner_user=owner_user, owner_agency=owner_agency, organization=organization
        ),
        public_key=public_key,
        issuer_cert=x.load_certificate(ca.certificate_pem),
        issuer_key=_ca_key(ca),
        not_before=not_before,
        not_after=not_after,
        email=(owner_user.email if owner_user is not None else (owner_agency.email or "")),
    )
    return register_certificate(
        cert=cert,
        kind=kind,
        owner_user=owner_user,
        owner_agency=owner_agency,
        storage=storage,
        private_key=key,
        pkcs11_module=pkcs11_module,
        pkcs11_token_label=pkcs11_token_label,
        pkcs11_key_label=pkcs11_key_label,
        pkcs11_pin=pkcs11_pin,
        actor=actor,
    )


@transaction.atomic
def register_certificate(
    *,
    cert: x509.Certificate,
    kind: str,
    owner_user=None,
    owner_agency=None,
    storage: str = Certificate.Storage.SERVER,
    private_key=None,
    pkcs11_module: str = "",
    pkcs11_token_label: str = "",
    pkcs11_key_label: str = "",
    pkcs11_pin: str = "",
    actor=None,
) -> Certificate:
    """Record a certificate (issued here or by the real CA) for an official or agency."""
    info = x.describe(cert)
    existing = Certificate.objects.filter(fingerprint_sha256=info.fingerprint).first()
    if existing:
        return existing
    issuer_ca = CACertificate.objects.filter(subject=info.issuer).order_by("-not_after").first()
    row = Certificate.objects.create(
        kind=kind,
        storage=storage,
        owner_user=owner_user,
        owner_agency=owner_agency,
        subject=info.subject,
        common_name=info.common_name,
        organization=info.organization,
        issuer=info.issuer,
        issuer_ca=issuer_ca,
        serial_hex=info.serial_hex,
        fingerprint_sha256=info.fingerprint,
        not_before=info.not_before,
        not_after=info.not_after,
        certificate_pem=x.to_pem(cert),
        private_key_encrypted=encrypt_private_key(private_key) if private_key else "",
        pkcs11_module=pkcs11_module,
        pkcs11_token_label=pkcs11_token_label,
        pkcs11_key_label=pkcs11_key_label,
        pkcs11_pin_encrypted=encrypt_text(pkcs11_pin) if pkcs11_pin else "",
    )
    record(
        actor=actor,
        action="signing.register_certificate",
        obj=row,
        agency=owner_agency,
        summary={"subject": row.subject, "serial": row.serial_hex, "storage": storage},
    )
    return row


@transaction.atomic
def revoke_certificate(*, certificate: Certificate, reason: str = "", actor=None) -> Certificate:
    """Mark revoked; a local CA publishes a new CRL at once."""
    cert = Certificate.objects.select_for_update().get(pk=certificate.pk)
    if cert.status == Certificate.Status.REVOKED:
        return cert
    cert.status = Certificate.Status.REVOKED
    cert.revoked_at = timezone.now()
    cert.revocation_reason = reason[:100]
    cert.save(update_fields=["status", "revoked_at", "revocation_reason", "updated_at"])
    record(
        actor=actor,
        action="signing.revoke_certificate",
        obj=cert,
        agency=cert.owner_agency,
        summary={"serial": cert.serial_hex, "reason": reason},
    )
    if cert.issuer_ca and cert.issuer_ca.private_key_encrypted:
        publish_crl(ca=cert.issuer_ca)
    return cert


@transaction.atomic
def publish_crl(*, ca: CACertificate) -> RevocationList:
    """A fresh CRL of a local CA listing every certificate it revoked."""
    from cryptography.hazmat.primitives import serialization

    ca = CACertificate.objects.select_for_update().get(pk=ca.pk)
    ca.crl_number += 1
    ca.save(update_fields=["crl_number", "updated_at"])
    revoked = [
        (int(serial, 16), when or timezone.now())
        for serial, when in Certificate.objects.filter(
            issuer_ca=ca, status=Certificate.Status.REVOKED
        ).values_list("serial_hex", "revoked_at")
    ]
    crl = x.make_crl(
        issuer_cert=x.load_certificate(ca.certificate_pem),
        issuer_key=_ca_key(ca),
        revoked=revoked,
        number=ca.crl_number,
    )
    return RevocationList.objects.create(
        issuer_ca=ca,
        number=ca.crl_number,
        this_update=crl.last_update_utc,
        next_update=crl.next_update_utc,
        crl_der=crl.public_bytes(serialization.Encoding.DER),
    )
