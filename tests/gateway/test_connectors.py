"""The national connectors against their fake peers, each a separate local HTTP process,
through the real data plane: every call is in the message log."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time

import pytest
import requests
from django.utils import timezone

from tinhso.audit.models import AuditEntry
from tinhso.gateway.connectors import population, portal
from tinhso.gateway.connectors.setup import connect_national
from tinhso.gateway.errors import GatewayErrorCode
from tinhso.gateway.models import CitizenLookup, MessageLog, PortalSyncItem

from .conftest import free_port


class Peer:
    def __init__(self, kind: str, token: str = "bi-mat") -> None:
        self.kind, self.token, self.port = kind, token, free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Peer:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tinhso.gateway.connectors.fakes",
                self.kind,
                "--port",
                str(self.port),
                "--token",
                self.token,
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.time() + 15
        while time.time() < deadline:
            try:
                requests.get(self.url + "/", timeout=1)
                return self
            except requests.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError("fake peer did not start")

    def stop(self) -> None:
        if self.proc:
            self.proc.kill()
            self.proc.wait()

    def received(self) -> list[dict]:
        return requests.get(
            self.url + "/received", headers={"Authorization": f"Bearer {self.token}"}, timeout=5
        ).json()


@pytest.fixture
def peers():
    started = [Peer("portal").start(), Peer("population").start()]
    yield started
    for p in started:
        p.stop()


@pytest.fixture
def national(org, peers, gateway, settings):
    portal_peer, population_peer = peers
    key = connect_national(
        actor=org.platform,
        agency=org.ubnd,
        portal_url=portal_peer.url,
        portal_token="bi-mat",
        population_url=population_peer.url,
        population_token="bi-mat",
    )
    settings.GATEWAY_CONNECTOR_KEY = key
    settings.GATEWAY_URL = gateway.url
    gateway.reload()
    return portal_peer, population_peer


def _event(n: int, status: int = 2, agency: str = "H57.03") -> PortalSyncItem:
    return portal.enqueue(
        event_key=f"test:{n}",
        dossier_code=f"H57.03-261130-000{n}",
        agency_code=agency,
        status=status,
        happened_at=timezone.now(),
    )


def test_dossier_events_reach_the_portal_and_are_acknowledged(national, gateway):
    portal_peer, _ = national
    _event(1, status=1)
    _event(2, status=10)
    result = portal.push()
    assert (result.sent, result.acknowledged) == (2, 2)
    received = {e["event_key"]: e["status"] for e in portal_peer.received()}
    assert received == {"test:1": 1, "test:2": 10}
    gateway.ingest()
    logged = MessageLog.objects.filter(provider_code="dvcqg", result="ok")
    assert logged.count() == 2
    assert set(logged.values_list("issue", flat=True)) == {
        "H57.03-261130-0001",
        "H57.03-261130-0002",
    }
    assert portal.sync_rate() == {"H57.03": 1.0}


def test_the_portal_down_then_back_retries_until_acknowledged(national, gateway):
    portal_peer, _ = national
    portal_peer.stop()
    item = _event(3)
    result = portal.push()
    assert result.failed == 1
    item.refresh_from_db()
    assert item.acknowledged_at is None and item.attempts == 1
    assert "provider" in item.last_error or "502" in item.last_error
    assert portal.sync_rate() == {"H57.03": 0.0}
    assert portal.push().sent == 0  # not due yet: the delay grows with each attempt
    portal_peer.start()
    later = timezone.now() + dt.timedelta(minutes=5)
    assert portal.push(now=later).acknowledged == 1
    item.refresh_from_db()
    assert item.acknowledged_at is not None and item.attempts == 2
    gateway.ingest()
    results = list(
        MessageLog.objects.filter(provider_code="dvcqg")
        .order_by("seq")
        .values_list("result", flat=True)
    )
    assert results == ["gateway_provider_unavailable", "ok"]


def test_citizen_lookup_needs_consent_is_recorded_and_audited(org, national, gateway):
    with pytest.raises(Exception) as exc:
        population.lookup_citizen(
            actor=org.platform, citizen_id="099090000002", purpose="Tiếp nhận hồ sơ", consent=False
        )
    assert exc.value.code == GatewayErrorCode.CONSENT_REQUIRED
    assert not CitizenLookup.objects.exists()
    lookup, data = population.lookup_citizen(
        actor=org.platform,
        citizen_id="099090000002",
        purpose="Tiếp nhận hồ sơ đăng ký khai sinh",
        consent=True,
        dossier_code="H57.03-261130-0009",
    )
    assert data["full_name"] == "Nguyễn Văn Thử" and data["birth_date"] == "1990-05-17"
    assert lookup.found and lookup.papers_reused
    assert AuditEntry.objects.filter(action="gateway.citizen_lookup").count() == 1
    missing, none = population.lookup_citizen(
        actor=org.platform, citizen_id="099090000001", purpose="Kiểm tra", consent=True
    )
    assert none is None and not missing.found and missing.papers_reused == []
    gateway.ingest()
    assert MessageLog.objects.filter(provider_code="csdlqg-dancu").count() == 2
    assert MessageLog.objects.filter(issue="H57.03-261130-0009").exists()


def test_a_wrong_national_credential_is_the_providers_refusal(org, national, gateway, peers):
    from tinhso.gateway import services
    from tinhso.gateway.models import Service

    service = Service.objects.get(provider__code="csdlqg-dancu")
    services.update_service(
        actor=org.platform, service=service, upstream_headers={"Authorization": "Bearer sai"}
    )
    gateway.reload()
    with pytest.raises(Exception) as exc:
        population.lookup_citizen(
            actor=org.platform, citizen_id="099090000002", purpose="x", consent=True
        )
    assert exc.value.code == GatewayErrorCode.CONNECTOR_FAILED


def test_the_docaxis_seam_is_documented():
    from tinhso.gateway.connectors import docaxis

    assert docaxis.PROVIDER == "truc-vbqg" and "exchange" in docaxis.__doc__
