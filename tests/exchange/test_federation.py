"""Two tinhso instances as real processes (two provinces, two databases on the leg's
engine, two ports, a web server and a worker each) exchange a document over HTTP: sent, arrived,
accepted, assigned, handled, completed — every status seen at the sender — then revoked
and marked revoked at the receiver. Then kill -9 of the receiver's web server and of the
sender's worker in the middle of deliveries: after restart every package is registered
exactly once at the receiver."""

from __future__ import annotations

import os
import time

import pytest

from .instances import make_pair


def _wait(check, timeout: float = 90, every: float = 0.3):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(every)
    raise AssertionError(f"timed out; last: {last}")


@pytest.fixture(scope="module")
def pair(tmp_path_factory, migrated):
    base = tmp_path_factory.mktemp("federation")
    tag = f"federation_{os.getpid()}"
    with migrated.database(f"{tag}_a", base) as url_a, migrated.database(f"{tag}_b", base) as url_b:
        a, b = make_pair(base, (url_a, url_b))
        for inst in (a, b):
            inst.start_web()
            inst.start_worker()
        try:
            yield a, b
        finally:
            for inst in (a, b):
                inst.stop()


def _new(a) -> list[tuple]:
    return [t for t in a.transmissions() if t[1] == 0]


def test_two_provinces_exchange_a_document_through_every_status_then_revoke(pair):
    a, b = pair
    [uid] = a.run("dispatch", "000.00.20.H98")["documents"]
    arrived = _wait(lambda: b.run("inbox")["items"])
    assert arrived[0]["state"] == "arrived" and arrived[0]["trusted"]
    _wait(lambda: _new(a)[0][2] == "01")
    assert b.run("handle_all") == {"handled": 1}
    _wait(lambda: _new(a)[0][2] == "06")
    # statuses travel concurrently and may arrive out of order: the state only moves
    # forward, and every status is kept as an event once it arrives
    every_status = ["01", "03", "04", "05", "06"]
    _wait(
        lambda: (
            sorted(s for (s,) in a.sql("select status_code from exchange_statusevent"))
            == every_status
        )
    )
    assert _new(a)[0][2] == "06"
    a.run("revoke", uid)
    _wait(lambda: any(i[1] == 1 for i in b.inbox()))
    assert b.run("accept_business") == {"accepted": 1}
    assert [i[2] for i in b.inbox() if i[1] == 0] == ["revoked"]
    _wait(lambda: [t[3] for t in a.transmissions() if t[1] == 1] == ["15"])


def test_kill_9_receiver_and_worker_mid_delivery_registers_each_package_once(pair):
    a, b = pair
    before = len([i for i in b.inbox() if i[1] == 0])
    b.kill_web()
    a.run("dispatch", "000.00.20.H98", "4")  # the receiver is down: retries, back-off
    time.sleep(1)
    a.kill_worker()  # possibly mid-delivery
    b.start_web()
    a.start_worker()
    a.run("dispatch", "000.00.20.H98", "2")
    b.kill_web()  # again, while packages and 01s are on the way
    time.sleep(0.5)
    b.start_web()
    _wait(lambda: len([i for i in b.inbox() if i[1] == 0]) >= before + 6, 120)
    _wait(lambda: all(t[2] == "01" for t in _new(a)[1:]), 120)
    ids = [i[0] for i in b.inbox() if i[1] == 0]
    assert len(ids) == len(set(ids)) == before + 6
    assert b.sql("select count(*) from exchange_inboxitem where kind = 'status'") == [(0,)]
    assert a.outbox_states().get("dead", 0) == 0 and b.outbox_states().get("dead", 0) == 0
