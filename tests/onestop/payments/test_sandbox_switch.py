"""The sandbox gateway exists only when PAYMENT_SANDBOX is on (issue 7, item 2).

Written as the attacker of the report: an applicant who takes the signed checkout URL
and posts `decision=pay` anonymously to get a fee marked paid."""

from __future__ import annotations

import pytest
from django.core.checks import run_checks
from rest_framework.test import APIClient

from tests.onestop.conftest import submit
from tinhso.audit.models import AuditEntry
from tinhso.onestop.models import Payment, PaymentCallback
from tinhso.onestop.payments import sandbox

pytestmark = pytest.mark.django_db
BANNER = "Môi trường thử nghiệm thanh toán — không thu tiền thật"


def _pay_url(client: APIClient, dossier) -> str:
    response = client.post(f"/api/v1/onestop/dossiers/{dossier.uid}/pay/", {}, format="json")
    assert response.status_code == 200, response.content
    return response.json()["url"]


def test_with_the_sandbox_off_a_signed_checkout_url_cannot_mark_a_fee_paid(fee_world, settings):
    w = fee_world
    dossier = submit(w)  # created while the sandbox is on: its payment goes through it
    citizen = APIClient()
    citizen.force_authenticate(w.citizen)
    url = _pay_url(citizen, dossier)
    settings.PAYMENT_SANDBOX = False
    anonymous = APIClient()
    assert anonymous.get(url).status_code == 404
    assert anonymous.post(url, {"decision": "pay"}).status_code == 404
    # nor by forging the callback the sandbox page would have sent
    payment = Payment.objects.get(dossier=dossier)
    forged = sandbox.SandboxProvider().callback_params(
        reference=payment.reference,
        amount=payment.amount_vnd,
        order=str(dossier.uid),
        success=True,
        txn="SBXATTACK",
    )
    response = anonymous.post("/api/v1/onestop/payments/sandbox/ipn/", forged)
    assert response.status_code == 404
    assert response.json()["code"] == "payment_provider_unknown"
    payment.refresh_from_db()
    dossier.refresh_from_db()
    assert payment.status == "pending" and payment.receipt_number is None
    assert not dossier.fee_paid
    assert not PaymentCallback.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="onestop.payment").exists()


def test_without_a_provider_paying_online_says_none_is_configured(fee_world, settings):
    settings.PAYMENT_SANDBOX = False
    w = fee_world
    dossier = submit(w)
    payment = Payment.objects.get(dossier=dossier)
    assert payment.provider == "" and payment.status == "pending"
    citizen = APIClient()
    citizen.force_authenticate(w.citizen)
    response = citizen.post(f"/api/v1/onestop/dossiers/{dossier.uid}/pay/", {}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "payment_provider_unavailable"
    assert "Chưa có cổng thanh toán trực tuyến" in response.json()["message"]
    # the dossier page's "pay online" button says the same instead of redirecting
    from django.test import Client

    browser = Client()
    browser.force_login(w.citizen)
    page = browser.get(f"/onestop/ho-so/{dossier.uid}/").content.decode()
    assert "vui lòng nộp tại Bộ phận Một cửa" in page
    assert f"/thanh-toan/{payment.uid}/" not in page  # no "pay online" button
    page = browser.post(f"/onestop/ho-so/{dossier.uid}/thanh-toan/{payment.uid}/", follow=True)
    assert "Chưa có cổng thanh toán trực tuyến" in page.content.decode()


def test_a_payment_created_without_a_provider_uses_the_one_enabled_later(fee_world, settings):
    settings.PAYMENT_SANDBOX = False
    w = fee_world
    dossier = submit(w)
    settings.PAYMENT_SANDBOX = True
    citizen = APIClient()
    citizen.force_authenticate(w.citizen)
    assert "/onestop/payments/sandbox/checkout/" in _pay_url(citizen, dossier)
    assert Payment.objects.get(dossier=dossier).provider == "sandbox"


def test_every_page_carries_the_sandbox_banner_only_while_it_is_on(client, settings, world):
    for path in ("/", "/onestop/", "/onestop/thu-tuc/", "/accounts/login/"):
        settings.PAYMENT_SANDBOX = True
        assert BANNER in client.get(path).content.decode(), path
        settings.PAYMENT_SANDBOX = False
        assert BANNER not in client.get(path).content.decode(), path


def test_the_sandbox_cannot_be_smuggled_in_through_the_provider_list(settings):
    settings.PAYMENT_SANDBOX = False
    settings.PAYMENT_PROVIDERS = ["tinhso.onestop.payments.sandbox.SandboxProvider"]
    errors = [e.id for e in run_checks()]
    assert "payments.E002" in errors
    from tinhso.onestop.payments import is_enabled

    with pytest.raises(Exception, match="PAYMENT_SANDBOX"):
        is_enabled("sandbox")


def test_check_deploy_fails_with_the_sandbox_on(settings):
    settings.PAYMENT_SANDBOX = True
    assert "payments.E001" in [e.id for e in run_checks(include_deployment_checks=True)]
    settings.PAYMENT_SANDBOX = False
    assert "payments.E001" not in [e.id for e in run_checks(include_deployment_checks=True)]
