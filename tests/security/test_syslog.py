"""The syslog listener receives real UDP datagrams and TCP streams on an ephemeral port:
RFC 5424 and RFC 3164 envelopes, JSON and CEF payloads, octet-counting and newline
framing; malformed lines are refused with a reason and the listener goes on."""

from __future__ import annotations

import json
import socket
import time

import pytest

from tests.security.conftest import sample
from tinhso.security.models import Event, RejectedInput
from tinhso.security.parsing import parse_syslog, split_frames
from tinhso.security.syslog import SyslogListener

CEF = (
    "CEF:0|Wazuh|Wazuh|4.9.0|5402|Successful sudo to ROOT executed|3|"
    "dvc=10.30.8.5 dvchost=syt-db-01 suser=hanhchinh src=10.30.8.5 cat=syslog,sudo"
)


@pytest.fixture
def listener(soc):
    server = SyslogListener(host="127.0.0.1", udp_port=0, tcp_port=0, linger=0.05)
    server.start_network()
    yield server
    server.stop()


def drain_until(server, expected: int, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    handled = 0
    while handled < expected and time.monotonic() < deadline:
        handled += server.drain(wait=0.2)


def rfc5424_json(alert: dict) -> str:
    return f"<132>1 2026-11-30T01:14:56.382Z wazuh-manager wazuh - - - {json.dumps(alert)}"


@pytest.mark.django_db
def test_udp_datagrams_in_rfc5424_json_and_rfc3164_cef_are_stored(listener):
    alert = sample("wazuh4_sshd.json")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.sendto(rfc5424_json(alert).encode(), ("127.0.0.1", listener.udp_port))
        udp.sendto(
            f"<134>Nov 30 08:20:01 wazuh-manager ossec: {CEF}".encode(),
            ("127.0.0.1", listener.udp_port),
        )
    drain_until(listener, 2)
    events = {e.format: e for e in Event.objects.all()}
    assert set(events) == {"wazuh4", "cef"}
    assert events["wazuh4"].source_event_id == alert["id"]
    assert events["wazuh4"].source.kind == "syslog"
    cef = events["cef"]
    assert cef.rule_id == "5402" and cef.level == 3 and cef.severity == "low"
    assert cef.user_name == "hanhchinh" and cef.host == "syt-db-01"
    assert cef.agency.code == "H58.07"  # dvc 10.30.8.5 in the Sở Y tế range
    assert cef.raw.startswith("<134>Nov 30 08:20:01")


@pytest.mark.django_db
def test_tcp_with_octet_counting_and_newline_framing_on_one_connection(listener):
    frames = []
    for n in range(3):
        alert = sample("wazuh4_sshd.json")
        alert["id"] = f"tcp.{n}"
        frames.append(rfc5424_json(alert).encode())
    octet = b"".join(f"{len(f)} ".encode() + f for f in frames[:2])
    newline = frames[2] + b"\n" + f"<134>Nov 30 08:20:01 fw01 ossec: {CEF}".encode() + b"\n"
    with socket.create_connection(("127.0.0.1", listener.tcp_port)) as tcp:
        tcp.sendall(octet[:100])  # a frame split across TCP segments
        time.sleep(0.05)
        tcp.sendall(octet[100:] + newline)
    drain_until(listener, 4)
    ids = set(Event.objects.values_list("source_event_id", flat=True))
    assert {"tcp.0", "tcp.1", "tcp.2"} <= ids
    assert Event.objects.count() == 4


@pytest.mark.django_db
def test_malformed_lines_are_refused_with_a_reason_and_the_listener_goes_on(listener):
    good = sample("wazuh4_sshd.json")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        for line in [
            "no priority at all",
            "<999>1 2026-11-30T01:14:56Z h a - - - x",
            '<13>1 2026-11-30T01:14:56Z h a - - - {"rule": {"level": ',
            "<13>Nov 30 08:20:01 fw01 ossec: CEF:0|broken",
            rfc5424_json(good),
        ]:
            udp.sendto(line.encode(), ("127.0.0.1", listener.udp_port))
    drain_until(listener, 5)
    assert Event.objects.count() == 1
    codes = sorted(RejectedInput.objects.values_list("code", flat=True))
    assert codes == [
        "security_malformed_cef",
        "security_malformed_json",
        "security_malformed_syslog",
        "security_malformed_syslog",
    ]
    assert listener.stats.rejected == 4 and listener.stats.accepted == 1


@pytest.mark.django_db
def test_a_flood_from_one_sender_is_dropped_beyond_its_rate(soc):
    server = SyslogListener(host="127.0.0.1", udp_port=None, tcp_port=0, rate_per_sender=50)
    server.start_network()
    try:
        lines = b"".join(
            f"<134>Nov 30 08:20:01 fw01 app: flood line {n}\n".encode() for n in range(500)
        )
        with socket.create_connection(("127.0.0.1", server.tcp_port)) as tcp:
            tcp.sendall(lines)
        deadline = time.monotonic() + 5
        while server.stats.received < 500 and time.monotonic() < deadline:
            time.sleep(0.05)
        while server.drain(wait=0.1):
            pass
    finally:
        server.stop()
    assert server.stats.received == 500
    assert server.stats.dropped_flood >= 400
    assert Event.objects.count() == 500 - server.stats.dropped_flood


def test_rfc3164_and_rfc5424_headers_are_read():
    m = parse_syslog("<34>Oct 11 22:14:15 mymachine su[230]: 'su root' failed for lonvick")
    assert (m.priority, m.hostname, m.app) == (34, "mymachine", "su")
    assert m.message == "'su root' failed for lonvick"
    m = parse_syslog(
        "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 "
        '[exampleSDID@32473 iut="3" eventSource="Application"] \ufeffAn application event'
    )
    assert (m.hostname, m.app, m.message) == (
        "mymachine.example.com",
        "evntslog",
        "An application event",
    )
    assert m.timestamp.year == 2003


def test_tcp_framing_keeps_incomplete_frames_for_later():
    buffer = bytearray(b"11 <13>1 - - -8 <13>1")
    assert split_frames(buffer) == [b"<13>1 - - -"]
    assert buffer == bytearray(b"8 <13>1")  # 8 bytes announced, 5 arrived
    buffer.extend(b"abcplain line\n")
    assert split_frames(buffer) == [b"<13>1abc", b"plain line"]
    assert buffer == bytearray()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_forked_writers_store_every_frame_of_one_tcp_stream_once(soc):
    """Two writer processes share one sender's stream: every line is stored once and the
    listener's counts include what the writers stored."""
    import threading

    server = SyslogListener(host="127.0.0.1", udp_port=None, tcp_port=0, batch=100, linger=0.05)
    server.start_writers(2)
    server.start_network()
    writer = threading.Thread(
        target=server.run_writer, kwargs={"housekeeping_every": 0, "report_every": 60}
    )
    writer.start()
    alert = sample("wazuh4_sshd.json")
    lines = []
    for n in range(1200):
        alert["id"] = f"1700000000.{n}"
        lines.append(rfc5424_json(alert).encode() + b"\n")
    try:
        with socket.create_connection(("127.0.0.1", server.tcp_port)) as tcp:
            tcp.sendall(b"".join(lines))
        deadline = time.monotonic() + 30
        while Event.objects.count() < 1200 and time.monotonic() < deadline:
            time.sleep(0.1)
        writers = server._pool.processes
        assert [p.is_alive() for p in writers] == [True, True]
    finally:
        server.stopping.set()
        writer.join(30)
        server.stop()
    assert Event.objects.count() == 1200
    assert Event.objects.values("source_event_id").distinct().count() == 1200
    assert server.stats.accepted == 1200 and server.stats.batches >= 12
    assert [p.exitcode for p in writers] == [0, 0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_killed_writer_is_replaced_and_the_stream_goes_on(soc):
    import os
    import signal
    import threading

    server = SyslogListener(host="127.0.0.1", udp_port=None, tcp_port=0, batch=50, linger=0.05)
    server.start_writers(2)
    server.start_network()
    victim = server._pool.processes[0]
    os.kill(victim.pid, signal.SIGKILL)
    victim.join(5)
    writer = threading.Thread(
        target=server.run_writer, kwargs={"housekeeping_every": 0, "report_every": 60}
    )
    writer.start()
    alert = sample("wazuh4_sshd.json")
    lines = []
    for n in range(600):
        alert["id"] = f"1700000100.{n}"
        lines.append(rfc5424_json(alert).encode() + b"\n")
    try:
        with socket.create_connection(("127.0.0.1", server.tcp_port)) as tcp:
            tcp.sendall(b"".join(lines))
        deadline = time.monotonic() + 30
        while Event.objects.count() < 600 and time.monotonic() < deadline:
            time.sleep(0.1)
        replacement = server._pool.processes[0]
    finally:
        server.stopping.set()
        writer.join(30)
        server.stop()
    assert Event.objects.count() == 600 and server.stats.accepted == 600
    assert replacement.pid != victim.pid and replacement.exitcode == 0
