"""Two tinhso instances as real processes (two provinces, two databases, two ports): a
gunicorn web server and a task worker each, started, killed (-9) and restarted by the
federation test and the exchange benchmark."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable
BIN = Path(PY).parent


_TAKEN: set[int] = set()


def free_port() -> int:
    """A free local port: from EXCHANGE_TEST_PORTS ("8350-8369") when set (a shared
    machine where each user has its own range), else any the system gives."""
    first, _, last = os.environ.get("EXCHANGE_TEST_PORTS", "").partition("-")
    candidates = range(int(first), int(last or first) + 1) if first else [0]
    for candidate in candidates:
        if candidate in _TAKEN:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            port = s.getsockname()[1]
            _TAKEN.add(port)
            return port
    raise RuntimeError("no free port in EXCHANGE_TEST_PORTS")


@dataclass
class Instance:
    name: str
    province: str
    var: Path
    database_url: str
    port: int = field(default_factory=free_port)
    web: subprocess.Popen | None = None
    worker: subprocess.Popen | None = None
    steps: str = "tests.exchange.federation"  # the module `run(step, ...)` runs
    # Persistent database connections (seconds), as in production (settings: 60); the
    # tests use 0 (a connection per request) so nothing holds their copied databases.
    conn_max_age: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def packages_url(self) -> str:
        return f"{self.url}/api/v1/exchange/packages"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.pop("DJANGO_SETTINGS_MODULE", None)
        env.update(
            {
                "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}",
                "DATABASE_URL": self.database_url,
                "TINHSO_VAR_DIR": str(self.var),
                "SECRET_KEY": f"federation-test-{self.name}-" + "k" * 40,
                "TINHSO_SITE_URL": self.url,
                "TINHSO_PROVINCE_NAME": self.name,
                # Retries every 0.3 s doubling up to 2 s, for about 75 s before the
                # dead-letter queue: a receiver killed for a few seconds is found again
                # within 2 s of its restart.
                "EXCHANGE_BACKOFF_SECONDS": "0.3",
                "EXCHANGE_BACKOFF_MAX_SECONDS": "2",
                "EXCHANGE_MAX_ATTEMPTS": "40",
                "EXCHANGE_SENDING_TIMEOUT": "3",
                "EXCHANGE_HTTP_TIMEOUT": "10",
                "PAYMENT_SANDBOX": "1",
                "DEBUG": "0",
                "SECURE_COOKIES": "0",
                "LOG_LEVEL": "WARNING",
                "DB_CONN_MAX_AGE": str(self.conn_max_age),
            }
        )
        return env

    def run(self, step: str, *args: str, timeout: float = 300) -> dict:
        done = subprocess.run(
            [PY, "-m", self.steps, step, *args],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{self.name} {step}: {done.stderr[-3000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    def sql(self, query: str, *params: object) -> list[tuple]:
        """Read this instance's database directly (fast polling by tests and benchmarks)."""
        if self.database_url.startswith("postgres"):
            import psycopg

            with psycopg.connect(self.database_url) as conn:
                return list(conn.execute(query.replace("?", "%s"), params).fetchall())
        import sqlite3

        path = self.database_url.removeprefix("sqlite:///")
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30) as db:
            return list(db.execute(query, params))

    def inbox(self) -> list[tuple[str, int, str]]:
        return self.sql(
            "select document_id, business_type, state from exchange_inboxitem "
            "where kind = 'document' order by id"
        )

    def transmissions(self) -> list[tuple[str, int, str, str]]:
        return self.sql(
            "select document_id, business_type, status, answer from exchange_transmission "
            "order by id"
        )

    def outbox_states(self) -> dict[str, int]:
        return dict(self.sql("select state, count(*) from exchange_outboxmessage group by state"))

    def manage(self, *args: str, timeout: float = 600) -> None:
        done = subprocess.run(
            [PY, "-m", "tinhso", *args],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{self.name} {args}: {done.stderr[-3000:]}")

    def _log(self, what: str):
        return open(self.var / f"{what}.log", "ab")  # noqa: SIM115 - the child keeps it

    def start_web(self, workers: int = 2) -> None:
        self.web = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "tinhso.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--timeout",
                "60",
            ],
            cwd=ROOT,
            env=self.env(),
            stdout=self._log("web"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{self.name}: web did not start")

    def start_worker(self, count: int = 1) -> None:
        self.extra_workers = [self._worker() for _ in range(count - 1)]
        self.worker = self._worker()

    def _worker(self) -> subprocess.Popen:
        return subprocess.Popen(
            [
                PY,
                "-m",
                "tinhso",
                "worker",
                "--interval",
                "0.1",
                "--sweep-interval",
                "1",
                "--seal-interval",
                "0",
            ],
            cwd=ROOT,
            env=self.env(),
            stdout=self._log("worker"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @staticmethod
    def _kill(proc: subprocess.Popen | None, sig: int = signal.SIGKILL) -> None:
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)  # its own session: the process and its children only
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)

    def kill_web(self) -> None:
        self._kill(self.web)
        self.web = None

    def kill_worker(self) -> None:
        for extra in getattr(self, "extra_workers", []):
            self._kill(extra)
        self._kill(self.worker)
        self.worker = None

    def stop(self) -> None:
        for extra in getattr(self, "extra_workers", []):
            self._kill(extra, signal.SIGTERM)
        self._kill(self.worker, signal.SIGTERM)
        self._kill(self.web, signal.SIGTERM)
        self.web = self.worker = None


def make_pair(
    base: Path, database_urls: tuple[str, str], *, migrate: bool = False, conn_max_age: int = 0
) -> tuple[Instance, Instance]:
    """Province A (H99) and province B (H98) on the two databases (migrated first when
    `migrate`: tests pass copies of an already migrated one), seeded, trusting each
    other's CA, each with an address-book entry for the other."""
    base.mkdir(parents=True, exist_ok=True)
    names = (("Tỉnh Sông Lam", "H99"), ("Tỉnh Lam Hà", "H98"))
    instances = []
    for (name, province), url in zip(names, database_urls, strict=True):
        var = base / province
        var.mkdir(exist_ok=True)
        instances.append(
            Instance(
                name=name,
                province=province,
                var=var,
                database_url=url,
                conn_max_age=conn_max_age,
            )
        )
    a, b = instances
    pems = {}
    for inst in instances:
        if migrate:
            inst.manage("migrate", "--noinput")
        pems[inst.province] = inst.run("seed", inst.province, inst.name)["ca_pem"]
    for inst, other in ((a, b), (b, a)):
        pem_file = inst.var / "other-ca.pem"
        pem_file.write_text(pems[other.province])
        inst.run("trust", str(pem_file))
        inst.run("endpoint", other.province, other.packages_url)
    return a, b
