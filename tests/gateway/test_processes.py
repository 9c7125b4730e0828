"""`tinhso gateway serve` runs the data plane as several processes on one port: a call
lands on any of them, a process that dies is replaced, and what they count is counted
once for all of them."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

from tinhso.gateway.messagelog import ingest_pending, verify_log
from tinhso.gateway.models import MessageLog

from .conftest import children_of, free_port, gone, start_data_plane

CALLS_TOTAL = re.compile(r"^tinhso_gateway_calls_total\{[^}]*\} (\d+)$", re.M)


def _stop(proc) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=40)
    except Exception:
        proc.kill()
        proc.wait()


def _exit_status(proc, *, timeout: float) -> int | None:
    """The supervisor's exit status once it ends by itself; killed (None) if it hangs."""
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return None


def _call(port: int, n: int) -> requests.Response:
    """A call on a connection of its own (the kernel picks the process per connection)."""
    return requests.get(
        f"http://127.0.0.1:{port}/p/s/{n}",
        headers={"X-Request-Id": f"call-{n}", "Connection": "close"},
        timeout=5,
    )


def test_calls_are_spread_over_the_processes_and_the_metrics_count_them_all(tmp_path):
    proc, port, _ = start_data_plane(tmp_path, processes=2)
    try:
        seen = set()
        for n in range(40):
            health = requests.get(
                f"http://127.0.0.1:{port}/health", headers={"Connection": "close"}, timeout=5
            ).json()
            assert health["processes"] == 2
            seen.add(health["process"])
            assert _call(port, n).status_code == 401
        assert seen == {0, 1}
        time.sleep(1.5)  # each process publishes its counts once a second
        for _ in range(6):  # whichever process answers the scrape
            metrics = requests.get(
                f"http://127.0.0.1:{port}/metrics", headers={"Connection": "close"}, timeout=5
            ).text
            assert sum(int(n) for n in CALLS_TOTAL.findall(metrics)) == 40
            assert "tinhso_gateway_processes 2" in metrics
    finally:
        _stop(proc)


@pytest.mark.django_db(transaction=True)
def test_a_killed_data_plane_process_is_replaced_and_its_answered_calls_are_logged(
    tmp_path, settings
):
    settings.GATEWAY_LOG_KEY_FILE = str(tmp_path / "k.pem")
    proc, port, wal_dir = start_data_plane(tmp_path, processes=2)
    answered = []
    try:
        before = set(children_of(proc.pid))
        for n in range(20):
            answered.append(_call(port, n).headers["X-Request-Id"])
        victim = next(
            pid for pid in before if b"ingest" not in Path(f"/proc/{pid}/cmdline").read_bytes()
        )
        os.kill(victim, signal.SIGKILL)
        assert gone(victim)
        deadline = time.time() + 60
        while time.time() < deadline:  # the supervisor forks its successor
            now = set(children_of(proc.pid))
            if len(now) == 3 and victim not in now:
                break
            time.sleep(0.1)
        assert len(now) == 3 and victim not in now and before - {victim} <= now
        for n in range(20, 60):  # both processes answer again
            answered.append(_call(port, n).headers["X-Request-Id"])
    finally:
        _stop(proc)
    ingest_pending(wal_dir)
    logged = set(MessageLog.objects.values_list("request_id", flat=True))
    assert set(answered) <= logged
    assert verify_log().ok


def test_the_gateway_stops_with_an_error_when_its_port_is_taken(tmp_path):
    port = free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        proc, _, _ = start_data_plane(tmp_path, processes=2, wait=False, port=port)
        assert _exit_status(proc, timeout=90) == 1


def test_a_stop_signalled_twice_still_stops_the_gateway_in_order(tmp_path):
    """Ctrl+C reaches the whole process group and `tinhso serve` then sends SIGTERM: the
    supervisor still stops its processes, reads the last write-ahead files and exits 0
    (before, the second signal killed it halfway and the files stayed behind)."""
    proc, _, _ = start_data_plane(tmp_path, processes=2)
    children = children_of(proc.pid)
    assert len(children) == 3
    os.kill(proc.pid, signal.SIGINT)
    time.sleep(0.05)
    os.kill(proc.pid, signal.SIGTERM)
    assert _exit_status(proc, timeout=60) == 0
    assert all(gone(pid) for pid in children)
