"""The message log proves every call: chained, signed in batches, verified; a changed,
deleted or re-ordered record is named; a killed data plane loses no answered call."""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time

import pytest
import requests
from django.core.management import call_command
from django.utils import timezone

from tinhso.gateway.messagelog import (
    EMPTY_SHA256,
    FIELDS,
    WalWriter,
    format_time,
    ingest_pending,
    verify_log,
    wal_line,
)
from tinhso.gateway.models import LogBatch, MessageLog

from .conftest import ProviderHandler, children_of, gone, start_data_plane
from .test_proxy import call


@pytest.fixture
def logged(published, gateway):
    gateway.reload()
    for i in range(5):
        assert call(gateway, f"/datdai/parcels/parcels/{i}", published.key).status_code == 200
    call(gateway, "/datdai/parcels/parcels", published.other_key)
    assert gateway.ingest().records == 6
    return gateway


def test_the_log_verifies_and_every_batch_is_signed(logged):
    report = verify_log()
    assert report.ok and report.checked == 6 and report.unsigned == 0
    batch = LogBatch.objects.get()
    assert (batch.first_seq, batch.last_seq) == (1, 6)


def test_a_changed_record_is_named(logged):
    MessageLog.objects.filter(seq=3).update(consumer_code="khac")
    report = verify_log()
    assert not report.ok and report.broken_seq == 3
    assert "sửa" in report.reason


def test_a_deleted_record_is_named(logged):
    MessageLog.objects.filter(seq=4).delete()
    report = verify_log()
    assert not report.ok and report.broken_seq == 4


def test_a_rewritten_record_with_its_hashes_recomputed_breaks_the_next_link(logged):
    from tinhso.gateway.messagelog import content_digest, link_hash

    row = MessageLog.objects.get(seq=2)
    row.status_code = 404
    values = {f: getattr(row, f) for f in [f.name for f in MessageLog._meta.fields]}
    row.content_hash = content_digest(values)
    row.hash = link_hash(row.prev_hash, 2, row.content_hash)
    row.save()
    report = verify_log()
    assert not report.ok and report.broken_seq == 3


def test_a_forged_tail_fails_the_batch_signature(logged):
    from tinhso.gateway.messagelog import content_digest, link_hash

    # rewrite the last record consistently: the chain alone cannot tell, the signature can
    row = MessageLog.objects.get(seq=6)
    row.result = "ok"
    values = {f.name: getattr(row, f.name) for f in MessageLog._meta.fields}
    row.content_hash = content_digest(values)
    row.hash = link_hash(row.prev_hash, 6, row.content_hash)
    row.save()
    from tinhso.gateway.models import LogHead

    LogHead.objects.filter(pk=1).update(last_hash=row.hash)
    report = verify_log()
    assert not report.ok and report.broken_seq == 6


def test_the_verify_command_exits_1_on_a_broken_log(logged, capsys):
    call_command("gateway", "verify")
    assert "toàn vẹn: 6 bản ghi" in capsys.readouterr().out
    MessageLog.objects.filter(seq=5).update(path="/khac")
    with pytest.raises(SystemExit) as exc:
        call_command("gateway", "verify")
    assert exc.value.code == 1
    assert "#5" in capsys.readouterr().err


def test_bodies_are_logged_encrypted_when_the_service_asks(org, published, gateway):
    from tinhso.gateway import services
    from tinhso.gateway.crypto import decrypt_body

    services.update_service(actor=org.provider_admin, service=published.service, log_bodies=True)
    gateway.reload()
    call(gateway, "/datdai/parcels/parcels", published.key, "POST", data="bí mật".encode())
    gateway.ingest()
    row = MessageLog.objects.get()
    assert "bí mật" not in row.request_body
    assert decrypt_body(row.request_body) == "bí mật".encode()
    assert b"echo" in decrypt_body(row.response_body)
    wal_text = b"".join(p.read_bytes() for p in gateway.directory.glob("*.wal"))
    assert "bí mật".encode() not in wal_text
    assert verify_log().ok


