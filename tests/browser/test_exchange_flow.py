"""Browser: a clerk dispatches to another province's agency (address book → the other
instance's endpoint, here served by the live server), the receiving clerk sees the
package with its signature check and accepts it, and the sender sees 03."""

from __future__ import annotations

import pytest
from tests.browser.test_documents_flow import page_for
from tests.exchange.conftest import issued_document, province  # noqa: F401  (fixture)

from tinhso.documents import services as documents
from tinhso.exchange import services
from tinhso.exchange.models import Transmission
from tinhso.exchange.tasks import deliver_due

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_dispatch_to_another_province_accept_there_sender_sees_03(
    chromium,
    live_server,
    province,  # noqa: F811 - the exchange tests' fixture
):
    from tinhso.accounts.models import User

    root = User.objects.create_superuser("root", "root@example.vn", "Mat-khau-123!")
    services.save_endpoint(
        actor=root,
        organ_id="000.00.20.H99",
        name="Sở Tài chính (tỉnh bạn)",
        kind="instance",
        url=f"{live_server.url}/api/v1/exchange/packages",
    )
    doc = issued_document(province.sender)
    sender = page_for(chromium, live_server.url, province.sender.clerk)
    sender.goto(f"{live_server.url}/documents/outgoing/{doc.uid}/")
    documents.dispatch_outgoing(
        actor=province.sender.clerk, document=doc, external=[("Sở Tài chính", "000.00.20.H99")]
    )
    deliver_due()  # the worker's job: over HTTP to the other instance, 01 back
    receiver = page_for(chromium, live_server.url, province.receiver.clerk)
    receiver.goto(f"{live_server.url}/exchange/")
    receiver.get_by_role("link", name=doc.number_notation).click()
    assert "chứng thư tin cậy" in receiver.get_by_test_id("signature-check").inner_text()
    receiver.get_by_test_id("accept").click()
    receiver.wait_for_selector("text=số đến")
    deliver_due()
    assert Transmission.objects.get(outgoing=doc).status == "03"
    sender.goto(f"{live_server.url}/documents/outgoing/{doc.uid}/")
    assert "Đã tiếp nhận" in sender.get_by_test_id("exchange-status").inner_text()
