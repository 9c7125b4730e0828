"""An official's certificate page: certificates, signature image, USB token registration."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from tinhso.accounts.middleware import SESSION_KEY
from tinhso.signing import ca as x
from tinhso.signing.crypto import decrypt_private_key
from tinhso.signing.images import signature_png
from tinhso.signing.models import Certificate, SignatureImage


@pytest.fixture
def official_client(client, leader):
    client.force_login(leader)
    session = client.session
    session[SESSION_KEY] = True
    session.save()
    return client


def _png(mode: str) -> bytes:
    buf = io.BytesIO()
    Image.new(mode, (40, 20), "white").save(buf, format="PNG")
    return buf.getvalue()


def test_page_lists_my_certificates_and_shows_my_signature(official_client, leader_cert):
    r = official_client.get(reverse("signing:certificates"))
    html = r.content.decode()
    assert r.status_code == 200
    assert leader_cert.serial_hex in html and "Nguyễn Văn Đức" in html
    img = official_client.get(reverse("signing:my_signature_image"))
    assert img.status_code == 200 and img["Content-Type"] == "image/png"


def test_signature_image_must_be_a_transparent_png(official_client, leader):
    url = reverse("signing:certificates")
    r = official_client.post(
        url, {"action": "image", "image": SimpleUploadedFile("k.png", _png("RGB"), "image/png")}
    )
    assert "nền trong suốt" in r.content.decode()
    assert not SignatureImage.objects.filter(owner_user=leader).exists()
    r = official_client.post(
        url,
        {
            "action": "image",
            "image": SimpleUploadedFile("k.png", signature_png("Đức"), "image/png"),
        },
    )
    assert r.status_code == 302
    assert SignatureImage.objects.filter(owner_user=leader).exists()


def test_register_the_certificate_of_my_usb_token(official_client, leader, demo_ca):
    issuing = demo_ca[1]
    key = x.new_key()
    cert = x.issue_leaf(
        subject=x.name("Nguyễn Văn Đức", organization="Sở Nội vụ"),
        public_key=key.public_key(),
        issuer_cert=x.load_certificate(issuing.certificate_pem),
        issuer_key=decrypt_private_key(issuing.private_key_encrypted),
    )
    r = official_client.post(
        reverse("signing:certificates"), {"action": "token", "certificate": x.to_pem(cert)}
    )
    assert r.status_code == 302
    row = Certificate.objects.get(owner_user=leader)
    assert row.storage == Certificate.Storage.REMOTE and row.private_key_encrypted == ""


def test_a_token_certificate_from_an_unknown_ca_is_refused(official_client, leader, demo_ca):
    root_key = x.new_key()
    root = x.make_ca(subject=x.name("CA lạ"), key=root_key)
    key = x.new_key()
    cert = x.issue_leaf(
        subject=x.name("Nguyễn Văn Đức"),
        public_key=key.public_key(),
        issuer_cert=root,
        issuer_key=root_key,
    )
    r = official_client.post(
        reverse("signing:certificates"), {"action": "token", "certificate": x.to_pem(cert)}
    )
    assert "không do tổ chức cung cấp dịch vụ chứng thực được tin cậy" in r.content.decode()
    assert not Certificate.objects.filter(owner_user=leader).exists()


def test_page_needs_login(client, db):
    r = client.get(reverse("signing:certificates"))
    assert r.status_code == 302 and "login" in r["Location"]
