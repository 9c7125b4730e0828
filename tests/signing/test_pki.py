"""The `tinhso pki` command and the demo: demo CA, certificates, roots, CRLs."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from tinhso.signing import ca as x
from tinhso.signing.models import CACertificate, Certificate, RevocationList, SignatureImage
from tinhso.signing.selectors import verify_pdf
from tinhso.signing.services import sign_pdf


def _run(*args) -> str:
    out = io.StringIO()
    call_command("pki", *args, stdout=out)
    return out.getvalue()


def test_init_demo_is_idempotent_and_covers_leaders_and_agencies(leader, clerk, agency):
    _run("init-demo")
    counts = (
        CACertificate.objects.count(),
        Certificate.objects.count(),
        SignatureImage.objects.count(),
        RevocationList.objects.count(),
    )
    assert CACertificate.objects.filter(common_name="tinhso Demo Root CA", is_trust_anchor=True)
    assert Certificate.objects.filter(owner_user=leader, status="active").exists()
    assert Certificate.objects.filter(owner_agency=agency, kind="agency").exists()
    assert Certificate.objects.filter(status="revoked").count() == 1
    assert SignatureImage.objects.filter(owner_user=leader).exists()
    assert SignatureImage.objects.filter(owner_agency=agency, kind="seal").exists()
    _run("init-demo")
    assert counts == (
        CACertificate.objects.count(),
        Certificate.objects.count(),
        SignatureImage.objects.count(),
        RevocationList.objects.count(),
    )


def test_demo_signers_can_sign_right_away(leader, clerk, agency, pdf_bytes):
    _run("init-demo")
    signed = sign_pdf(pdf=pdf_bytes, signer=leader, kind="personal", agency=agency)
    sealed = sign_pdf(pdf=signed, signer=clerk, kind="seal", agency=agency)
    assert [r.status for r in verify_pdf(sealed)] == ["valid", "valid"]


def test_import_root_makes_a_foreign_ca_trusted(db, tmp_path):
    key = x.new_key()
    root = x.make_ca(subject=x.name("Root CA Chính phủ (thử)"), key=key)
    path = tmp_path / "root.pem"
    path.write_text(x.to_pem(root))
    assert "gốc tin cậy" in _run("import-root", str(path))
    _run("import-root", str(path))  # twice: no duplicate
    row = CACertificate.objects.get(common_name="Root CA Chính phủ (thử)")
    assert row.is_trust_anchor


def test_import_root_refuses_garbage_and_leaf_certificates(demo_ca, leader, tmp_path):
    bad = tmp_path / "bad.pem"
    bad.write_bytes(b"nonsense")
    with pytest.raises(CommandError, match="invalid_certificate"):
        _run("import-root", str(bad))
    from tinhso.signing.services import issue_certificate

    leaf = issue_certificate(ca=demo_ca[1], kind="personal", owner_user=leader)
    path = tmp_path / "leaf.pem"
    path.write_text(leaf.certificate_pem)
    with pytest.raises(CommandError, match="not_a_ca_certificate"):
        _run("import-root", str(path))


def test_issue_expired_and_revoke_by_serial(leader, agency, pdf_bytes):
    _run("issue", "--user", leader.username, "--expired")
    assert Certificate.objects.get(owner_user=leader).is_expired
    from tinhso.core.errors import DomainError

    with pytest.raises(DomainError) as excinfo:
        sign_pdf(pdf=pdf_bytes, signer=leader, kind="personal", agency=agency)
    assert excinfo.value.code == "certificate_expired"
    _run("issue", "--agency", agency.code)
    cert = Certificate.objects.get(owner_agency=agency, kind="agency")
    _run("revoke", cert.serial_hex, "--reason", "mất token")
    cert.refresh_from_db()
    assert cert.status == "revoked"
    crl = RevocationList.objects.filter(issuer_ca=cert.issuer_ca).order_by("-number").first()
    from cryptography import x509

    parsed = x509.load_der_x509_crl(bytes(crl.crl_der))
    assert parsed.get_revoked_certificate_by_serial_number(int(cert.serial_hex, 16)) is not None


def test_imported_root_and_crl_drive_trust_and_revocation(leader, agency, pdf_bytes):
    """Production path: the real CA's root is imported, an official's certificate from
    it is registered, later the CA's CRL lists it: signing stops, verification says so."""
    import datetime as dt

    from cryptography.hazmat.primitives import serialization

    from tinhso.core.errors import DomainError
    from tinhso.signing.services import import_crl, register_certificate

    root_key = x.new_key()
    root = x.make_ca(subject=x.name("Gov Root CA (test)"), key=root_key)
    CACertificate.objects.all().delete()
    from tinhso.signing.services import import_ca_certificates

    import_ca_certificates(data=x.to_pem(root).encode())
    key = x.new_key()
    cert = x.issue_leaf(
        subject=x.name("Nguyễn Văn Đức", organization="Sở Nội vụ"),
        public_key=key.public_key(),
        issuer_cert=root,
        issuer_key=root_key,
    )
    register_certificate(cert=cert, kind="personal", owner_user=leader, private_key=key)
    signed = sign_pdf(pdf=pdf_bytes, signer=leader, kind="personal", agency=agency)
    assert verify_pdf(signed)[0].status == "valid"

    crl = x.make_crl(
        issuer_cert=root,
        issuer_key=root_key,
        revoked=[(cert.serial_number, x.utcnow() - dt.timedelta(minutes=1))],
        number=1,
    )
    import_crl(data=crl.public_bytes(serialization.Encoding.PEM))
    with pytest.raises(DomainError) as excinfo:
        sign_pdf(pdf=pdf_bytes, signer=leader, kind="personal", agency=agency)
    assert excinfo.value.code == "certificate_revoked"
    [report] = verify_pdf(signed)
    assert report.revoked and report.status == "invalid"


