"""The public verification API and page."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from tinhso.signing.services import sign_pdf


@pytest.fixture
def sealed_pdf(leader, leader_cert, clerk, agency, agency_cert, pdf_bytes) -> bytes:
    signed = sign_pdf(pdf=pdf_bytes, signer=leader, kind="personal", agency=agency)
    return sign_pdf(pdf=signed, signer=clerk, kind="seal", agency=agency)


def _upload(data: bytes, name: str = "ketqua.pdf"):
    return SimpleUploadedFile(name, data, "application/pdf")


def test_api_verifies_anonymously_and_reports_each_signature(sealed_pdf):
    r = APIClient().post(
        "/api/v1/signing/verify", {"file": _upload(sealed_pdf)}, format="multipart"
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["count"] == 2 and body["file_bytes"] == len(sealed_pdf)
    first, second = body["signatures"]
    assert first["status"] == second["status"] == "valid"
    assert first["signer_name"] == "Nguyễn Văn Đức"
    assert first["covers_whole_document"] is False and first["coverage"] == "entire_revision"
    assert second["signer_name"] == "Sở Nội vụ tỉnh Đà Nẵng"
    assert second["covers_whole_document"] is True
    assert second["issuer"] == "tinhso Demo Issuing CA"
    assert first["signed_at"] and len(first["byte_range"]) == 4


def test_api_refuses_bad_input_with_codes(db, settings, pdf_bytes):
    client = APIClient()
    r = client.post("/api/v1/signing/verify", {"file": _upload(b"xin chao")}, format="multipart")
    assert r.status_code == 400 and r.json()["code"] == "invalid_pdf"
    r = client.post("/api/v1/signing/verify", {}, format="multipart")
    assert r.status_code == 400 and r.json()["code"] == "file_required"
    settings.SIGNING_VERIFY_MAX_BYTES = 1000
    r = client.post("/api/v1/signing/verify", {"file": _upload(pdf_bytes)}, format="multipart")
    assert r.status_code == 400 and r.json()["code"] == "file_too_large"


def test_api_unsigned_pdf_has_no_signatures(db, pdf_bytes):
    r = APIClient().post("/api/v1/signing/verify", {"file": _upload(pdf_bytes)}, format="multipart")
    assert r.status_code == 200 and r.json()["count"] == 0


def test_verify_page_is_public_and_shows_both_signatures(client, sealed_pdf):
    url = reverse("signing:verify")
    page = client.get(url)
    assert page.status_code == 200
    assert "Kiểm tra chữ ký số" in page.content.decode()
    r = client.post(url, {"file": _upload(sealed_pdf)})
    html = r.content.decode()
    assert r.status_code == 200
    assert "Tệp có 2 chữ ký số." in html
    assert "Tất cả chữ ký đều hợp lệ." in html
    assert "Nguyễn Văn Đức" in html and "Sở Nội vụ tỉnh Đà Nẵng" in html
    assert "tinhso Demo Issuing CA" in html
    assert "Toàn bộ tệp" in html and "Phiên bản 2/3 của tệp" in html


def test_verify_page_shows_the_error_of_a_broken_file(client, db):
    r = client.post(reverse("signing:verify"), {"file": _upload(b"%PDF-1.4 broken")})
    assert r.status_code == 400
    assert "không phải là PDF hợp lệ" in r.content.decode()


def test_verify_page_reports_a_tampered_file(client, sealed_pdf):
    tampered = sealed_pdf.replace(b"quyet dinh so 123", b"quyet dinh so 456")
    r = client.post(reverse("signing:verify"), {"file": _upload(tampered)})
    html = r.content.decode()
    assert "Nội dung được ký đã bị thay đổi" in html
    assert "Không hợp lệ" in html


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_browser_upload_shows_both_signatures_valid(page, sealed_pdf, tmp_path):
    path = tmp_path / "van-ban.pdf"
    path.write_bytes(sealed_pdf)
    page.goto(page.base_url + reverse("signing:verify"))
    page.get_by_label("Tệp PDF đã ký số").set_input_files(str(path))
    page.get_by_role("button", name="Kiểm tra").click()
    status = page.get_by_role("status").first
    assert "Tất cả chữ ký đều hợp lệ." in status.inner_text()
    assert page.locator(".signing-report.signing-valid").count() == 2


def test_trust_page_lists_the_cas_with_certificate_and_crl_downloads(client, demo_ca):
    from cryptography import x509

    root, issuing = demo_ca
    html = client.get(reverse("signing:trust")).content.decode()
    assert "tinhso Demo Root CA" in html and "tinhso Demo Issuing CA" in html
    pem = client.get(reverse("signing:ca_certificate", args=[root.fingerprint_sha256]))
    assert x509.load_pem_x509_certificate(pem.content).subject.rfc4514_string() == root.subject
    crl = client.get(reverse("signing:ca_crl", args=[issuing.fingerprint_sha256]))
    assert x509.load_der_x509_crl(crl.content).issuer.rfc4514_string() == issuing.subject
    assert client.get(reverse("signing:ca_crl", args=["0" * 64])).status_code == 404


def test_verify_page_in_english(client, db, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(reverse("signing:verify")).content.decode()
    assert "Verify the digital signatures of a PDF file" in html
