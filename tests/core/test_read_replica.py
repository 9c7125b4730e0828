"""The read replica (DATABASE_REPLICA_URL): the read-heavy dashboards read a real
streaming replica, the page after a write reads the primary, and reads fall back to the
primary when the replica is too far behind or down.

The PostgreSQL tests build a private primary (a copy of the migrated test database) and
its replica with `pg_basebackup -R` on free ports, once for the module, and run the app
as a real gunicorn process pointed at both. The dashboard is the IOC wall's API
(`/api/v1/feedback/ioc/`, the field reports of today); reports are written through the
app's API, as citizens send them."""

from __future__ import annotations

import http.cookiejar
import json
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.core.replica_app import COMMUNE
from tests.exchange.instances import PY, ROOT, Instance

MAX_LAG = 6.0


# ---------------------------------------------------------------------------------------
# Without a replica (both legs)


def test_without_a_replica_every_read_uses_the_primary():
    from django.contrib.auth import get_user_model

    from tinhso.core import replica

    @replica.replica_reads
    def everyone():
        assert replica.current_alias() == "default"
        return get_user_model().objects.all()

    assert replica.read_alias() == "default"
    assert everyone().db == "default"
    state = replica.state()
    assert (state.configured, state.serving_reads) == (False, False)


def test_wal_positions_compare_as_the_wal_orders_them():
    from tinhso.core.replica import parse_lsn

    assert parse_lsn("0/16B3748") == 0x16B3748
    assert parse_lsn("16/B374D848") == (0x16 << 32) | 0xB374D848
    assert parse_lsn("1/0") > parse_lsn("0/FFFFFFFF")  # type: ignore[operator]
    for bad in ("", "16", "x/1", "1/2/3", "123456789/0", None, 12):
        assert parse_lsn(bad) is None


# ---------------------------------------------------------------------------------------
# A real streaming replica (PostgreSQL leg)


class App(Instance):
    replica_url: str = ""

    def env(self) -> dict[str, str]:
        env = super().env()
        env.update(
            {
                "DATABASE_REPLICA_URL": self.replica_url,
                "REPLICA_MAX_LAG_SECONDS": str(MAX_LAG),
                "REPLICA_CHECK_SECONDS": "0.3",
                "REPLICA_RETRY_SECONDS": "0.5",
                "REPLICA_CONNECT_TIMEOUT": "1",
                "FEEDBACK_SUBMIT_RATE": "1000/hour",
            }
        )
        return env


class Client:
    """HTTP to the app with an API token; `browser=True` keeps cookies like a browser."""

    def __init__(self, app: App, token: str, *, browser: bool = False) -> None:
        self.app, self.token = app, token
        handlers = [urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())]
        self.opener = urllib.request.build_opener(*(handlers if browser else []))

    def call(self, path: str, body: dict | None = None, token: str | None = None) -> dict:
        request = urllib.request.Request(
            self.app.url + path,
            data=json.dumps(body).encode() if body is not None else None,
            headers={
                "Authorization": f"Token {token or self.token}",
                "Content-Type": "application/json",
            },
        )
        with self.opener.open(request, timeout=30) as response:
            assert response.status in (200, 201)
            return json.loads(response.read())


