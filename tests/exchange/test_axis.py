"""The national document axis through the LGSP gateway (issue 11's third connector):
once the axis is published there, a package for an agency outside the province goes
through the real data plane to a fake axis running as its own process, and the call is
in the message log with the package's DocumentId; the axis down is retried until it
keeps the package; the gateway refusing tinhso's own key is tried again, never taken as
the axis refusing the package."""

from __future__ import annotations

import time

import pytest

from tests.gateway.test_connectors import Peer
from tinhso.documents import services as documents
from tinhso.exchange.models import OutboxMessage, Transmission
from tinhso.exchange.tasks import deliver, deliver_due
from tinhso.gateway.connectors import docaxis
from tinhso.gateway.connectors.setup import connect_national
from tinhso.gateway.models import MessageLog
from tinhso.gateway.server import ThreadedGateway

from .conftest import issued_document

MINISTRY = ("Bộ Nội vụ", "000.00.00.G09")  # on no instance of the province: the axis


@pytest.fixture
def gateway(province, tmp_path, settings):
    settings.GATEWAY_LOG_KEY_FILE = str(tmp_path / "log-key.pem")
    gw = ThreadedGateway(directory=tmp_path / "wal").start()
    yield gw
    gw.stop()


@pytest.fixture
def axis_peer(gateway, province, settings):
    from tinhso.accounts.models import User

    peer = Peer("axis").start()
    admin = User.objects.create_superuser("nentang", "nentang@example.vn", "Mat-khau-123!")
    settings.GATEWAY_CONNECTOR_KEY = connect_national(
        actor=admin, agency=province.sender.agency, axis_url=peer.url, axis_token="bi-mat"
    )
    settings.GATEWAY_URL = gateway.url
    gateway.reload()
    yield peer
    peer.stop()


def _sent_to_the_ministry(province) -> OutboxMessage:
    doc = issued_document(province.sender)
    documents.dispatch_outgoing(actor=province.sender.clerk, document=doc, external=[MINISTRY])
    assert Transmission.objects.get(outgoing=doc).channel == "axis"
    return OutboxMessage.objects.get(kind="document")


def test_a_package_for_the_axis_goes_through_the_gateway_with_its_document_id(
    province, gateway, axis_peer
):
    message = _sent_to_the_ministry(province)
    assert deliver_due()["delivered"] == 1
    message.refresh_from_db()
    assert message.state == "delivered"
    [kept] = axis_peer.received()
    assert kept["document_id"] == message.document_id and kept["size"] == message.size
    gateway.ingest()
    [call] = MessageLog.objects.filter(provider_code=docaxis.PROVIDER)
    assert (call.service_code, call.result, call.status_code) == (docaxis.SERVICE, "ok", 202)
    assert call.issue == message.document_id[:100]
    assert call.consumer_code == "tinhso-connectors"


def test_the_axis_down_is_retried_until_it_keeps_the_package(
    province, gateway, axis_peer, settings
):
    settings.EXCHANGE_BACKOFF_SECONDS = 0.01
    axis_peer.stop()
    message = _sent_to_the_ministry(province)
    assert deliver(message.pk) == "retry"
    message.refresh_from_db()
    assert message.state == "pending" and message.attempts == 1
    assert message.last_error_code == "gateway_provider_unavailable"
    axis_peer.start()
    time.sleep(0.05)
    assert deliver_due()["delivered"] == 1
    message.refresh_from_db()
    assert message.state == "delivered" and message.attempts == 2
    assert len(axis_peer.received()) == 1
    gateway.ingest()
    results = list(
        MessageLog.objects.filter(provider_code=docaxis.PROVIDER)
        .order_by("seq")
        .values_list("result", flat=True)
    )
    assert results == ["gateway_provider_unavailable", "ok"]


def test_the_gateway_refusing_tinhsos_key_is_retried_not_a_refused_package(
    province, gateway, axis_peer, settings
):
    settings.EXCHANGE_BACKOFF_SECONDS = 0.01
    good_key = settings.GATEWAY_CONNECTOR_KEY
    settings.GATEWAY_CONNECTOR_KEY = "tsk_00000000_khong-phai-khoa-that"
    message = _sent_to_the_ministry(province)
    assert deliver(message.pk) == "retry"
    message.refresh_from_db()
    assert message.state == "pending" and message.last_error_code == "gateway_invalid_key"
    assert axis_peer.received() == []
    settings.GATEWAY_CONNECTOR_KEY = good_key
    time.sleep(0.05)
    assert deliver_due()["delivered"] == 1
    assert len(axis_peer.received()) == 1
