"""Building and running the data plane (`tinhso gateway serve`) with uvicorn."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from django.conf import settings

from tinhso.gateway.config import current_version, load_snapshot
from tinhso.gateway.dataplane import Gateway
from tinhso.gateway.messagelog import WalWriter, ingest_pending, wal_dir


def setting(name: str, default):
    return getattr(settings, name, default)


def build_app(
    *,
    directory: Path | None = None,
    refresh_seconds: float | None = None,
    ingest_seconds: float | None = None,
    with_ingester: bool = True,
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
        ingest=(lambda: ingest_pending(directory, active=wal.path)) if with_ingester else None,
        ingest_seconds=(
            float(setting("GATEWAY_INGEST_SECONDS", 1.0))
            if ingest_seconds is None
            else ingest_seconds
        ),
        trusted_cert_header=bool(setting("GATEWAY_TRUST_CERT_HEADER", False)),
    )
    return app


def uvicorn_config(app: Gateway, *, host: str, port: int, **extra):
    import uvicorn

    return uvicorn.Config(
        app,
        host=host,
        port=port,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        access_log=False,
        log_level=extra.pop("log_level", "warning"),
        timeout_keep_alive=30,
        **extra,
    )


def serve(*, host: str, port: int) -> None:
    """Run until interrupted: first ingest what a previous run left, then serve."""
    import os
    import subprocess
    import sys

    import uvicorn

    _ingest_quietly()
    # The ingester runs in a process of its own: hashing, signing and database writes
    # never hold the data plane's interpreter lock.
    ingester = subprocess.Popen(  # noqa: S603 (our own executable, no shell)
        [sys.executable, "-m", "tinhso", "gateway", "ingest", "--follow"]
        + ["--stop-with", str(os.getpid())]
    )
    app = build_app(with_ingester=False)
    try:
        app.reload()
    except Exception as exc:  # start anyway; /health says the configuration is missing
        app.config_error = f"{type(exc).__name__}: {exc}"[:300]
    app.start_background()
    try:
        uvicorn.Server(uvicorn_config(app, host=host, port=port)).run()
    finally:
        app.stop_background()
        app.wal.close()
        ingester.terminate()
        ingester.wait(timeout=30)
        _ingest_quietly()


def follow(*, stop_after: float | None = None, stop_with: int | None = None) -> None:
    """Ingest every GATEWAY_INGEST_SECONDS until terminated (`gateway ingest --follow`),
    or until `stop_with`, the data plane that started it, is no longer its parent: a data
    plane killed with -9 cannot stop its ingester, which must not live on alone (the next
    data plane starts its own)."""
    import logging
    import os
    import signal

    from django.db import close_old_connections

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


def _ingest_quietly() -> None:
    """Take what the write-ahead files hold; if the database is down they keep it."""
    import logging

    try:
        ingest_pending()
    except Exception:
        logging.getLogger("tinhso.gateway").exception("message-log ingestion failed")


class ThreadedGateway:
    """The real data plane (uvicorn, the real sockets) in a thread: tests and benchmarks.

    The configuration is loaded by the caller (`reload()`, in the caller's thread and
    database connection) and ingestion is left to the caller (`ingest()`), so the test
    database is only ever used from the test's own thread."""

    def __init__(self, *, directory: Path, host: str = "127.0.0.1", port: int = 0) -> None:
        import socket

        import uvicorn

        if port == 0:
            with socket.socket() as sock:
                sock.bind((host, 0))
                port = sock.getsockname()[1]
        self.host, self.port = host, port
        self.directory = directory
        self.app = build_app(directory=directory, refresh_seconds=0, with_ingester=False)
        self.server = uvicorn.Server(uvicorn_config(self.app, host=host, port=port))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> ThreadedGateway:
        self.app.reload()
        self.thread.start()
        deadline = time.time() + 10
        while not self.server.started:
            if time.time() > deadline:
                raise RuntimeError("gateway did not start")
            time.sleep(0.02)
        return self

    def reload(self) -> None:
        self.app.reload()

    def ingest(self):
        return ingest_pending(self.directory, active=self.app.wal.path)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.app.wal.close()
