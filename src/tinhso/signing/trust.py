"""What we trust: trust anchors, intermediates and CRLs from the database."""

from __future__ import annotations

import datetime as dt

from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko_certvalidator import ValidationContext

from tinhso.signing.models import CACertificate, RevocationList


def to_asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def pem_to_asn1(pem: str) -> asn1_x509.Certificate:
    return to_asn1(x509.load_pem_x509_certificate(pem.encode()))


def anchors() -> list[asn1_x509.Certificate]:
    return [
        pem_to_asn1(pem)
        for pem in CACertificate.objects.filter(is_trust_anchor=True).values_list(
            "certificate_pem", flat=True
        )
    ]


def intermediates() -> list[asn1_x509.Certificate]:
    return [
        pem_to_asn1(pem)
        for pem in CACertificate.objects.filter(is_trust_anchor=False).values_list(
            "certificate_pem", flat=True
        )
    ]


# The newest CRL of a CA first: by its date, then its number (two CRLs published in the
# same second carry the same thisUpdate; the later one has the higher number).
LATEST_FIRST = ("issuer_ca_id", "-this_update", "-number", "-pk")


def latest_crls() -> list[bytes]:
    """The newest CRL of each CA."""
    seen: set[int] = set()
    result = []
    for row in RevocationList.objects.order_by(*LATEST_FIRST).only("issuer_ca_id", "crl_der"):
        if row.issuer_ca_id in seen:
            continue
        seen.add(row.issuer_ca_id)
        result.append(bytes(row.crl_der))
    return result


def revoked_serials() -> dict[tuple[str, int], dt.datetime]:
    """{(issuer DN, serial): revocation time} from the latest CRLs.

    Read for every signature made or checked: the latest CRL of each CA is found by a
    query of their identities only (id, number, dates: a CRL row is never changed), and
    the parsed entries are kept per that set of CRLs, so a new CRL is seen at once."""
    latest: dict[int, tuple] = {}
    for row in RevocationList.objects.order_by(*LATEST_FIRST).values_list(
        "pk", "issuer_ca_id", "number", "this_update", "imported_at"
    ):
        latest.setdefault(row[1], row)
    key = tuple(sorted(latest.values()))
    cached = _REVOKED.get(key)
    if cached is not None:
        return dict(cached)
    result: dict[tuple[str, int], dt.datetime] = {}
    ids = [row[0] for row in key]
    for der in RevocationList.objects.filter(pk__in=ids).values_list("crl_der", flat=True):
        crl = x509.load_der_x509_crl(bytes(der))
        issuer = crl.issuer.rfc4514_string()
        for entry in crl:
            result[(issuer, entry.serial_number)] = entry.revocation_date_utc
    _REVOKED.clear()  # only the current set is worth keeping
    _REVOKED[key] = result
    return dict(result)


_REVOKED: dict[tuple, dict[tuple[str, int], dt.datetime]] = {}


def validation_context(moment: dt.datetime | None = None) -> ValidationContext:
    """Offline validation: our anchors, intermediates and CRLs; no network fetching."""
    crls = [asn1_crl.CertificateList.load(der) for der in latest_crls()]
    return ValidationContext(
        trust_roots=anchors(),
        other_certs=intermediates(),
        crls=crls,
        allow_fetching=False,
        revocation_mode="soft-fail",
        moment=moment,
        best_signature_time=moment,
    )
