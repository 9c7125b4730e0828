"""Signing on the official's own USB token: the server prepares, the client (played
here by a key in the test) signs the digest, the server verifies and embeds."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from tinhso.core.errors import DomainError
from tinhso.signing import ca as x
from tinhso.signing.models import Certificate, RemoteSigningSession
from tinhso.signing.selectors import verify_pdf
from tinhso.signing.services import (
    complete_remote_signing,
    issue_certificate,
    prepare_remote_signing,
)

from .helpers import appearance_text


@pytest.fixture
def token_key():
    """The private key on the official's USB token (never sent to the server)."""
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def token_cert(demo_ca, leader, agency, token_key):
    row = issue_certificate(
        ca=demo_ca[1],
        kind="personal",
        owner_user=leader,
        owner_agency=agency,
        public_key=token_key.public_key(),
        storage=Certificate.Storage.REMOTE,
    )
    assert row.private_key_encrypted == ""  # the server never had the key
    return row


def token_sign(key, digest_b64: str) -> str:
    digest = base64.b64decode(digest_b64)
    return base64.b64encode(key.sign(digest, ec.ECDSA(Prehashed(hashes.SHA256())))).decode()


def test_remote_signing_round_trip_through_the_api(
    leader, agency, token_cert, token_key, pdf_bytes
):
    client = APIClient()
    client.force_authenticate(leader)
    prepared = client.post(
        "/api/v1/signing/remote/prepare",
        {
            "file": SimpleUploadedFile("qd.pdf", pdf_bytes, "application/pdf"),
            "certificate": token_cert.certificate_pem,
            "reason": "Ký ban hành",
        },
        format="multipart",
    )
    assert prepared.status_code == 200, prepared.content
    body = prepared.json()
    assert body["algorithm"] == "ECDSA_SHA256"
    assert body["certificate_required"] is True
    # the digest is the SHA-256 of the signed attributes the server will embed
    assert (
        base64.b64decode(body["digest_b64"])
        == hashlib.sha256(base64.b64decode(body["data_to_sign_b64"])).digest()
    )

    done = client.post(
        f"/api/v1/signing/remote/{body['session_id']}/complete",
        {
            "signature_b64": token_sign(token_key, body["digest_b64"]),
            "certificate": token_cert.certificate_pem,
        },
        format="json",
    )
    assert done.status_code == 200, done.content
    signed = base64.b64decode(done.json()["pdf_b64"])
    assert done.json()["sha256"] == hashlib.sha256(signed).hexdigest()
    [report] = verify_pdf(signed)
    assert report.status == "valid"
    assert report.signer_name == "Nguyễn Văn Đức"
    assert report.covers_whole_document
    assert "Nguyễn Văn Đức" in appearance_text(signed, report.field_name)
    session = RemoteSigningSession.objects.get(uid=body["session_id"])
    assert session.status == RemoteSigningSession.Status.COMPLETED


def test_a_signature_that_does_not_match_the_digest_is_refused(
    leader, token_cert, token_key, pdf_bytes
):
    prepared = prepare_remote_signing(
        pdf=pdf_bytes, user=leader, certificate=token_cert.certificate_pem
    )
    wrong = token_sign(token_key, base64.b64encode(hashlib.sha256(b"other").digest()).decode())
    with pytest.raises(DomainError) as excinfo:
        complete_remote_signing(
            session_id=prepared["session_id"],
            user=leader,
            signature=base64.b64decode(wrong),
            certificate=token_cert.certificate_pem,
        )
    assert excinfo.value.code == "signature_mismatch"
    session = RemoteSigningSession.objects.get(uid=prepared["session_id"])
    assert session.status == RemoteSigningSession.Status.PENDING  # nothing changed
    # a signature by another key with the same certificate is refused too
    other = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(DomainError) as excinfo:
        complete_remote_signing(
            session_id=prepared["session_id"],
            user=leader,
            signature=base64.b64decode(token_sign(other, prepared["digest_b64"])),
            certificate=token_cert.certificate_pem,
        )
    assert excinfo.value.code == "signature_mismatch"


def test_a_certificate_from_an_untrusted_ca_cannot_prepare(leader, demo_ca, pdf_bytes):
    from tinhso.signing.services import register_certificate

    root_key = x.new_key()
    root = x.make_ca(subject=x.name("Rogue CA"), key=root_key)
    key = x.new_key()
    cert = x.issue_leaf(
        subject=x.name("Nguyễn Văn Đức"),
        public_key=key.public_key(),
        issuer_cert=root,
        issuer_key=root_key,
    )
    register_certificate(
        cert=cert, kind="personal", owner_user=leader, storage=Certificate.Storage.REMOTE
    )
    with pytest.raises(DomainError) as excinfo:
        prepare_remote_signing(pdf=pdf_bytes, user=leader, certificate=x.to_pem(cert))
    assert excinfo.value.code == "certificate_untrusted"
    assert not RemoteSigningSession.objects.exists()


def test_someone_elses_certificate_is_refused(clerk, token_cert, pdf_bytes):
    with pytest.raises(DomainError) as excinfo:
        prepare_remote_signing(pdf=pdf_bytes, user=clerk, certificate=token_cert.certificate_pem)
    assert excinfo.value.code == "certificate_not_registered"


def test_api_errors_are_json_with_codes(leader, token_cert, pdf_bytes):
    client = APIClient()
    client.force_authenticate(leader)
    r = client.post(
        "/api/v1/signing/remote/prepare",
        {
            "file": SimpleUploadedFile("x.pdf", b"not a pdf", "application/pdf"),
            "certificate": token_cert.certificate_pem,
        },
        format="multipart",
    )
    assert r.status_code == 400 and r.json()["code"] == "invalid_pdf"
    r = client.post(
        "/api/v1/signing/remote/00000000-0000-0000-0000-000000000000/complete",
        {"signature_b64": "AAAA", "certificate": token_cert.certificate_pem},
        format="json",
    )
    assert r.status_code == 404 and r.json()["code"] == "signing_session_not_found"
    anonymous = APIClient().post("/api/v1/signing/remote/prepare", {}, format="multipart")
    assert anonymous.status_code in (401, 403)


@pytest.mark.django_db(transaction=True)
def test_reference_client_signs_with_a_pkcs11_token_over_http(
    live_server, softhsm, demo_ca, leader, agency, pdf_bytes
):
    """The official's computer: SoftHSM2 stands in for the USB token, the reference
    client talks to the running server over HTTP with an API token."""
    import uuid

    from tinhso.accounts.services import issue_token
    from tinhso.signing.client import pkcs11_digest_signer, sign_remote
    from tinhso.signing.token import generate_key_on_token

    from .conftest import PIN, TOKEN

    key_label = f"usb-{uuid.uuid4().hex[:8]}"
    public_key = generate_key_on_token(
        module=softhsm, token_label=TOKEN, pin=PIN, key_label=key_label
    )
    cert = issue_certificate(
        ca=demo_ca[1],
        kind="personal",
        owner_user=leader,
        owner_agency=agency,
        public_key=public_key,
        storage=Certificate.Storage.REMOTE,
    )
    api_token = issue_token(user=leader)
    signed = sign_remote(
        server=live_server.url,
        api_token=api_token,
        pdf=pdf_bytes,
        certificate_pem=cert.certificate_pem,
        sign_digest=pkcs11_digest_signer(
            module=softhsm, token_label=TOKEN, pin=PIN, key_label=key_label
        ),
        reason="Ký bằng USB token",
    )
    [report] = verify_pdf(signed)
    assert report.status == "valid" and report.serial == cert.serial_hex
