"""The instance endpoint over real HTTP: a package POSTed to /api/v1/exchange/packages by
the delivery worker (address-book entry → another instance), refusals as 4xx with a
stable code (dead letter at once, the receiver's refusal shown as 02), redelivery kept
once, a receiver that is down retried with back-off."""

from __future__ import annotations

import pytest
import requests
from django.utils import timezone

from tinhso.documents import services as documents
from tinhso.exchange import services
from tinhso.exchange.models import Endpoint, InboxItem, OutboxMessage, Transmission
from tinhso.exchange.tasks import Sender, claim_batch, deliver, deliver_batch, deliver_due

from .conftest import document_package, issued_document, signed

pytestmark = pytest.mark.django_db(transaction=True)


def _admin():
    from tinhso.accounts.models import User

    return User.objects.create_superuser("root", "root@example.vn", "Mat-khau-123!")


def test_document_travels_over_http_and_statuses_come_back(province, live_server):
    url = f"{live_server.url}/api/v1/exchange/packages"
    services.save_endpoint(
        actor=_admin(),
        organ_id="000.00.20.H99",
        name="Sở Tài chính (tỉnh khác)",
        kind="instance",
        url=url,
    )
    doc = issued_document(province.sender)
    documents.dispatch_outgoing(
        actor=province.sender.clerk, document=doc, external=[("Sở Tài chính", "000.00.20.H99")]
    )
    transmission = Transmission.objects.get(outgoing=doc)
    assert transmission.channel == "instance"
    assert deliver_due()["delivered"] >= 2  # the package over HTTP, then 01 back
    transmission.refresh_from_db()
    assert transmission.status == "01"
    item = InboxItem.objects.get(kind="document")
    services.accept_item(actor=province.receiver.clerk, item=item)
    deliver_due()
    transmission.refresh_from_db()
    assert transmission.status == "03"
    # The same bytes again over HTTP: 200 "duplicate", nothing new.
    raw = bytes(OutboxMessage.objects.get(kind="document").payload)
    answer = requests.post(url, data=raw, headers={"Content-Type": "application/xml"}, timeout=30)
    assert answer.status_code == 200 and answer.json()["result"] == "duplicate"
    assert InboxItem.objects.filter(kind="document").count() == 1


def test_refusals_are_4xx_with_a_code_and_change_nothing(province, live_server):
    url = f"{live_server.url}/api/v1/exchange/packages"
    for body, code in [
        (b"<edXML><x></edXML>", "malformed_xml"),
        (b'<!DOCTYPE x [<!ENTITY a "b">]><edXML/>', "xml_dtd_forbidden"),
        (
            signed(province.sender, document_package(province.sender, "000.00.00.H01")),
            "unknown_agency",
        ),
    ]:
        answer = requests.post(
            url, data=body, headers={"Content-Type": "application/xml"}, timeout=30
        )
        assert answer.status_code == 400 and answer.json()["code"] == code, answer.text
        assert answer.json()["message"]
    assert not InboxItem.objects.exists()


def test_receiver_refusing_the_package_marks_02_and_dead_letter(province, live_server):
    services.save_endpoint(
        actor=_admin(),
        organ_id="H98",
        name="Tỉnh Lam Hà",
        kind="instance",
        url=f"{live_server.url}/api/v1/exchange/packages",
    )
    doc = issued_document(province.sender)
    documents.dispatch_outgoing(
        actor=province.sender.clerk, document=doc, external=[("UBND tỉnh Lam Hà", "000.00.00.H98")]
    )
    deliver_due()
    message = OutboxMessage.objects.get(kind="document")
    assert message.state == "dead" and message.last_error_code == "unknown_agency"
    transmission = Transmission.objects.get(outgoing=doc)
    assert transmission.status == "02" and "HTTP 400" in transmission.status_description


