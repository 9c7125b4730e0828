"""The applicant's payment pages (issue 8, item 10): the sandbox checkout names the dossier
and the procedure and formats the amount; after paying, a confirmation links back to the
dossier and to the sealed e-receipt."""

from __future__ import annotations

import io
import re
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from tests.onestop.conftest import submit
from tinhso.onestop.models import Payment
from tinhso.onestop.payments import receipts
from tinhso.signing.models import Certificate
from tinhso.signing.services import ensure_demo_ca, issue_certificate

pytestmark = pytest.mark.django_db


def _visible(response) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


@pytest.fixture
def citizen(fee_world) -> Client:
    _root, issuing = ensure_demo_ca()
    issue_certificate(ca=issuing, kind=Certificate.Kind.AGENCY, owner_agency=fee_world.dept)
    browser = Client()
    browser.force_login(fee_world.citizen)
    return browser


def test_citizen_pays_on_the_sandbox_sees_a_confirmation_and_gets_the_receipt(fee_world, citizen):
    w = fee_world
    dossier = submit(w)
    payment = Payment.objects.get(dossier=dossier)
    page = _visible(citizen.get(reverse("onestop:dossier", args=[dossier.uid])))
    assert "Thanh toán trực tuyến" in page and "200.000 đ" in page
    redirect = citizen.post(reverse("onestop:pay", args=[dossier.uid, payment.uid]))
    assert redirect.status_code == 302 and "sandbox/checkout" in redirect["Location"]
    checkout = _visible(citizen.get(redirect["Location"]))
    assert "200.000 đ" in checkout and "200000 đ" not in checkout
    assert w.procedure.name in checkout
    code = receipts.dossier_code(dossier)
    if code:
        assert code in checkout
    assert str(dossier.uid) not in checkout  # no internal identifier shown to the payer
    back = citizen.post(redirect["Location"], {"decision": "pay"})
    done_url = reverse("onestop:payment_done", args=[dossier.uid, payment.uid])
    assert back.status_code == 302 and back["Location"].startswith(f"http://testserver{done_url}")
    done = citizen.get(back["Location"])
    text = _visible(done)
    assert "Đã thanh toán thành công 200.000 đ" in text
    payment.refresh_from_db()
    assert payment.receipt_reference in text
    html = done.content.decode()
    assert reverse("onestop:dossier", args=[dossier.uid]) in html  # back to the dossier
    receipt_url = reverse("onestop:payment_receipt", args=[dossier.uid, payment.uid])
    assert receipt_url in html
    pdf = citizen.get(receipt_url).content
    pdf_text = " ".join(PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())
    assert "Số: 0000001" in pdf_text and "200.000 đồng" in pdf_text
    # the dossier page lists the receipt by its series and number
    assert payment.receipt_reference in _visible(
        citizen.get(reverse("onestop:dossier", args=[dossier.uid]))
    )


def test_a_cancelled_payment_says_so_and_offers_to_pay_again(fee_world, citizen):
    w = fee_world
    dossier = submit(w)
    payment = Payment.objects.get(dossier=dossier)
    redirect = citizen.post(reverse("onestop:pay", args=[dossier.uid, payment.uid]))
    back = citizen.post(redirect["Location"], {"decision": "cancel"})
    done = citizen.get(back["Location"])
    text = _visible(done)
    assert "không thành công hoặc đã bị hủy" in text and "Thanh toán lại" in text
    retry = Payment.objects.get(dossier=dossier, status="pending")
    assert reverse("onestop:pay", args=[dossier.uid, retry.uid]) in done.content.decode()


def test_the_confirmation_trusts_our_records_not_the_query_string(fee_world, citizen):
    w = fee_world
    dossier = submit(w)
    payment = Payment.objects.get(dossier=dossier)
    url = reverse("onestop:payment_done", args=[dossier.uid, payment.uid])
    text = _visible(citizen.get(url, {"status": "00", "ref": payment.reference}))
    assert "Đã thanh toán thành công" not in text and "chưa xác nhận" in text


def test_another_citizen_cannot_see_the_confirmation(fee_world):
    w = fee_world
    dossier = submit(w)
    payment = Payment.objects.get(dossier=dossier)
    other = Client()
    other.force_login(w.citizen2)
    url = reverse("onestop:payment_done", args=[dossier.uid, payment.uid])
    assert other.get(url).status_code == 403