def test_lines_are_taken_once_even_when_ingest_runs_again(tmp_path, db, settings):
    settings.GATEWAY_LOG_KEY_FILE = str(tmp_path / "k.pem")
    wal = WalWriter(tmp_path)
    from tinhso.gateway.messagelog import EMPTY_SHA256

    for i in range(3):
        wal.append(
            {
                "request_id": f"r{i}",
                "started_at": "2026-11-30T01:02:03.000004Z",
                "method": "GET",
                "path": "/x",
                "status_code": 200,
                "result": "ok",
                "request_hash": EMPTY_SHA256,
                "response_hash": EMPTY_SHA256,
                "duration_ms": 1.0,
            }
        )
    assert ingest_pending(tmp_path, active=wal.path).records == 3
    assert ingest_pending(tmp_path, active=wal.path).records == 0
    assert MessageLog.objects.count() == 3 and verify_log().ok


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("clients", [1, 6])
def test_killing_the_gateway_loses_no_answered_call_and_leaves_no_ingester(
    tmp_path, settings, clients
):
    """A data plane of two processes, its supervisor killed with SIGKILL mid-traffic: every
    call that got an answer is in the log after the next start ingests what was left, and
    the processes and the ingester it had started stop by themselves instead of living on
    alone. With several clients, calls are in flight when it dies and the records of
    several calls are written together."""
    settings.GATEWAY_LOG_KEY_FILE = str(tmp_path / "k.pem")
    proc, port, wal_dir = start_data_plane(tmp_path, processes=2)
    answered: list[str] = []

    def client(n: int) -> None:
        session = requests.Session()
        for i in range(10_000):
            try:
                r = session.get(
                    f"http://127.0.0.1:{port}/p/s/{i}",
                    headers={"X-Request-Id": f"kill-{n}-{i}"},
                    timeout=5,
                )
            except requests.RequestException:
                return  # the gateway is gone
            answered.append(r.headers["X-Request-Id"])

    try:
        helpers = children_of(proc.pid)
        assert len(helpers) == 3  # two data-plane processes and the ingester
        threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
        for thread in threads:
            thread.start()
        deadline = time.time() + 30
        while len(answered) < 150 and time.time() < deadline:
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
        for thread in threads:
            thread.join(10)
        assert len(answered) >= 150
    finally:
        proc.kill()
        proc.wait()
    assert all(gone(pid) for pid in helpers), "a data-plane process or the ingester lives on"
    ingest_pending(wal_dir)
    logged = set(MessageLog.objects.values_list("request_id", flat=True))
    assert set(answered) <= logged
    assert verify_log().ok


def test_hostile_paths_and_repeated_request_ids_still_verify(published, gateway):
    gateway.reload()
    for _ in range(2):
        call(
            gateway,
            "/datdai/parcels/parcels/%01%00x",
            published.key,
            headers={"X-Request-Id": "same"},
        )
    response = call(gateway, "/" + "đ" * 300, published.key, headers={"X-Tinhso-Issue": "a" * 300})
    assert response.json()["code"] == "gateway_unknown_service"
    assert gateway.ingest().records == 3
    assert MessageLog.objects.filter(request_id="same").count() == 2
    assert verify_log().ok