def _dispatched_to_a_receiver_that_is_down(province):
    """A document dispatched to Sở Tài chính of another instance whose endpoint nobody
    answers: (its endpoint, the document, the outbox message)."""
    endpoint = services.save_endpoint(
        actor=_admin(),
        organ_id="000.00.20.H99",
        name="Sở Tài chính",
        kind="instance",
        url="http://127.0.0.1:9/api/v1/exchange/packages",  # nobody listens there
    )
    doc = issued_document(province.sender)
    documents.dispatch_outgoing(
        actor=province.sender.clerk, document=doc, external=[("Sở Tài chính", "000.00.20.H99")]
    )
    return endpoint, doc, OutboxMessage.objects.get(kind="document")


def test_receiver_down_is_retried_with_backoff_then_delivered(province, live_server, settings):
    settings.EXCHANGE_BACKOFF_SECONDS = 0.01
    endpoint, doc, message = _dispatched_to_a_receiver_that_is_down(province)
    assert deliver(message.pk) == "retry"
    message.refresh_from_db()
    assert message.state == "pending" and message.attempts == 1 and "kết nối" in message.last_error
    Endpoint.objects.filter(pk=endpoint.pk).update(
        url=f"{live_server.url}/api/v1/exchange/packages"
    )
    import time

    time.sleep(0.05)
    deliver_due()
    message.refresh_from_db()
    assert message.state == "delivered" and message.attempts == 2
    assert Transmission.objects.get(outgoing=doc).status == "01"


def test_retry_delay_doubles_up_to_its_ceiling(province, settings):
    """A receiver down for long is retried at least every EXCHANGE_BACKOFF_MAX_SECONDS
    (the delay doubles from EXCHANGE_BACKOFF_SECONDS, then stays at the ceiling)."""
    settings.EXCHANGE_BACKOFF_SECONDS = 10
    settings.EXCHANGE_BACKOFF_MAX_SECONDS = 25
    settings.EXCHANGE_MAX_ATTEMPTS = 10
    _endpoint, _doc, message = _dispatched_to_a_receiver_that_is_down(province)
    delays = []
    for _ in range(5):
        before = timezone.now()
        assert deliver(message.pk) == "retry"
        message.refresh_from_db()
        delays.append(round((message.next_attempt_at - before).total_seconds()))
        OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=None)  # due now
    assert delays == [10, 20, 25, 25, 25]
    assert message.state == "pending" and message.attempts == 5


def test_a_batch_with_one_failing_package_retries_only_that_one(province, live_server):
    """One delivery run, two packages: the one whose receiver is down is put back with
    its back-off; the other is delivered and registered once."""
    admin = _admin()
    services.save_endpoint(
        actor=admin,
        organ_id="000.00.20.H99",
        name="Sở Tài chính",
        kind="instance",
        url=f"{live_server.url}/api/v1/exchange/packages",
    )
    services.save_endpoint(
        actor=admin,
        organ_id="H98",
        name="Tỉnh Lam Hà",
        kind="instance",
        url="http://127.0.0.1:9/api/v1/exchange/packages",  # nobody listens there
    )
    doc = issued_document(province.sender)
    documents.dispatch_outgoing(
        actor=province.sender.clerk,
        document=doc,
        external=[("Sở Tài chính", "000.00.20.H99"), ("Sở Tài chính Lam Hà", "000.00.20.H98")],
    )
    batch = claim_batch(10)
    assert {m.receiver_code for m in batch} == {"000.00.20.H99", "000.00.20.H98"}
    with Sender() as sender:
        results = dict(
            zip((m.receiver_code for m in batch), deliver_batch(batch, sender), strict=True)
        )
    assert results == {"000.00.20.H99": "delivered", "000.00.20.H98": "retry"}
    down = OutboxMessage.objects.get(kind="document", receiver_code="000.00.20.H98")
    assert down.state == "pending" and down.attempts == 1 and down.next_attempt_at is not None
    up = OutboxMessage.objects.get(kind="document", receiver_code="000.00.20.H99")
    assert up.state == "delivered" and up.attempts == 1
    assert InboxItem.objects.filter(kind="document").count() == 1
    statuses = dict(
        Transmission.objects.filter(outgoing=doc).values_list("receiver_code", "status")
    )
    assert statuses == {"000.00.20.H99": "sent", "000.00.20.H98": "queued"}
