"""PostgreSQL restarting under load (issue 18): requests during the outage fail cleanly
(a 503 page or the API's JSON error, never a 500, a traceback or a cut connection) and
the platform recovers by itself within seconds, without restarting tinhso; the task
worker survives it and runs tasks afterwards.

Real processes on a private PostgreSQL cluster of the test's own (initdb in a temporary
directory, a free port; never the shared server): gunicorn with persistent connections
(DB_CONN_MAX_AGE=60, the production setting) and `tinhso worker` with its audit sealer
and outbox sweeper, while a thread keeps requesting a public page, an API list and a
page with a session cookie (the session is read by middleware, before any view).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.exchange.instances import PY, ROOT, Instance, free_port

pytestmark = pytest.mark.postgres

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
MESSAGE = "Hệ thống tạm thời gián đoạn, vui lòng thử lại sau ít phút"
RECOVERY_SECONDS = 10
PATHS = {
    "page": "/feedback/",  # read from the database at every visit (the catalogue is kept)
    "api": "/api/v1/onestop/fields/",  # read at every call (the procedures are kept)
    "session": "/",  # with a session cookie: read by the session middleware
}


class PrivateCluster:
    """A PostgreSQL cluster of the test's own, run by the postgres system user."""

    def __init__(self) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="tinhso-pgrestart-"))
        self.data = self.base / "data"
        self.port = free_port()
        owner = pwd.getpwnam("postgres")
        os.chown(self.base, owner.pw_uid, owner.pw_gid)
        self._as_postgres(
            PG_BIN / "initdb", "-D", self.data, "-U", "postgres", "-A", "trust", "-E", "UTF8",
            "--no-sync",
        )  # fmt: skip

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/tinhso"

    def _as_postgres(self, *argv: object, timeout: float = 120) -> None:
        done = subprocess.run(
            ["runuser", "-u", "postgres", "--", *map(str, argv)],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{argv[0]}: {done.stdout[-2000:]} {done.stderr[-2000:]}")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._as_postgres(
            PG_BIN / "pg_ctl", "-D", self.data, "-l", self.base / "server.log", "-o", options,
            "-w", "-t", "60", "start",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._as_postgres(PG_BIN / "pg_ctl", "-D", self.data, "-m", mode, "-w", "stop")

    def create_database(self, *, copy_of: dict) -> None:
        """The database `tinhso`, a copy of the migrated test database (`copy_of`, Django's
        settings of it): migrating from nothing takes minutes on a loaded machine."""
        import psycopg

        with psycopg.connect(
            f"postgresql://postgres@127.0.0.1:{self.port}/postgres", autocommit=True
        ) as conn:
            conn.execute("CREATE DATABASE tinhso")
        env = dict(os.environ, PGPASSWORD=str(copy_of.get("PASSWORD") or ""))
        source = [
            "-h", str(copy_of.get("HOST") or "127.0.0.1"), "-p", str(copy_of.get("PORT") or 5432),
            "-U", str(copy_of.get("USER") or "postgres"),
        ]  # fmt: skip
        dump = subprocess.run(
            [PG_BIN / "pg_dump", "--no-owner", "--no-privileges", *source, copy_of["NAME"]],
            capture_output=True,
            env=env,
            timeout=300,
            check=True,
        )
        subprocess.run(
            [PG_BIN / "psql", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p",
             str(self.port), "-U", "postgres", "-d", "tinhso"],
            input=dump.stdout,
            capture_output=True,
            timeout=300,
            check=True,
        )  # fmt: skip

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(Exception):  # delete it anyway
                self.stop("immediate")
        shutil.rmtree(self.base, ignore_errors=True)


@dataclass
class Answer:
    at: float
    what: str
    status: int | None
    body: str
    error: str = ""


class RestartInstance(Instance):
    """tinhso on the private cluster, with persistent connections as in production."""

    def env(self) -> dict[str, str]:
        env = super().env()
        env["DB_CONN_MAX_AGE"] = "60"
        env["LOG_LEVEL"] = "INFO"
        return env

    def _worker(self) -> subprocess.Popen:
        return subprocess.Popen(
            [PY, "-m", "tinhso", "worker", "--interval", "0.1", "--sweep-interval", "1"],
            cwd=ROOT,
            env=self.env(),
            stdout=self._log("worker"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def shell(self, code: str) -> str:
        done = subprocess.run(
            [PY, "-m", "tinhso", "shell", "-c", code],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(done.stderr[-3000:])
        return done.stdout.strip().splitlines()[-1]


class Traffic(threading.Thread):
    """Requests the three addresses in turn until stopped, recording every answer."""

    def __init__(self, base_url: str) -> None:
        super().__init__(daemon=True)
        self.base_url = base_url
        self.answers: list[Answer] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            for what, path in PATHS.items():
                cookies = {"sessionid": "x" * 32} if what == "session" else None
                try:
                    r = requests.get(self.base_url + path, cookies=cookies, timeout=15)
                    body = ""
                    if r.status_code != 200:  # kept with the headers the test checks
                        body = (
                            f"{r.text}\nRetry-After: {r.headers.get('Retry-After')}"
                            f"\nContent-Type: {r.headers.get('Content-Type')}"
                        )
                    answer = Answer(time.monotonic(), what, r.status_code, body)
                except requests.RequestException as exc:
                    answer = Answer(time.monotonic(), what, None, "", repr(exc))
                self.answers.append(answer)
            time.sleep(0.05)

    def since(self, moment: float) -> list[Answer]:
        return [a for a in self.answers if a.at >= moment]


@pytest.fixture
def instance(tmp_path, db):
    from django.db import connection

    cluster = PrivateCluster()
    inst = None
    try:
        cluster.start()
        cluster.create_database(copy_of=connection.settings_dict)  # the test database
        var = tmp_path / "var"
        var.mkdir()
        inst = RestartInstance(
            name="Tỉnh Sông Lam", province="H99", var=var, database_url=cluster.url
        )
        inst.manage("migrate", "--noinput")  # nothing to apply: checks the copy is whole
        inst.manage("collectstatic", "--noinput", "-v", "0")  # DEBUG off: the manifest
        inst.cluster = cluster  # type: ignore[attr-defined]
        yield inst
    finally:
        if inst is not None:
            inst.stop()
        cluster.remove()


def _wait_healthy(url: str, timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            if requests.get(url + "/healthz", timeout=5).status_code == 200:
                return time.monotonic() - started
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} not healthy within {timeout}s")


def _task_status(inst: RestartInstance, task_id: str) -> str:
    rows = inst.sql("select status from django_tasks_database_dbtaskresult where id = ?", task_id)
    return rows[0][0] if rows else ""


def test_postgres_restart_under_load_is_a_clean_503_then_recovers_without_restarting(
    instance,
):
    inst = instance
    cluster = inst.cluster
    inst.start_web(workers=2)
    inst.start_worker()
    _wait_healthy(inst.url, 60)
    traffic = Traffic(inst.url)
    traffic.start()
    try:
        time.sleep(3)  # every gunicorn worker holds its persistent connection
        warm = traffic.since(0)
        assert warm and all(a.status == 200 for a in warm), [
            (a.what, a.status, a.error, a.body[:300]) for a in warm if a.status != 200
        ][:5]

        down_at = time.monotonic()
        cluster.stop("fast")  # the connections are cut, new ones are refused
        time.sleep(4)
        cluster.start()
        up_at = time.monotonic()
        # back to 200 on every address, without touching tinhso's processes
        recovered_at = None
        while time.monotonic() - up_at < RECOVERY_SECONDS + 5:
            recent = traffic.since(time.monotonic() - 0.5)
            if recovered_at is None and {a.what for a in recent if a.status == 200} == set(PATHS):
                recovered_at = time.monotonic()
            if recovered_at and time.monotonic() - recovered_at > 2:
                break
            time.sleep(0.2)
    finally:
        traffic.stopping.set()
        traffic.join(timeout=30)

    during = traffic.since(down_at)
    # every answer: a page, or a clean 503; never a 500, a traceback or a cut connection
    bad = [
        (a.what, a.status, a.error, a.body[:300])
        for a in during
        if a.status not in (200, 503) or a.error
    ]
    assert not bad, bad[:5]
    outage = [a for a in during if a.status == 503]
    assert {a.what for a in outage} == set(PATHS), "the outage was not seen on every address"
    for a in outage:
        assert "Traceback" not in a.body and "Retry-After: " in a.body, a.body[:500]
        assert "Retry-After: None" not in a.body
        if a.what == "api":
            assert '"code":"database_unavailable"' in a.body.replace(" ", ""), a.body[:300]
            assert "application/json" in a.body
        else:
            assert MESSAGE in a.body and "text/html" in a.body, a.body[:500]
    assert recovered_at is not None, "not every address answered 200 again"
    assert recovered_at - up_at < RECOVERY_SECONDS, recovered_at - up_at
    print(
        f"\n[restart: {len(outage)} clean 503 answers during the outage, every address "
        f"answering 200 {recovered_at - up_at:.1f} s after PostgreSQL was back]"
    )
    after = traffic.since(recovered_at + 0.5)
    assert after and all(a.status == 200 for a in after), [
        (a.what, a.status, a.error) for a in after if a.status != 200
    ][:5]
    # nothing was restarted: the same web and worker processes answer
    assert inst.web is not None and inst.web.poll() is None
    assert inst.worker is not None and inst.worker.poll() is None, "the worker died"

    # the worker still runs tasks
    task_id = inst.shell(
        "from tinhso.onestop.tasks import sweep_pending_uploads_task as t; print(t.enqueue().id)"
    )
    deadline = time.monotonic() + 30
    while _task_status(inst, task_id) != "SUCCESSFUL" and time.monotonic() < deadline:
        time.sleep(0.3)
    assert _task_status(inst, task_id) == "SUCCESSFUL"

    # the logs say it in a few lines, no traceback flood
    web_log = (inst.var / "web.log").read_text(errors="replace")
    worker_log = (inst.var / "worker.log").read_text(errors="replace")
    assert "database unavailable" in web_log
    assert "Traceback" not in web_log, web_log[-3000:]
    assert "Traceback" not in worker_log, worker_log[-3000:]
    assert "task worker: database unavailable" in worker_log, worker_log[-3000:]
    assert "database available again" in worker_log
    assert worker_log.count("task worker: database unavailable") <= 2, worker_log[-3000:]