def test_a_record_line_is_the_json_of_the_record(tmp_path):
    """The data plane writes each record field by field (`wal_line`); what the ingester
    reads back is the record, as the JSON encoder would have written it."""
    base = {name: "" for name in FIELDS} | {
        "request_id": "r-1",
        "started_at": "2026-01-02T03:04:05.000006Z",
        "status_code": 200,
        "request_size": 0,
        "response_size": 12,
        "duration_ms": 1.5,
        "provider_ms": 0.25,
        "request_hash": EMPTY_SHA256,
        "response_hash": EMPTY_SHA256,
    }
    hostile = base | {
        "path": '/p/s/"quoted"\\back\x00\x1f\u2028?q=Việt',
        "issue": "H57.03-260101-0001 hồ sơ\n",
        "consumer_code": "",
        "provider_ms": None,
        "duration_ms": 1e-05,
        "status_code": 599,
    }
    for record in (base, hostile):
        line = wal_line(record)
        assert line.endswith(b"\n") and line.count(b"\n") == 1
        assert json.loads(line) == record
        assert (
            line == (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        )


def test_every_answer_is_sent_after_its_record_is_written(published, gateway):
    """Write ahead, then answer, with the records of many calls written together: a
    client that has an answer in hand finds the call's record in the write-ahead file,
    whichever of several connections (each with pipelined calls) it came on."""
    gateway.reload()
    wal = gateway.app.wal
    missing: list[str] = []
    errors: list[BaseException] = []

    def client(n: int) -> None:
        try:
            with socket.create_connection((gateway.host, gateway.port), timeout=5) as sock:
                reader = sock.makefile("rb")
                for burst in range(10):
                    ids = [f"wa-{n}-{burst}-{i}" for i in range(3)]
                    sock.sendall(
                        b"".join(
                            (
                                f"GET /datdai/parcels/parcels/{rid} HTTP/1.1\r\nHost: gw\r\n"
                                f"X-Api-Key: {published.key}\r\nX-Request-Id: {rid}\r\n\r\n"
                            ).encode()
                            for rid in ids
                        )
                    )
                    for rid in ids:
                        status = reader.readline()
                        headers = {}
                        while (line := reader.readline()) not in (b"\r\n", b""):
                            name, _, value = line.decode("latin-1").partition(":")
                            headers[name.strip().lower()] = value.strip()
                        reader.read(int(headers["content-length"]))
                        # (200, or 504 when a busy machine slows the provider: logged too)
                        assert status.startswith(b"HTTP/1.1 ") and headers["x-request-id"] == rid
                        if f'"request_id":"{rid}"'.encode() not in wal.path.read_bytes():
                            missing.append(rid)
        except BaseException as exc:  # noqa: BLE001 - reported by the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors and not missing
    assert gateway.app.wal.written == 8 * 10 * 3
    assert gateway.ingest().records == 240 and verify_log().ok


def test_a_log_that_cannot_be_written_stops_the_calls_and_they_resume_after(published, gateway):
    """The disk of the write-ahead file is full (/dev/full in its place): a call is not
    answered as done without its record but refused in the error shape; once the disk
    takes writes again, calls go through and the log still verifies."""
    gateway.reload()
    wal = gateway.app.wal
    assert call(gateway, "/datdai/parcels/parcels/1", published.key).status_code == 200
    kept = os.dup(wal._fd)
    full = os.open("/dev/full", os.O_WRONLY)
    try:
        os.dup2(full, wal._fd)  # the same file descriptor, now on a full disk
        refused = call(gateway, "/datdai/parcels/parcels/2", published.key)
        assert refused.status_code == 503
        assert refused.json()["code"] == "gateway_log_unavailable"
        assert refused.json()["source"] == "gateway"
        assert refused.json()["request_id"] == refused.headers["X-Request-Id"]
        assert ProviderHandler.seen[-1]["path"] == "/parcels/2"  # forwarded, then not answered
    finally:
        os.dup2(kept, wal._fd)
        os.close(kept)
        os.close(full)
    again = call(gateway, "/datdai/parcels/parcels/3", published.key)
    assert again.status_code == 200
    assert gateway.ingest().records == 2
    assert list(MessageLog.objects.order_by("seq").values_list("path", flat=True)) == [
        "/datdai/parcels/parcels/1",
        "/datdai/parcels/parcels/3",
    ]
    assert verify_log().ok


def test_the_content_digest_is_the_same_for_every_kind_of_record():
    """`content_digest` has a quick path for the usual record; it gives what the field by
    field reading gives (the chain of records already written must still verify)."""
    import datetime as dt

    from tinhso.gateway.messagelog import _content_digest, content_digest

    usual = {name: "x" for name in FIELDS} | {
        "status_code": 200,
        "request_size": 0,
        "response_size": 7,
        "duration_ms": 1.25,
        "provider_ms": 0.5,
    }
    variants = [
        usual,
        usual | {"provider_ms": None, "duration_ms": 3},
        usual | {"started_at": dt.datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=dt.UTC)},
        usual | {"status_code": None, "issue": None},
        usual | {"status_code": "200", "request_size": 1.5, "path": 42},
        {k: v for k, v in usual.items() if k != "endpoint"},
        usual | {"path": "/p/s/Việt\x1f\u2028"},
    ]
    for record in variants:
        assert content_digest(record) == _content_digest(record)


