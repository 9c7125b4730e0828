"""Signing with a key on a PKCS#11 token (SoftHSM2 standing in for a USB token / HSM)."""

from __future__ import annotations

import uuid

import pytest

from tinhso.core.errors import DomainError
from tinhso.signing.models import Certificate
from tinhso.signing.selectors import verify_pdf
from tinhso.signing.services import issue_certificate, sign_pdf
from tinhso.signing.token import generate_key_on_token

from .conftest import PIN, TOKEN


@pytest.fixture
def hsm_cert(softhsm, demo_ca, agency):
    key_label = f"seal-{uuid.uuid4().hex[:8]}"
    public_key = generate_key_on_token(
        module=softhsm, token_label=TOKEN, pin=PIN, key_label=key_label
    )
    return issue_certificate(
        ca=demo_ca[1],
        kind="agency",
        owner_agency=agency,
        public_key=public_key,
        storage=Certificate.Storage.PKCS11,
        pkcs11_module=softhsm,
        pkcs11_token_label=TOKEN,
        pkcs11_key_label=key_label,
        pkcs11_pin=PIN,
    )


def test_seal_signed_with_a_key_on_a_pkcs11_token_verifies(hsm_cert, clerk, agency, pdf_bytes):
    assert hsm_cert.private_key_encrypted == ""  # the key stays on the token
    assert hsm_cert.pkcs11_pin_encrypted and PIN not in hsm_cert.pkcs11_pin_encrypted
    signed = sign_pdf(pdf=pdf_bytes, signer=clerk, kind="seal", agency=agency)
    [report] = verify_pdf(signed)
    assert report.status == "valid"
    assert report.serial == hsm_cert.serial_hex
    assert report.signer_name == "Sở Nội vụ tỉnh Đà Nẵng"


def test_wrong_token_pin_is_a_clear_error(hsm_cert, clerk, agency, pdf_bytes):
    from tinhso.signing.crypto import encrypt_text

    Certificate.objects.filter(pk=hsm_cert.pk).update(pkcs11_pin_encrypted=encrypt_text("000000"))
    with pytest.raises(DomainError) as excinfo:
        sign_pdf(pdf=pdf_bytes, signer=clerk, kind="seal", agency=agency)
    assert excinfo.value.code == "pkcs11_error"


def test_pki_issue_generates_the_key_on_the_hsm(
    softhsm, demo_ca, clerk, agency, pdf_bytes, monkeypatch
):
    import io

    from django.core.management import call_command

    monkeypatch.setenv("HSM_PIN", PIN)
    out = io.StringIO()
    call_command(
        "pki",
        "issue",
        "--agency",
        agency.code,
        "--pkcs11-module",
        softhsm,
        "--token-label",
        TOKEN,
        "--key-label",
        f"cli-{uuid.uuid4().hex[:6]}",
        "--pin-env",
        "HSM_PIN",
        stdout=out,
    )
    assert "Token/HSM" in out.getvalue()
    cert = Certificate.objects.get(owner_agency=agency)
    assert cert.storage == Certificate.Storage.PKCS11 and not cert.private_key_encrypted
    sealed = sign_pdf(pdf=pdf_bytes, signer=clerk, kind="seal", agency=agency)
    assert verify_pdf(sealed)[0].status == "valid"
