"""Batches as the sensors send them: replays inside and across batches are stored once,
a malformed event inside a batch is refused with its reason while the valid ones are
kept (the documented choice: per-event refusal, not the whole batch), a threshold
reached inside one batch raises one alert, later batches fold into it, rule changes made
elsewhere reach the intake's cached tables, and the syslog listener flushes at N frames
and holds TCP senders back instead of dropping when its queue is full."""

from __future__ import annotations

import json
import socket
import time

import pytest
from django.core.cache import cache

from tests.security.conftest import sample
from tinhso.security import intake
from tinhso.security.models import Alert, Event, RejectedInput, Rule, RuleHit
from tinhso.security.syslog import SyslogListener

URL = "/api/v1/security/intake/wazuh"


def post_ndjson(client, alerts: list, token: str):
    body = "\n".join(a if isinstance(a, str) else json.dumps(a) for a in alerts)
    return client.post(
        URL,
        data=body,
        content_type="application/x-ndjson",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def ssh_failure(n: int, user: str = "ketoan") -> dict:
    alert = sample("wazuh4_sshd.json")
    alert["id"] = f"batch.{n}"
    alert["rule"]["level"] = 5
    alert["rule"]["groups"] = ["syslog", "sshd", "authentication_failed"]
    alert["data"] = {"srcip": "203.0.113.77", "srcuser": user, "dstuser": user}
    return alert


@pytest.mark.django_db
def test_a_batch_with_replays_stores_each_alert_once(client, soc):
    first = [ssh_failure(n) for n in range(3)]
    assert post_ndjson(client, first, soc.token).json()["accepted"] == 3
    # two replays of the first batch, one alert twice in this batch, two new ones
    second = [first[0], ssh_failure(10), first[2], ssh_failure(10), ssh_failure(11)]
    body = post_ndjson(client, second, soc.token).json()
    assert (body["accepted"], body["duplicates"]) == (2, 3)
    ids = sorted(Event.objects.filter(source=soc.source).values_list("source_event_id", flat=True))
    assert ids == ["batch.0", "batch.1", "batch.10", "batch.11", "batch.2"]
    # a replay is not counted twice by the threshold rules either
    assert RuleHit.objects.filter(rule__code="failed-login-burst").count() == 5


@pytest.mark.django_db
def test_a_malformed_event_in_a_batch_is_refused_and_the_valid_ones_kept(client, soc):
    batch = [
        json.dumps(ssh_failure(1)),
        '{"rule": {"level": 3',  # cut short
        json.dumps({"foo": "bar"}),  # neither Wazuh shape
        json.dumps(ssh_failure(2)),
    ]
    response = post_ndjson(client, batch, soc.token)
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["accepted"] == 2
    assert [(r["index"], r["code"]) for r in body["refused"]] == [
        (1, "security_malformed_json"),
        (2, "security_unknown_shape"),
    ]
    assert body["refused"][0]["message"] == "Dữ liệu JSON không đọc được."
    assert Event.objects.filter(source=soc.source).count() == 2
    kept = RejectedInput.objects.filter(source=soc.source).values_list("code", flat=True)
    assert sorted(kept) == ["security_malformed_json", "security_unknown_shape"]


@pytest.mark.django_db
def test_a_batch_of_only_malformed_events_is_refused_whole_with_each_reason(client, soc):
    response = post_ndjson(client, ['{"rule": 1', '{"foo": "bar"}'], soc.token)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "security_malformed_json"
    assert [d["code"] for d in body["details"]] == [
        "security_malformed_json",
        "security_unknown_shape",
    ]
    assert Event.objects.filter(source=soc.source).count() == 0


@pytest.mark.django_db
def test_a_threshold_reached_inside_one_batch_raises_one_alert_and_later_batches_fold(client, soc):
    body = post_ndjson(client, [ssh_failure(n) for n in range(12)], soc.token).json()
    # one alert per rule: per account (failed-login-burst), per source IP (brute-force-source)
    assert body["accepted"] == 12 and body["alerts_raised"] == 2
    assert sorted(Alert.objects.values_list("rule__code", "count")) == [
        ("brute-force-source", 12),
        ("failed-login-burst", 12),
    ]
    alert = Alert.objects.get(rule__code="failed-login-burst")
    assert alert.count == 12 and "user_name=ketoan" in alert.title
    assert alert.arrived_at is not None and alert.raised_at >= alert.arrived_at
    # the next batch folds into the open alert; another account counts on its own
    later = [ssh_failure(n) for n in range(20, 25)] + [
        ssh_failure(n, user="khac") for n in range(30, 33)
    ]
    body = post_ndjson(client, later, soc.token).json()
    assert body["alerts_raised"] == 0
    alert.refresh_from_db()
    assert alert.count == 17
    assert Alert.objects.filter(rule__code="failed-login-burst").count() == 1
    assert Alert.objects.get(rule__code="brute-force-source").count == 20


@pytest.mark.django_db
def test_a_rule_changed_by_another_process_reaches_the_cached_tables(soc, monkeypatch):
    assert any(r.code == "failed-login-burst" for r in intake.tables().rules)
    # another process: a direct UPDATE (no signal here) and the version it publishes
    Rule.objects.filter(code="failed-login-burst").update(is_active=False)
    cache.set(intake.TABLES_VERSION_KEY, "changed-elsewhere", timeout=None)
    monkeypatch.setattr(intake, "VERSION_CHECK_SECONDS", 0.0)
    assert not any(r.code == "failed-login-burst" for r in intake.tables().rules)


@pytest.mark.django_db
def test_saving_a_rule_through_the_orm_forgets_the_cached_tables(soc):
    intake.tables()
    rule = Rule.objects.get(code="failed-login-burst")
    rule.threshold = 3
    rule.save()
    assert next(r for r in intake.tables().rules if r.code == rule.code).threshold == 3


def _frames(count: int, tag: str) -> bytes:
    lines = []
    for n in range(count):
        alert = sample("wazuh4_sshd.json")
        alert["id"] = f"{tag}.{n}"
        lines.append(
            f"<132>1 2026-11-30T01:14:56.382Z wazuh-manager wazuh - - - {json.dumps(alert)}\n"
        )
    return "".join(lines).encode()


@pytest.mark.django_db
def test_the_syslog_writer_flushes_at_n_frames_without_waiting_for_the_linger(soc):
    server = SyslogListener(host="127.0.0.1", udp_port=None, tcp_port=0, batch=5, linger=30)
    server.start_network()
    try:
        with socket.create_connection(("127.0.0.1", server.tcp_port)) as tcp:
            tcp.sendall(_frames(12, "n"))
        deadline = time.monotonic() + 5
        while server.queue.qsize() < 12 and time.monotonic() < deadline:
            time.sleep(0.02)
        started = time.monotonic()
        assert server.drain() == 5
        assert server.drain() == 5
        assert time.monotonic() - started < 5  # not the 30 s linger
    finally:
        server.stop()
    assert Event.objects.filter(source_event_id__startswith="n.").count() == 10
    assert server.stats.batches == 2


@pytest.mark.django_db
def test_a_full_queue_holds_a_tcp_sender_back_instead_of_dropping(soc):
    server = SyslogListener(
        host="127.0.0.1", udp_port=None, tcp_port=0, queue_size=10, batch=50, linger=0.05
    )
    server.start_network()
    try:
        with socket.create_connection(("127.0.0.1", server.tcp_port)) as tcp:
            tcp.sendall(_frames(60, "bp"))
        time.sleep(0.5)
        assert server.queue.qsize() == 10  # the rest waits in the socket, unread
        deadline = time.monotonic() + 10
        while (
            Event.objects.filter(source_event_id__startswith="bp.").count() < 60
            and time.monotonic() < deadline
        ):
            server.drain(wait=0.2)
    finally:
        server.stop()
    assert server.stats.dropped_queue == 0
    assert Event.objects.filter(source_event_id__startswith="bp.").count() == 60