def test_the_part_of_a_line_a_failed_write_left_is_skipped_not_glued(tmp_path, db, settings):
    """A write cut short (the disk filled up mid-line) leaves the start of a record in
    the file: the writer ends it before its next write, and the ingester skips it as
    unreadable; the records written before and after are taken and verify."""
    settings.GATEWAY_LOG_KEY_FILE = str(tmp_path / "k.pem")
    record = {name: "" for name in FIELDS} | {
        "started_at": "2026-11-30T01:02:03.000004Z",
        "status_code": 200,
        "request_size": 0,
        "response_size": 0,
        "request_hash": EMPTY_SHA256,
        "response_hash": EMPTY_SHA256,
        "duration_ms": 1.0,
        "provider_ms": None,
    }
    wal = WalWriter(tmp_path)
    wal.add(wal_line(record | {"request_id": "before"}))
    wal.flush()
    cut = wal_line(record | {"request_id": "cut"})
    os.write(wal._fd, cut[:40])  # what a write cut short leaves
    kept = os.dup(wal._fd)
    full = os.open("/dev/full", os.O_WRONLY)
    try:
        os.dup2(full, wal._fd)
        wal.add(cut)
        with pytest.raises(OSError):
            wal.flush()  # nothing of it is counted as written; the file may end mid-line
    finally:
        os.dup2(kept, wal._fd)
        os.close(kept)
        os.close(full)
    wal.add(wal_line(record | {"request_id": "after"}))
    wal.flush()
    assert wal.written == 2
    assert ingest_pending(tmp_path, active=wal.path).records == 2
    assert list(MessageLog.objects.order_by("seq").values_list("request_id", flat=True)) == [
        "before",
        "after",
    ]
    assert verify_log().ok


def _plain_record(**changes):
    return (
        {name: "" for name in FIELDS}
        | {
            "request_id": "r",
            "started_at": "2026-11-30T01:02:03.000004Z",
            "consumer_code": "ketoan-stc",
            "method": "GET",
            "path": "/tinhso/onestop/lookup/?code=H57",
            "status_code": 200,
            "result": "ok",
            "request_size": 0,
            "response_size": 12,
            "request_hash": EMPTY_SHA256,
            "response_hash": EMPTY_SHA256,
            "duration_ms": 1.25,
            "provider_ms": 0.5,
            "client_ip": "127.0.0.1",
        }
        | changes
    )


