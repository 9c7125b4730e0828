"""Signing and verifying PDFs: valid, tampered, modified, untrusted, expired, revoked,
two signatures, appearances, bad input."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from asn1crypto import keys as asn1_keys
from cryptography.hazmat.primitives import serialization
from django.utils import timezone
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pypdf import PdfReader, PdfWriter

from tinhso.audit.models import AuditEntry
from tinhso.core.errors import DomainError, PermissionDenied
from tinhso.signing import appearance
from tinhso.signing import ca as x
from tinhso.signing.models import Certificate
from tinhso.signing.selectors import verify_pdf
from tinhso.signing.services import issue_certificate, revoke_certificate, sign_pdf
from tinhso.signing.trust import to_asn1

from .conftest import make_pdf
from .helpers import appearance_text, widget_rect


def _code(excinfo) -> str:
    return excinfo.value.code


def test_personal_signature_is_valid_pades_and_covers_the_whole_file(
    leader, leader_cert, agency, pdf_bytes
):
    signed = sign_pdf(pdf=pdf_bytes, signer=leader, kind="personal", agency=agency, reason="Ký")
    assert signed.startswith(pdf_bytes)  # incremental update: the original is untouched
    [report] = verify_pdf(signed)
    assert report.status == "valid"
    assert report.intact and report.valid and report.trusted
    assert not report.expired and not report.revoked
    assert report.covers_whole_document and report.coverage == "entire_file"
    assert report.subfilter == "ETSI.CAdES.detached"
    assert report.signer_name == "Nguyễn Văn Đức"
    assert report.signer_agency == "Sở Nội vụ tỉnh Đà Nẵng"
    assert report.issuer == "tinhso Demo Issuing CA"
    assert report.signed_at is not None
    assert abs(report.signed_at - timezone.now()) < dt.timedelta(minutes=5)
    assert report.byte_range[0] == 0 and report.byte_range[2] + report.byte_range[3] == len(signed)
    assert report.summary.startswith("Chữ ký hợp lệ")
    assert AuditEntry.objects.filter(action="signing.sign_personal").count() == 1


def test_unsigned_pdf_has_no_signature_reports(db, pdf_bytes):
    assert verify_pdf(pdf_bytes) == []


def test_tampered_bytes_after_signing_are_reported_not_intact(
    leader, leader_cert, agency, pdf_bytes
):
    signed = sign_pdf(pdf=pdf_bytes, signer=leader, kind="personal", agency=agency)
    assert b"Noi dung trang 1: quyet dinh so 123" in signed
    tampered = signed.replace(
        b"Noi dung trang 1: quyet dinh so 123", b"Noi dung trang 1: quyet dinh so 999"
    )
    [report] = verify_pdf(tampered)
    assert not report.intact
    assert report.status == "invalid"
    assert "bị thay đổi" in report.summary


def test_content_changed_by_an_update_after_signing_is_reported(
    leader, leader_cert, agency, pdf_bytes
):
    signed = sign_pdf(pdf=pdf_bytes, signer=leader, kind="personal", agency=agency)
    w = IncrementalPdfFileWriter(io.BytesIO(signed))
    stream = w.add_object(generic.StreamObject(stream_data=b"1 0 0 rg 72 700 200 40 re f"))
    w.add_stream_to_page(0, stream)
    out = io.BytesIO()
    w.write(out)
    [report] = verify_pdf(out.getvalue())
    assert report.intact  # the signed revision itself is unchanged ...
    assert not report.covers_whole_document
    assert report.coverage == "entire_revision"
    assert report.modification == "other"  # ... but the page was changed afterwards
    assert report.status == "invalid"
    assert "thay đổi nội dung sau khi ký" in report.summary


def test_personal_then_seal_both_valid_first_covers_only_its_revision(
    leader, leader_cert, clerk, agency, agency_cert, pdf_bytes
):
    signed = sign_pdf(pdf=pdf_bytes, signer=leader, kind="personal", agency=agency)
    sealed = sign_pdf(pdf=signed, signer=clerk, kind="seal", agency=agency)
    first, second = verify_pdf(sealed)
    assert first.field_name == "Sig-personal-1" and second.field_name == "Sig-seal-1"
    assert first.status == "valid" and second.status == "valid"
    assert first.signer_name == "Nguyễn Văn Đức"
    assert second.signer_name == "Sở Nội vụ tỉnh Đà Nẵng"
    # the personal signature covers a prefix of the file: its own revision
    assert not first.covers_whole_document and first.coverage == "entire_revision"
    assert first.modification == "signatures_added"
    assert first.signed_bytes < second.signed_bytes <= len(sealed)
    assert first.revision == 2 and second.revision == 3 and second.total_revisions == 3
    assert second.covers_whole_document


def test_seal_overlaps_the_left_third_of_the_signature_image(
    leader, leader_cert, clerk, agency, agency_cert, pdf_bytes
):
    signed = sign_pdf(pdf=pdf_bytes, signer=leader, kind="personal", agency=agency)
    sealed = sign_pdf(pdf=signed, signer=clerk, kind="seal", agency=agency)
    page_p, (px1, py1, px2, py2) = widget_rect(sealed, "Sig-personal-1")
    page_s, (sx1, sy1, sx2, sy2) = widget_rect(sealed, "Sig-seal-1")
    assert page_p == page_s == 0
    img_left = px1 + appearance.IMAGE_BOX[0]
    img_w = appearance.IMAGE_BOX[2] - appearance.IMAGE_BOX[0]
    assert sx2 == pytest.approx(img_left + img_w / 3, abs=1)  # covers the left third
    assert sx1 < img_left  # and extends to its left
    assert sy1 < py1 + appearance.IMAGE_BOX[3] and sy2 > py1 + appearance.IMAGE_BOX[1]


def test_appearances_render_vietnamese_text(
    leader, leader_cert, clerk, agency, agency_cert, pdf_bytes
):
    signed = sign_pdf(pdf=pdf_bytes, signer=leader, kind="personal", agency=agency)
    text = appearance_text(signed, "Sig-personal-1")
    assert "GIÁM ĐỐC" in text
    assert "Nguyễn Văn Đức" in text
    attachment = sign_pdf(
        pdf=make_pdf(), signer=clerk, kind="seal", agency=agency, seal_text="123/QĐ-SNV"
    )
    text = appearance_text(attachment, "Sig-seal-1")
    assert "Số, ký hiệu: 123/QĐ-SNV" in text
    assert "Sở Nội vụ tỉnh Đà Nẵng" in text
    assert "+07:00" in text  # signing time in ISO 8601, Vietnam time
    [report] = verify_pdf(attachment)
    assert report.status == "valid"


def _foreign_signed_pdf(pdf: bytes) -> bytes:
    """A PDF signed with a certificate of a CA we do not trust."""
    root_key = x.new_key()
    root = x.make_ca(subject=x.name("Unknown Root CA"), key=root_key)
    key = x.new_key()
    cert = x.issue_leaf(
        subject=x.name("Kẻ Mạo Danh", organization="Không rõ"),
        public_key=key.public_key(),
        issuer_cert=root,
        issuer_key=root_key,
    )
    der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    signer = signers.SimpleSigner(
        signing_cert=to_asn1(cert),
        signing_key=asn1_keys.PrivateKeyInfo.load(der),
        cert_registry=SimpleCertificateStore.from_certs([to_asn1(root)]),
    )
    meta = signers.PdfSignatureMetadata(field_name="Sig1", subfilter=fields.SigSeedSubFilter.PADES)
    return signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)), meta, signer).getvalue()


def test_signature_from_an_untrusted_ca_is_reported_not_trusted(demo_ca, pdf_bytes):
    [report] = verify_pdf(_foreign_signed_pdf(pdf_bytes))
    assert report.intact and report.valid
    assert not report.trusted
    assert report.status == "invalid"
    assert report.signer_name == "Kẻ Mạo Danh"
    assert report.issuer == "Unknown Root CA"
    assert "không thuộc tổ chức chứng thực được tin cậy" in report.summary


def test_expired_certificate_cannot_sign(demo_ca, leader, agency, pdf_bytes):
    now = timezone.now()
    issue_certificate(
        ca=demo_ca[1],
        kind="personal",
        owner_user=leader,
        owner_agency=agency,
        not_before=now - dt.timedelta(days=800),
        not_after=now - dt.timedelta(days=1),
    )
    with pytest.raises(DomainError) as excinfo:
        sign_pdf(pdf=pdf_bytes, signer=leader, kind="personal", agency=agency)
    assert _code(excinfo) == "certificate_expired"
    assert not AuditEntry.objects.filter(action="signing.sign_personal").exists()


def test_signature_verified_after_the_certificate_expired_reports_expiry(
    leader, leader_cert, agency, pdf_bytes
):
    signed = sign_pdf(pdf=pdf_bytes, signer=leader, kind="personal", agency=agency)
    later = leader_cert.not_after + dt.timedelta(days=30)
    [report] = verify_pdf(signed, at=later)
    assert report.expired
    assert report.intact
    assert report.trusted  # the chain was trusted when the document was signed
    assert report.status == "warning"
    assert "hết hạn" in report.summary


def test_revoked_certificate_is_reported_and_cannot_sign_any_more(
    leader, leader_cert, agency, pdf_bytes
):
    signed = sign_pdf(pdf=pdf_bytes, signer=leader, kind="personal", agency=agency)
    revoke_certificate(certificate=leader_cert, reason="key_compromise")
    [report] = verify_pdf(signed)
    assert report.revoked and report.revoked_at is not None
    assert report.status == "invalid"
    assert "thu hồi" in report.summary
    with pytest.raises(DomainError) as excinfo:
        sign_pdf(pdf=pdf_bytes, signer=leader, kind="personal", agency=agency)
    assert _code(excinfo) == "certificate_revoked"


def test_signer_without_certificate_gets_no_certificate(leader, agency, clerk, demo_ca, pdf_bytes):
    with pytest.raises(DomainError) as excinfo:
        sign_pdf(pdf=pdf_bytes, signer=leader, kind="personal", agency=agency)
    assert _code(excinfo) == "no_certificate"
    with pytest.raises(DomainError) as excinfo:
        sign_pdf(pdf=pdf_bytes, signer=clerk, kind="seal", agency=agency)
    assert _code(excinfo) == "no_certificate"


def test_seal_needs_a_clerk_or_leader_of_the_agency(agency_cert, agency, pdf_bytes, db):
    from tinhso.accounts.models import User

    outsider = User.objects.create_user(
        username="ngoai", password="x-Very-long-pass-1", kind=User.Kind.OFFICIAL
    )
    with pytest.raises(PermissionDenied):
        sign_pdf(pdf=pdf_bytes, signer=outsider, kind="seal", agency=agency)


def test_private_keys_are_stored_encrypted(leader_cert):
    row = Certificate.objects.get(pk=leader_cert.pk)
    assert row.private_key_encrypted
    assert "PRIVATE KEY" not in row.private_key_encrypted


def _encrypted(pdf: bytes) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.encrypt(user_password="matkhau", owner_password="chu", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(
    "make, code",
    [
        (lambda pdf: b"GIF89a not a pdf at all", "invalid_pdf"),
        (lambda pdf: b"", "invalid_pdf"),
        (lambda pdf: pdf[: len(pdf) // 3], "invalid_pdf"),
        (lambda pdf: b"%PDF-1.7\n" + b"\x00garbage" * 50, "invalid_pdf"),
        (_encrypted, "encrypted_pdf"),
    ],
    ids=["not-pdf", "empty", "truncated", "garbage", "encrypted"],
)
def test_bad_pdf_input_is_refused_with_a_stable_code(
    leader, leader_cert, agency, pdf_bytes, make, code
):
    bad = make(pdf_bytes)
    with pytest.raises(DomainError) as excinfo:
        sign_pdf(pdf=bad, signer=leader, kind="personal", agency=agency)
    assert _code(excinfo) == code
    with pytest.raises(DomainError) as excinfo:
        verify_pdf(bad)
    assert _code(excinfo) == code
    assert not AuditEntry.objects.filter(action="signing.sign_personal").exists()


def test_signing_a_fifty_page_pdf_puts_the_signature_on_the_last_page(leader, leader_cert, agency):
    signed = sign_pdf(pdf=make_pdf(pages=5), signer=leader, kind="personal", agency=agency)
    page, _rect = widget_rect(signed, "Sig-personal-1")
    assert page == 4
    assert verify_pdf(signed)[0].status == "valid"


def test_a_certified_document_that_forbids_changes_cannot_be_signed_again(
    leader, leader_cert, agency, pdf_bytes
):
    from pyhanko.sign.fields import MDPPerm

    from tinhso.signing.services.sign import build_signer

    opened = build_signer(leader_cert)
    meta = signers.PdfSignatureMetadata(
        field_name="Author", certify=True, docmdp_permissions=MDPPerm.NO_CHANGES
    )
    certified = signers.sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(pdf_bytes)), meta, opened.signer
    ).getvalue()
    with pytest.raises(DomainError) as excinfo:
        sign_pdf(pdf=certified, signer=leader, kind="personal", agency=agency)
    assert excinfo.value.code == "document_locked"


def test_a_damaged_signature_container_is_reported_not_a_crash(
    leader, leader_cert, agency, pdf_bytes
):
    signed = sign_pdf(pdf=pdf_bytes, signer=leader, kind="personal", agency=agency)
    start = signed.index(b"/Contents <") + len(b"/Contents <")
    damaged = signed[:start] + b"00" * 40 + signed[start + 80 :]
    [report] = verify_pdf(damaged)
    assert not report.intact and not report.valid
    assert report.status == "invalid"


def test_a_second_signer_gets_a_slot_beside_the_first(
    leader, leader_cert, clerk, agency, agency_cert, demo_ca, pdf_bytes
):
    from tinhso.accounts.models import User

    deputy = User.objects.create_user(
        username="pho.snv", kind=User.Kind.OFFICIAL, full_name="Lê Thị Phó"
    )
    issue_certificate(ca=demo_ca[1], kind="personal", owner_user=deputy, owner_agency=agency)
    first = sign_pdf(pdf=pdf_bytes, signer=leader, kind="personal", agency=agency)
    both = sign_pdf(pdf=first, signer=deputy, kind="personal", agency=agency)
    _, (ax1, ay1, ax2, ay2) = widget_rect(both, "Sig-personal-1")
    _, (bx1, by1, bx2, by2) = widget_rect(both, "Sig-personal-2")
    assert bx2 <= ax1 and by1 == ay1  # same row, to the left: no overlap
    sealed = sign_pdf(pdf=both, signer=clerk, kind="seal", agency=agency)
    _, (sx1, _sy1, sx2, _sy2) = widget_rect(sealed, "Sig-seal-1")
    assert bx1 - 20 < sx2 < bx2  # the seal goes on the last signer's image
    assert [r.status for r in verify_pdf(sealed)] == ["valid", "valid", "valid"]