@pytest.fixture(scope="module")
def world(django_db_setup, tmp_path_factory) -> Iterator[dict]:
    from django.db import connection

    from tests.core.replica_cluster import Cluster
    from tests.pristine import server_url

    source = f"{server_url()}/{connection.settings_dict['NAME']}"
    cluster = Cluster()
    var = Path(tmp_path_factory.mktemp("replica-app"))
    app = App(name="replica", province="H79", var=var, database_url="")
    try:
        cluster.start_primary()
        cluster.load(source)
        cluster.make_replica()
        app.database_url, app.replica_url = cluster.primary_url, cluster.replica_url
        env = {**app.env(), "DATABASE_REPLICA_URL": ""}
        done = subprocess.run(
            [PY, "-m", "tests.core.replica_app", "seed"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        tokens = json.loads(done.stdout.strip().splitlines()[-1])
        app.start_web(workers=1)
        yield {"cluster": cluster, "app": app, **tokens}
    finally:
        app.stop()
        cluster.destroy()


def _report(world: dict, client: Client | None = None) -> None:
    client = client or Client(world["app"], world["citizen_token"])
    client.call(
        "/api/v1/feedback/reports/",
        {"category": "rac-thai", "description": "Rác tồn đọng", "lat": COMMUNE[0],
         "lng": COMMUNE[1]},
        token=world["citizen_token"],
    )  # fmt: skip


def _today(world: dict, client: Client | None = None) -> int:
    client = client or Client(world["app"], world["centre_token"])
    return client.call("/api/v1/feedback/ioc/", token=world["centre_token"])["data"]["today"]


def _health(world: dict) -> dict:
    with urllib.request.urlopen(world["app"].url + "/healthz", timeout=30) as response:
        assert response.status == 200
        return json.loads(response.read())


def _until(check, timeout: float = 20) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def _fresh_and_paused(world: dict) -> int:
    """A report replayed just now (the replica's lag is then near 0), then replay paused;
    the reports of today as the replica has them."""
    cluster = world["cluster"]
    _report(world)
    cluster.wait_replayed()
    cluster.pause_replay()
    return cluster.sql(cluster.replica_url, "SELECT count(*) FROM feedback_report")[0][0]


@pytest.mark.postgres
def test_health_page_shows_the_replica_serving_reads(world):
    health = _until(lambda: (h := _health(world))["replica"]["serving_reads"] and h)
    assert health["status"] == "ok"
    replica = health["replica"]
    assert replica["configured"] and replica["reachable"]
    assert 0 <= replica["lag_seconds"] <= MAX_LAG


@pytest.mark.postgres
def test_dashboard_reads_the_replica_and_the_page_after_a_write_the_primary(world):
    cluster = world["cluster"]
    on_replica = _fresh_and_paused(world)
    try:
        on_primary = _today(world)
        assert on_primary == on_replica  # nothing written while paused yet
        browser = Client(world["app"], world["citizen_token"], browser=True)
        _report(world, browser)  # a write on the primary the paused replica does not have
        assert _today(world) == on_replica  # the dashboard answers from the replica
        # the same browser's next page (after its POST) reads the primary
        assert _today(world, browser) == on_replica + 1
    finally:
        cluster.resume_replay()
    cluster.wait_replayed()
    assert _until(lambda: _today(world) == on_replica + 1)


@pytest.mark.postgres
def test_reads_fall_back_to_the_primary_past_the_lag_limit(world):
    cluster = world["cluster"]
    before = _fresh_and_paused(world)
    try:
        _report(world)
        behind = _until(lambda: not (h := _health(world))["replica"]["serving_reads"] and h)
        assert behind, "the replica kept serving reads while behind"
        assert behind["status"] == "ok" and behind["replica"]["reachable"]
        assert behind["replica"]["lag_seconds"] > MAX_LAG
        assert _today(world) == before + 1  # from the primary
    finally:
        cluster.resume_replay()
    assert _until(lambda: _health(world)["replica"]["serving_reads"])


@pytest.mark.postgres
def test_reads_fall_back_to_the_primary_when_the_replica_is_down(world):
    cluster = world["cluster"]
    cluster.wait_replayed()
    before = _today(world)
    cluster.stop_replica()
    _report(world)
    assert _today(world) == before + 1  # answered (200) from the primary
    health = _until(lambda: not (h := _health(world))["replica"]["reachable"] and h)
    assert health and health["status"] == "ok" and health["database"] is True
    assert health["replica"]["serving_reads"] is False
    cluster.start_replica()
    assert _until(lambda: _health(world)["replica"]["serving_reads"], timeout=30)