def test_the_usual_record_takes_the_quick_row_and_gets_the_same_row():
    """The ingester's quick row (`_usual_row`: the data plane's plain records) is the row
    the field-by-field reading gives; every other record is read field by field."""
    from tinhso.gateway.messagelog import GENESIS, _any_row, _usual_row

    usual = _plain_record()
    assert _usual_row(usual, 7, GENESIS) == _any_row(usual, 7, GENESIS)
    assert _usual_row(usual | {"provider_ms": None}, 1, GENESIS) == _any_row(
        usual | {"provider_ms": None}, 1, GENESIS
    )
    others = [
        usual | {"issue": "Hồ sơ đất đai"},
        usual | {"path": "/a\tb"},
        usual | {"consumer_code": "x" * 300},
        usual | {"status_code": "200"},
        usual | {"duration_ms": 1},
        usual | {"provider_ms": True},
        usual | {"started_at": "2026-11-30T01:02:03.4Z"},
        {k: v for k, v in usual.items() if k != "endpoint"},
    ]
    for record in others:
        assert _usual_row(record, 7, GENESIS) is None
        assert len(_any_row(record, 7, GENESIS)) == len(FIELDS) + 5


def test_awkward_numbers_times_and_texts_are_taken_and_verify(tmp_path, db, settings):
    """What the database's text (PostgreSQL reads the chain with COPY) might give back
    differently: floats with many digits or none after the point, a backslash, a time
    with no microseconds, text the ingester cleans."""
    settings.GATEWAY_LOG_KEY_FILE = str(tmp_path / "k.pem")
    wal = WalWriter(tmp_path)
    awkward = [
        {"duration_ms": 0.30000000000000004, "provider_ms": None},
        {"duration_ms": 2.0, "provider_ms": 1e-07},
        {"duration_ms": 1e16, "provider_ms": 123456789.123},
        {"path": "/p/s/a\\b?c=\\N", "started_at": "2026-11-30T01:02:03.000000Z"},
        {"issue": "Hồ sơ\u2028đất\x00đai", "path": "/p/s/\ttab"},
    ]
    for i, changes in enumerate(awkward):
        wal.add(wal_line(_plain_record(request_id=f"r{i}", **changes)))
    wal.flush()
    assert ingest_pending(tmp_path, active=wal.path).records == len(awkward)
    report = verify_log()
    assert report.ok and report.checked == len(awkward), report
    stored = MessageLog.objects.get(seq=3)
    assert (stored.duration_ms, stored.provider_ms) == (1e16, 123456789.123)


def test_a_record_with_an_unreadable_time_is_kept_flagged_and_the_batch_goes_on(
    tmp_path, db, settings, caplog
):
    """One record whose time (or number) the ingester cannot read does not stop the log:
    it is kept and chained in its place, flagged with the raw values in `unreadable`
    (covered by its digest), counted and warned about; the records around it in the
    same batch are taken as usual, and the log verifies."""
    import logging

    settings.GATEWAY_LOG_KEY_FILE = str(tmp_path / "k.pem")
    wal = WalWriter(tmp_path)
    bad = [
        {"started_at": "hôm qua lúc 9 giờ"},
        {"started_at": "2026-13-45T99:00:00.000000Z", "status_code": "OK"},
        {"started_at": 1764464523},
        {"status_code": 70000, "request_size": 1.5, "duration_ms": "nhanh"},
        {"provider_ms": [1, 2], "request_hash": "x" * 65, "path": {"a": 1}},
    ]
    wal.add(wal_line(_plain_record(request_id="first")))
    for i, changes in enumerate(bad):
        line = json.dumps(_plain_record(request_id=f"bad{i}") | changes) + "\n"
        wal.add(line.encode())
        wal.add(wal_line(_plain_record(request_id=f"good{i}")))
    wal.flush()
    with caplog.at_level(logging.WARNING, logger="tinhso.gateway.messagelog"):
        result = ingest_pending(tmp_path, active=wal.path)
    assert (result.records, result.unreadable) == (11, 5)
    assert sum("unreadable values" in r.getMessage() for r in caplog.records) == 5
    rows = list(MessageLog.objects.order_by("seq"))
    assert [r.request_id for r in rows] == ["first"] + [
        f"{kind}{i}" for i in range(5) for kind in ("bad", "good")
    ]
    assert [r.flagged for r in rows] == [False] + [True, False] * 5
    assert json.loads(rows[1].unreadable) == {"started_at": "hôm qua lúc 9 giờ"}
    assert rows[1].unreadable.isascii()
    assert json.loads(rows[3].unreadable) == {
        "started_at": "2026-13-45T99:00:00.000000Z",
        "status_code": "OK",
    }
    assert json.loads(rows[5].unreadable) == {"started_at": 1764464523}
    assert json.loads(rows[7].unreadable) == {
        "status_code": 70000,
        "request_size": 1.5,
        "duration_ms": "nhanh",
    }
    assert (rows[7].status_code, rows[7].request_size, rows[7].duration_ms) == (0, 0, 0.0)
    assert json.loads(rows[9].unreadable) == {
        "provider_ms": [1, 2],
        "request_hash": "x" * 65,
        "path": {"a": 1},
    }
    assert (rows[9].provider_ms, rows[9].request_hash, rows[9].path) == (None, "", "")
    # the stand-in time is the time of ingestion; the good records keep their own
    assert abs((rows[1].started_at - timezone.now()).total_seconds()) < 60
    assert format_time(rows[2].started_at) == "2026-11-30T01:02:03.000004Z"
    report = verify_log()
    assert report.ok and report.checked == 11, report
    # the raw value is evidence too: changing it breaks the record's digest
    MessageLog.objects.filter(seq=2).update(unreadable='{"started_at":"hom nay"}')
    assert verify_log().broken_seq == 2
    MessageLog.objects.filter(seq=2).update(unreadable="")
    assert verify_log().broken_seq == 2


