"""Building and running one data-plane process: the gateway's logic (`dataplane.Gateway`)
behind its HTTP/1.1 server (`httpserver.HttpServer`), on uvloop. `supervisor` runs
several of them for `tinhso gateway serve`; `follow` is the ingester they start."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings

from tinhso.gateway.board import MetricsBoard
from tinhso.gateway.config import current_version, load_snapshot
from tinhso.gateway.dataplane import Gateway
from tinhso.gateway.httpserver import HttpServer
from tinhso.gateway.limits import RateLimiter
from tinhso.gateway.messagelog import WalWriter, ingest_pending, wal_dir


def setting(name: str, default):
    return getattr(settings, name, default)


def build_app(
    *,
    directory: Path | None = None,
    refresh_seconds: float | None = None,
    limiter: RateLimiter | None = None,
    board: MetricsBoard | None = None,
) -> Gateway:
    directory = Path(directory or wal_dir())
    wal = WalWriter(directory)
    app = Gateway(
        loader=load_snapshot,
        wal=wal,
        max_body_bytes=int(setting("GATEWAY_MAX_BODY_BYTES", 10 * 1024 * 1024)),
        refresh_seconds=(
            float(setting("GATEWAY_CONFIG_REFRESH_SECONDS", 2.0))
            if refresh_seconds is None
            else refresh_seconds
        ),
        version_reader=current_version,
        trusted_cert_header=bool(setting("GATEWAY_TRUST_CERT_HEADER", False)),
        limiter=limiter,
        board=board,
    )
    return app


KEEP_ALIVE_SECONDS = 30.0
INGESTER_NICENESS = 10  # added to the data plane's own


async def run_server(
    app: Gateway,
    *,
    host: str,
    port: int,
    stop: asyncio.Event,
    started: Callable[[HttpServer], None] | None = None,
    reuse_port: bool = False,
) -> None:
    """Serve `app` on host:port until `stop` is set, then let the calls in progress be
    answered and close."""
    app.start()
    server = HttpServer(
        app, host=host, port=port, keep_alive=KEEP_ALIVE_SECONDS, reuse_port=reuse_port
    )
    await server.start()
    if started is not None:
        started(server)
    try:
        await stop.wait()
    finally:
        await server.close()
        app.close()


def new_loop() -> asyncio.AbstractEventLoop:
    import uvloop

    return uvloop.new_event_loop()


def follow(*, stop_after: float | None = None, stop_with: int | None = None) -> None:
    """Ingest every GATEWAY_INGEST_SECONDS until terminated (`gateway ingest --follow`),
    or until `stop_with`, the data plane that started it, is no longer its parent: a data
    plane killed with -9 cannot stop its ingester, which must not live on alone (the next
    data plane starts its own)."""
    import logging
    import os
    import signal

    from django.db import close_old_connections

    if stop_with is not None:
        # the ingester of a data plane gives way to it for the CPU: a call waits on the
        # data plane, a record waits in the write-ahead files (already safe there)
        os.nice(INGESTER_NICENESS)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    interval = float(setting("GATEWAY_INGEST_SECONDS", 1.0))
    started = time.monotonic()
    last_sync = 0.0
    while not stopping.is_set():
        try:
            close_old_connections()
            ingest_pending()
        except Exception as exc:  # the write-ahead files keep the records until the next pass
            from tinhso.core.faults import log_failure

            log_failure(logging.getLogger("tinhso.gateway"), "message-log ingestion failed", exc)
        if setting("GATEWAY_CONNECTOR_KEY", "") and time.monotonic() - last_sync > 10:
            last_sync = time.monotonic()
            try:
                from tinhso.gateway.connectors import portal

                portal.collect()
                portal.push()
            except Exception:  # retried at the next pass
                logging.getLogger("tinhso.gateway").exception("portal synchronisation failed")
        if stop_after is not None and time.monotonic() - started > stop_after:
            return
        if stop_with is not None and os.getppid() != stop_with:
            return
        stopping.wait(interval)


class ThreadedGateway:
    """The real data plane (its HTTP server, the real sockets) in a thread: tests and
    benchmarks.

    The configuration is loaded by the caller (`reload()`, in the caller's thread and
    database connection) and ingestion is left to the caller (`ingest()`), so the test
    database is only ever used from the test's own thread."""

    def __init__(self, *, directory: Path, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host, self.port = host, port
        self.directory = directory
        self.app = build_app(directory=directory, refresh_seconds=0)
        self.loop = new_loop()
        self._stop = asyncio.Event()
        self._started = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        def started(server: HttpServer) -> None:
            self.port = server.port
            self._started.set()

        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(
                run_server(
                    self.app, host=self.host, port=self.port, stop=self._stop, started=started
                )
            )
        finally:
            self.loop.close()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> ThreadedGateway:
        self.app.reload()
        self.thread.start()
        if not self._started.wait(10):
            raise RuntimeError("gateway did not start")
        return self

    def reload(self) -> None:
        self.app.reload()

    def ingest(self):
        return ingest_pending(self.directory, active=self.app.wal.path)

    def stop(self) -> None:
        if self.thread.is_alive():
            self.loop.call_soon_threadsafe(self._stop.set)
        self.thread.join(timeout=15)
        self.app.wal.close()
