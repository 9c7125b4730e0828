"""`tinhso gateway serve`: the data plane as several processes on one port.

The supervisor (the process `serve` runs in) takes what a previous run left in the
write-ahead files, starts the ingester, makes what the processes share (the consumers'
rate counts, `limits`; the metrics board, `board`), then forks the data-plane processes.
Each binds the port with SO_REUSEPORT (the kernel spreads the connections over them),
reads its own configuration snapshot and writes its own write-ahead file, so a call never
waits on another process. A process that dies is started again in its place; the
supervisor's own death, even by kill -9, stops them and the ingester (Linux's
parent-death signal): the next `serve` ingests what they wrote.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings

from tinhso.gateway.board import MetricsBoard
from tinhso.gateway.limits import RateLimiter
from tinhso.gateway.messagelog import ingest_pending

log = logging.getLogger("tinhso.gateway")

MAX_DEFAULT_PROCESSES = 4
QUICK_DEATH_SECONDS = 2.0  # a process that dies sooner did not start (a port taken, ...)
QUICK_DEATHS_TO_GIVE_UP = 5
STOP_GRACE_SECONDS = 30.0


def default_processes() -> int:
    configured = int(getattr(settings, "GATEWAY_PROCESSES", 0) or 0)
    if configured > 0:
        return configured
    return max(1, min(MAX_DEFAULT_PROCESSES, os.cpu_count() or 1))


class _Stop(Exception):
    pass


STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _ignore_stops() -> None:
    """A stop often comes twice (the terminal's SIGINT to the whole group, then
    `tinhso serve`'s SIGTERM): the second must not cut the shutdown short, or the last
    write-ahead files stay behind, to be read into whatever database the next start has."""
    for s in STOP_SIGNALS:
        signal.signal(s, signal.SIG_IGN)


def _raise_stop(*_: object) -> None:
    _ignore_stops()
    raise _Stop


def serve(*, host: str, port: int, processes: int) -> int:
    """Run until SIGTERM or SIGINT; the exit status (1: the processes could not start)."""
    from django.db import connections

    count = processes
    _ingest_quietly()
    limiter = RateLimiter.create(count)
    board_dir = Path(tempfile.mkdtemp(prefix="tinhso-gateway-"))
    connections.close_all()  # each process opens its own
    # what is loaded by now (Django, the libraries) lives as long as the processes: the
    # collector no longer walks it on every full collection (pauses of ~0.1 s), and the
    # forked processes share its pages
    gc.collect()
    gc.freeze()
    parent = os.getpid()
    roles: dict[int, int] = {}  # pid → data-plane process index, or -1 for the ingester
    started: dict[int, float] = {}
    quick_deaths = [0] * count
    status = 0

    def start(index: int) -> None:
        pid = (
            _start_ingester(parent)
            if index < 0
            else _fork(index, count, host, port, limiter, board_dir)
        )
        roles[pid], started[pid] = index, time.monotonic()

    previous = {s: signal.signal(s, _raise_stop) for s in STOP_SIGNALS}
    try:
        start(-1)
        for index in range(count):
            start(index)
        while True:
            pid, code = os.wait()
            if pid not in roles:
                continue
            index = roles.pop(pid)
            lived = time.monotonic() - started.pop(pid)
            what = "ingester" if index < 0 else f"data-plane process {index}"
            log.warning("%s (pid %s) ended (%s); starting it again", what, pid, code)
            if index >= 0 and lived < QUICK_DEATH_SECONDS:
                quick_deaths[index] += 1
                if quick_deaths[index] >= QUICK_DEATHS_TO_GIVE_UP:
                    log.error("%s does not start; stopping the gateway", what)
                    status = 1
                    break
                time.sleep(0.2 * quick_deaths[index])
            elif index >= 0:
                quick_deaths[index] = 0
            start(index)
    except _Stop:
        pass
    finally:
        _ignore_stops()  # (also when the processes could not start)
        _stop_all(roles)
        shutil.rmtree(board_dir, ignore_errors=True)
        _ingest_quietly()
        for s, handler in previous.items():
            signal.signal(s, handler)
    return status


def _stop_all(roles: dict[int, int]) -> None:
    """SIGTERM to every process (the data plane answers the calls in progress), then
    SIGKILL to any still there after the grace."""
    for pid in roles:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    while roles and time.monotonic() < deadline:
        pid, _ = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            time.sleep(0.05)
        else:
            roles.pop(pid, None)
    for pid in roles:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)


def _start_ingester(parent: int) -> int:
    """The ingester runs as a program of its own: hashing, signing and database writes
    never take a data-plane process's CPU turn or interpreter lock."""
    ingester = subprocess.Popen(  # noqa: S603 (our own executable, no shell)
        [sys.executable, "-m", "tinhso", "gateway", "ingest", "--follow"]
        + ["--stop-with", str(parent)],
        preexec_fn=_die_with(parent),  # noqa: PLW1509 (the supervisor runs no thread)
    )
    return ingester.pid


def _die_with(parent: int):
    """For a child, before it runs Python: SIGTERM when the supervisor dies (Linux's
    parent-death signal). `--stop-with` alone is read only once Django has started and
    after each pass, which on a busy machine is long after a kill -9."""

    def arrange() -> None:
        import ctypes

        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):  # not Linux: `--stop-with` still stops it
            return
        if os.getppid() != parent:  # the supervisor died before the arrangement
            os._exit(0)

    return arrange


def _fork(
    index: int, count: int, host: str, port: int, limiter: RateLimiter, board_dir: Path
) -> int:
    parent = os.getpid()
    pid = os.fork()
    if pid:
        return pid
    status = 0
    try:
        for s in (signal.SIGTERM, signal.SIGINT):
            signal.signal(s, signal.SIG_DFL)
        _die_with(parent)()
        _run_process(
            host=host,
            port=port,
            limiter=limiter.for_process(index),
            board=MetricsBoard(board_dir, index, count),
        )
    except BaseException:
        log.exception("data-plane process %s failed", index)
        status = 1
    finally:
        logging.shutdown()
        os._exit(status)


def _run_process(*, host: str, port: int, limiter: RateLimiter, board: MetricsBoard) -> None:
    """One data-plane process, until SIGTERM or SIGINT."""
    from tinhso.gateway.server import build_app, new_loop, run_server

    app = build_app(limiter=limiter, board=board)
    try:
        app.reload()
    except Exception as exc:  # start anyway; /health says the configuration is missing
        app.config_error = f"{type(exc).__name__}: {exc}"[:300]
    app.start_background()
    loop = new_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        loop.run_until_complete(run_server(app, host=host, port=port, stop=stop, reuse_port=True))
    finally:
        loop.close()
        app.stop_background()
        app.wal.close()


def _ingest_quietly() -> None:
    """Take what the write-ahead files hold; if the database is down they keep it."""
    try:
        ingest_pending()
    except Exception:
        log.exception("message-log ingestion failed")