def test_the_ingest_command_says_how_many_records_were_unreadable(tmp_path, db, settings, capsys):
    settings.GATEWAY_LOG_KEY_FILE = str(tmp_path / "k.pem")
    settings.GATEWAY_WAL_DIR = str(tmp_path)
    wal = WalWriter(tmp_path)
    wal.add((json.dumps(_plain_record(started_at="?")) + "\n").encode())
    wal.add(wal_line(_plain_record()))
    wal.flush()
    call_command("gateway", "ingest")
    out, err = capsys.readouterr()
    assert "Đã ghi 2 bản ghi" in out
    assert "1 bản ghi có giá trị không đọc được" in err
    assert MessageLog.objects.get(seq=1).unreadable == '{"started_at":"?"}'


def test_a_broken_record_leaves_the_database_usable(logged):
    """Verify stops reading at the first broken record (PostgreSQL: the COPY is
    cancelled) and the connection answers the next query."""
    MessageLog.objects.filter(seq=2).update(consumer_code="khac")
    report = verify_log()
    assert not report.ok and report.broken_seq == 2 and report.checked == 1
    assert MessageLog.objects.count() == 6
    assert verify_log().broken_seq == 2


def test_a_time_is_kept_in_sqlite_as_django_keeps_it():
    import datetime as dt

    from django.db import connection

    from tinhso.gateway.messagelog import _sqlite_time, format_time

    for moment in (
        dt.datetime(2026, 11, 30, 1, 2, 3, 4, tzinfo=dt.UTC),
        dt.datetime(2026, 11, 30, 1, 2, 3, tzinfo=dt.UTC),
        dt.datetime(2026, 1, 2, 23, 59, 59, 999999, tzinfo=dt.UTC),
    ):
        if connection.vendor == "sqlite":
            expected = connection.ops.adapt_datetimefield_value(moment)
        else:
            expected = str(moment.replace(tzinfo=None))
        assert _sqlite_time(format_time(moment)) == expected


