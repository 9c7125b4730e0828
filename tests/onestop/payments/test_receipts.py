"""E-receipts (issue 8, item 10): amount in words, a series and a number per collecting
agency and year, the agency's name and code, the payer and the content; rendered once,
sealed with the agency's seal signature, stored with its SHA-256 and served as stored."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from tests.onestop.conftest import submit, vn
from tinhso.audit.models import AuditEntry
from tinhso.onestop.models import Payment
from tinhso.onestop.payments import receipts, sandbox
from tinhso.onestop.payments.services import handle_callback, record_cash_payment
from tinhso.onestop.payments.words import amount_in_words
from tinhso.onestop.services.clock import frozen
from tinhso.signing.models import Certificate
from tinhso.signing.selectors import verify_pdf
from tinhso.signing.services import ensure_demo_ca, issue_certificate, revoke_certificate

pytestmark = pytest.mark.django_db


@pytest.fixture
def sealing_world(fee_world):
    """The competent agency (Sở Tư pháp) holds a seal certificate from the demo CA."""
    _root, issuing = ensure_demo_ca()
    fee_world.seal = issue_certificate(
        ca=issuing, kind=Certificate.Kind.AGENCY, owner_agency=fee_world.dept
    )
    return fee_world


def _pay_online(payment: Payment) -> None:
    params = sandbox.SandboxProvider().callback_params(
        reference=payment.reference,
        amount=payment.amount_vnd,
        order=str(payment.dossier.uid),
        success=True,
        txn=f"SBX{payment.pk}",
    )
    assert handle_callback(provider="sandbox", params=params)[0] == "applied"


def _paid(w, at=None) -> Payment:
    with frozen(at or vn(2026, 3, 2, 9, 0)):
        dossier = submit(w)
        payment = Payment.objects.get(dossier=dossier)
        _pay_online(payment)
    payment.refresh_from_db()
    return payment


def _text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        (200000, "Hai trăm nghìn đồng"),
        (8000, "Tám nghìn đồng"),
        (15000, "Mười lăm nghìn đồng"),
        (21000, "Hai mươi mốt nghìn đồng"),
        (105000, "Một trăm linh năm nghìn đồng"),
        (1000000, "Một triệu đồng"),
        (1005000, "Một triệu không trăm linh năm nghìn đồng"),
        (1050000, "Một triệu không trăm năm mươi nghìn đồng"),
        (1000001, "Một triệu không trăm linh một đồng"),
        (1234567, "Một triệu hai trăm ba mươi bốn nghìn năm trăm sáu mươi bảy đồng"),
        (2500000000, "Hai tỷ năm trăm triệu đồng"),
        (1000000000000, "Một nghìn tỷ đồng"),
    ],
)
def test_amount_in_words_reads_like_a_financial_document(amount, words):
    assert amount_in_words(amount) == words


def test_receipts_are_numbered_per_collecting_agency_and_year(sealing_world):
    w = sealing_world
    first, second = _paid(w), _paid(w)
    assert (first.receipt_series, first.receipt_number) == ("BL-26E", "0000001")
    assert (second.receipt_series, second.receipt_number) == ("BL-26E", "0000002")
    assert first.collecting_agency == w.dept and first.receipt_reference == "BL-26E số 0000001"
    # another collecting agency starts its own numbers
    w.procedure.agency = w.other
    w.procedure.save()
    other = _paid(w)
    assert (other.collecting_agency, other.receipt_number) == (w.other, "0000001")
    # a new year, a new series, numbers from 1 again
    w.procedure.agency = w.dept
    w.procedure.save()
    next_year = _paid(w, at=vn(2027, 1, 4, 9, 0))
    assert (next_year.receipt_series, next_year.receipt_number) == ("BL-27E", "0000001")


def test_the_receipt_is_sealed_by_the_collecting_agency_and_served_as_stored(sealing_world):
    w = sealing_world
    payment = _paid(w)
    browser = Client()
    browser.force_login(w.citizen)
    url = reverse("onestop:payment_receipt", args=[payment.dossier.uid, payment.uid])
    first = browser.get(url)
    assert first.status_code == 200 and first["Content-Type"] == "application/pdf"
    data = first.content
    [report] = verify_pdf(data)
    assert report.valid and report.intact and report.trusted
    assert report.serial.lower().lstrip("0") == w.seal.serial_hex.lower().lstrip("0")
    text = _text(data)
    for expected in (
        "BIÊN LAI THU PHÍ, LỆ PHÍ",
        "Ký hiệu: BL-26E",
        "Số: 0000001",
        "Sở Tư pháp",
        "H41.15",  # the collecting agency's code
        "Nguyễn Văn A",
        "Cấp bản sao trích lục hộ tịch",
        "200.000 đồng",
        "Hai trăm nghìn đồng",
        "Ngày 02 tháng 03 năm 2026",
        "THANH TOÁN THỬ NGHIỆM",
    ):
        assert expected in text, expected
    assert "chưa cấp mã" not in text
    code = receipts.dossier_code(payment.dossier)
    if code:
        assert code in text
    payment.refresh_from_db()
    assert payment.receipt_sha256 == hashlib.sha256(data).hexdigest()
    assert payment.receipt_sealed_by == w.seal.serial_hex
    # served as stored: the same bytes every time, rendered and audited once
    assert browser.get(url).content == data
    assert receipts.issue(payment_id=payment.pk).receipt_file.name == payment.receipt_file.name
    assert AuditEntry.objects.filter(action="onestop.receipt_issued").count() == 1


def test_a_stored_receipt_that_no_longer_matches_its_digest_is_not_served(sealing_world):
    w = sealing_world
    payment = receipts.issue(payment_id=_paid(w).pk)
    with default_storage.open(payment.receipt_file.name, "wb") as handle:
        handle.write(b"%PDF-1.7 forged")
    browser = Client()
    browser.force_login(w.citizen)
    url = reverse("onestop:payment_receipt", args=[payment.dossier.uid, payment.uid])
    page = browser.get(url, follow=True)
    assert page.redirect_chain and "không còn nguyên vẹn" in page.content.decode()


def test_without_a_usable_seal_no_receipt_is_issued_and_the_page_says_why(sealing_world):
    w = sealing_world
    revoke_certificate(certificate=w.seal, reason="thử nghiệm")
    payment = _paid(w)
    assert payment.status == "paid" and payment.receipt_number == "0000001"
    browser = Client()
    browser.force_login(w.citizen)
    url = reverse("onestop:payment_receipt", args=[payment.dossier.uid, payment.uid])
    page = browser.get(url, follow=True)
    assert "chưa được phát hành" in page.content.decode()
    payment.refresh_from_db()
    assert not payment.receipt_file and not payment.receipt_sealed_by
    # once the agency has a seal again, the same number is issued, sealed
    _root, issuing = ensure_demo_ca()
    issue_certificate(ca=issuing, kind=Certificate.Kind.AGENCY, owner_agency=w.dept)
    response = browser.get(url)
    assert response.status_code == 200 and verify_pdf(response.content)[0].valid
    assert "Số: 0000001" in _text(response.content)


def test_a_cash_payment_at_the_counter_gets_the_same_kind_of_receipt(sealing_world):
    from tinhso.onestop import services

    w = sealing_world
    dossier = services.receive_counter_dossier(
        officer=w.officer,
        procedure=w.procedure,
        applicant_name="Lê Văn C",
        form_data={"ho_ten": "Lê Văn C"},
    )
    payment = Payment.objects.get(dossier=dossier)
    record_cash_payment(payment=payment, officer=w.officer)
    text = _text(receipts.stored_pdf(Payment.objects.get(pk=payment.pk)))
    assert "Tiền mặt tại Bộ phận Một cửa" in text and "Lê Văn C" in text
    assert dossier.code in text and "THỬ NGHIỆM" not in text


def test_another_citizen_cannot_fetch_the_receipt(sealing_world):
    w = sealing_world
    payment = _paid(w)
    browser = Client()
    browser.force_login(w.citizen2)
    url = reverse("onestop:payment_receipt", args=[payment.dossier.uid, payment.uid])
    assert browser.get(url).status_code == 403
    payment.refresh_from_db()
    assert not payment.receipt_file  # nothing was issued on their behalf either