def test_import_crl_refuses_a_crl_of_an_unknown_ca(db):
    from tinhso.core.errors import DomainError
    from tinhso.signing.services import import_crl

    key = x.new_key()
    root = x.make_ca(subject=x.name("Nobody CA"), key=key)
    crl = x.make_crl(issuer_cert=root, issuer_key=key, revoked=[], number=1)
    from cryptography.hazmat.primitives import serialization

    with pytest.raises(DomainError) as excinfo:
        import_crl(data=crl.public_bytes(serialization.Encoding.DER))
    assert excinfo.value.code == "crl_issuer_unknown"


def test_register_a_certificate_with_its_key_file(demo_ca, leader, agency, tmp_path, pdf_bytes):
    from cryptography.hazmat.primitives import serialization

    from tinhso.signing.crypto import decrypt_private_key

    issuing = demo_ca[1]
    key = x.new_key()
    cert = x.issue_leaf(
        subject=x.name("Nguyễn Văn Đức", organization="Sở Nội vụ"),
        public_key=key.public_key(),
        issuer_cert=x.load_certificate(issuing.certificate_pem),
        issuer_key=decrypt_private_key(issuing.private_key_encrypted),
    )
    (tmp_path / "c.pem").write_text(x.to_pem(cert))
    (tmp_path / "k.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    other = tmp_path / "other.pem"
    other.write_bytes(
        x.new_key().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    args = ("register", "--user", leader.username, "--cert", str(tmp_path / "c.pem"))
    with pytest.raises(CommandError, match="không khớp"):
        _run(*args, "--key", str(other))
    assert "Lưu trên máy chủ" in _run(*args, "--key", str(tmp_path / "k.pem"))
    row = Certificate.objects.get(owner_user=leader)
    assert row.storage == "server" and row.owner_agency == agency
    signed = sign_pdf(pdf=pdf_bytes, signer=leader, kind="personal", agency=agency)
    assert verify_pdf(signed)[0].serial == row.serial_hex


def test_issued_certificates_name_the_public_crl_url(demo_ca, leader, settings):
    from cryptography import x509

    from tinhso.signing.services import issue_certificate

    settings.SIGNING_PUBLIC_URL = "https://tinhso.example.gov.vn/"
    row = issue_certificate(ca=demo_ca[1], kind="personal", owner_user=leader)
    cert = x.load_certificate(row.certificate_pem)
    dp = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    url = dp[0].full_name[0].value
    assert url == (f"https://tinhso.example.gov.vn/signing/ca/{demo_ca[1].fingerprint_sha256}.crl")


def test_pki_verify_prints_each_signature(leader, leader_cert, agency, pdf_bytes, tmp_path):
    signed = sign_pdf(pdf=pdf_bytes, signer=leader, kind="personal", agency=agency)
    path = tmp_path / "s.pdf"
    path.write_bytes(signed)
    out = _run("verify", str(path))
    assert "[valid] Sig-personal-1: Nguyễn Văn Đức" in out
    path.write_bytes(signed.replace(b"quyet dinh so 123", b"quyet dinh so 321"))
    with pytest.raises(CommandError):
        _run("verify", str(path))