@pytest.mark.django_db(transaction=True)
def test_verify_in_several_processes_names_the_same_first_broken_record(tmp_path, settings):
    """`verify_log(workers=2)` cuts the chain in two ranges checked by two processes (on
    PostgreSQL or a SQLite file; an in-memory test database is checked in one): the same
    report as one process, for an intact log, a changed record in the second range and a
    deleted record at the end of the first."""
    settings.GATEWAY_LOG_KEY_FILE = str(tmp_path / "k.pem")
    wal = WalWriter(tmp_path)
    for i in range(2400):
        wal.add(wal_line(_plain_record(request_id=f"r{i}", path=f"/p/s/{i}")))
    wal.flush()
    assert ingest_pending(tmp_path, active=wal.path, batch=500).records == 2400
    # Each verify_log(workers=2) starts two interpreters (seconds each): one call a state.
    intact = verify_log(workers=2)
    assert intact == verify_log() and intact.ok and intact.checked == 2400
    assert intact.processes == (2 if _several_processes_possible() else 1)
    MessageLog.objects.filter(seq=2000).update(path="/khac")
    changed = verify_log(workers=2)
    assert changed == verify_log() and changed.broken_seq == 2000
    MessageLog.objects.filter(seq=1200).delete()
    report = verify_log(workers=2)
    assert report == verify_log() and (report.broken_seq, report.checked) == (1200, 1199)


def _log_of(tmp_path, records):
    wal = WalWriter(tmp_path)
    for i in range(records):
        wal.add(wal_line(_plain_record(request_id=f"r{i}", path=f"/p/s/{i}")))
    wal.flush()
    assert ingest_pending(tmp_path, active=wal.path, batch=1000).records == records


def _several_processes_possible() -> bool:
    from django.db import connection

    return not getattr(connection, "is_in_memory_db", lambda: False)()


@pytest.mark.django_db(transaction=True)
def test_verify_workers_are_new_processes_beside_a_thread_using_the_database(tmp_path, settings):
    """The workers are new interpreters (spawn), not copies of this process: a thread
    of it that uses the database the whole time (as the data plane's refresh thread, a
    test's live server do) neither hangs them nor loses its connection to them."""
    from django.db import connection, connections

    settings.GATEWAY_LOG_KEY_FILE = str(tmp_path / "k.pem")
    _log_of(tmp_path, 3000)
    stop, failures, queries = threading.Event(), [], [0]

    def busy() -> None:
        try:
            while not stop.is_set():
                with connection.cursor() as cursor:  # this thread's own connection
                    cursor.execute("SELECT COUNT(*) FROM gateway_messagelog WHERE seq > %s", [5])
                    assert cursor.fetchone()[0] == 2995
                queries[0] += 1
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=busy)
    thread.start()
    try:
        for _ in range(2):  # the thread outlives a round and the next one works too
            report = verify_log(workers=2)
            assert report.ok and report.checked == 3000, report
            assert report.processes == (2 if _several_processes_possible() else 1)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive() and not failures and queries[0] > 0


@pytest.mark.django_db(transaction=True)
def test_the_verify_command_checks_with_two_processes_by_default(tmp_path, settings, capsys):
    """`tinhso gateway verify` uses one process per core, up to two, unless told."""
    from tinhso.gateway.management.commands.gateway import Command
    from tinhso.gateway.messagelog import DEFAULT_VERIFY_WORKERS

    assert min(2, os.cpu_count() or 1) == DEFAULT_VERIFY_WORKERS
    parser = Command().create_parser("tinhso", "gateway")
    assert parser.parse_args(["verify"]).workers == DEFAULT_VERIFY_WORKERS
    settings.GATEWAY_LOG_KEY_FILE = str(tmp_path / "k.pem")
    settings.GATEWAY_WAL_DIR = str(tmp_path / "empty")
    _log_of(tmp_path, 2400)
    call_command("gateway", "verify")
    expected = DEFAULT_VERIFY_WORKERS if _several_processes_possible() else 1
    assert "2400 bản ghi" in (out := capsys.readouterr().out)
    assert f"{expected} tiến trình kiểm tra" in out
    call_command("gateway", "verify", "--workers", "1")
    assert "1 tiến trình kiểm tra" in capsys.readouterr().out
