"""In a real browser: a citizen pays a fee on the sandbox gateway (labelled on every page),
sees the confirmation, goes back to the dossier and opens the sealed e-receipt."""

from __future__ import annotations

import re

import pytest

from tests.onestop.conftest import submit
from tinhso.onestop.models import Payment
from tinhso.signing.models import Certificate
from tinhso.signing.services import ensure_demo_ca, issue_certificate

PASSWORD = "Mat-khau-2026"
BANNER = "Môi trường thử nghiệm thanh toán — không thu tiền thật"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_citizen_pays_a_fee_in_the_browser_and_opens_the_receipt(page, request, tmp_path):
    w = request.getfixturevalue("fee_world")
    _root, issuing = ensure_demo_ca()
    issue_certificate(ca=issuing, kind=Certificate.Kind.AGENCY, owner_agency=w.dept)
    w.citizen.set_password(PASSWORD)
    w.citizen.save(update_fields=["password"])
    dossier = submit(w)
    base = page.base_url
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Tên đăng nhập").fill(w.citizen.username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(re.compile(r"^(?!.*/accounts/).*$"))

    page.goto(f"{base}/onestop/ho-so/{dossier.uid}/")
    assert BANNER in page.locator("[data-payment-sandbox]").inner_text()
    page.get_by_role("button", name="Thanh toán trực tuyến").click()
    page.wait_for_url(re.compile(r"/payments/sandbox/checkout/"))
    body = page.locator("main").inner_text()
    assert "200.000 đ" in body and w.procedure.name in body
    page.screenshot(path=str(tmp_path / "sandbox-checkout.png"), full_page=True)
    page.get_by_role("button", name="Thanh toán thành công").click()
    page.wait_for_url(re.compile(r"/thanh-toan/.+/ket-qua/"))
    status = page.locator("[data-payment-status]")
    assert "Đã thanh toán thành công 200.000 đ" in status.inner_text()
    payment = Payment.objects.get(dossier=dossier)
    assert payment.receipt_reference in status.inner_text()
    page.screenshot(path=str(tmp_path / "payment-done.png"), full_page=True)
    with page.expect_response(re.compile(r"/bien-lai/.+\.pdf$")) as receipt:
        page.goto(f"{base}/onestop/ho-so/{dossier.uid}/bien-lai/{payment.uid}.pdf")
    assert receipt.value.headers["content-type"] == "application/pdf"
    page.goto(f"{base}/onestop/ho-so/{dossier.uid}/thanh-toan/{payment.uid}/ket-qua/")
    page.get_by_role("link", name="Quay lại hồ sơ").click()
    page.wait_for_url(re.compile(rf"/onestop/ho-so/{dossier.uid}/$"))
    assert payment.receipt_reference in page.locator("main").inner_text()
