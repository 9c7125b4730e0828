"""A private PostgreSQL primary and its streaming replica (`pg_basebackup -R`) on free
ports under a temporary directory, for the read-replica test and benchmark.

Never touches the shared PostgreSQL on 5432 except to read a migrated database with
`pg_dump` (migrating from scratch takes minutes; restoring a dump takes seconds)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from tests.exchange.instances import free_port

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
DB = "tinhso"


def _as_postgres(*args: str, timeout: float = 120) -> str:
    command = [str(a) for a in args]
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)}: {done.stdout[-1500:]} {done.stderr[-1500:]}")
    return done.stdout


class Cluster:
    """`primary` and `replica` data directories; `primary_url`, `replica_url`."""

    def __init__(self) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="tinhso-replica-"))
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres", "postgres")
        self.primary = self.base / "primary"
        self.replica = self.base / "replica"
        self.primary_port = free_port()
        self.replica_port = free_port()

    def url(self, port: int, db: str = DB) -> str:
        return f"postgres://postgres@127.0.0.1:{port}/{db}"

    @property
    def primary_url(self) -> str:
        return self.url(self.primary_port)

    @property
    def replica_url(self) -> str:
        return self.url(self.replica_port)

    def _ctl(self, datadir: Path, port: int, action: str) -> None:
        args = [PG_BIN / "pg_ctl", "-D", datadir, "-w", "-t", "60", "-l", f"{datadir}.log"]
        if action == "start":
            args += ["-o", f"-p {port} -k {self.base}", "start"]
        else:
            args += ["-m", "fast", "stop"]
        _as_postgres(*args)

    def start_primary(self) -> None:
        _as_postgres(PG_BIN / "initdb", "-D", self.primary, "-U", "postgres", "-A", "trust",
                     "--no-sync", "-E", "UTF8", "--locale", "C.UTF-8")  # fmt: skip
        with open(self.primary / "postgresql.conf", "a") as conf:
            conf.write(
                "\nlisten_addresses = '127.0.0.1'\nwal_level = replica\nmax_wal_senders = 4\n"
                "hot_standby = on\nfsync = off\nfull_page_writes = off\n"
                "shared_buffers = 32MB\nmax_connections = 60\n"
            )
        with open(self.primary / "pg_hba.conf", "a") as hba:
            hba.write("\nhost replication postgres 127.0.0.1/32 trust\n")
        self._ctl(self.primary, self.primary_port, "start")

    def load(self, source_url: str) -> None:
        """Database `tinhso` on the primary, a copy of `source_url` (schema and data)."""
        import psycopg

        with psycopg.connect(self.url(self.primary_port, "postgres"), autocommit=True) as c:
            c.execute(f"CREATE DATABASE {DB}")
        dump = subprocess.Popen(
            [PG_BIN / "pg_dump", "-Fc", "--no-owner", "--no-privileges", source_url],
            stdout=subprocess.PIPE,
        )
        restore = subprocess.run(
            [PG_BIN / "pg_restore", "--no-owner", "--no-privileges", "-d", self.primary_url],
            stdin=dump.stdout,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert dump.stdout is not None
        dump.stdout.close()
        if dump.wait(timeout=600) != 0 or restore.returncode != 0:
            raise RuntimeError(f"copying {source_url}: {restore.stderr[-2000:]}")

    def make_replica(self) -> None:
        _as_postgres(PG_BIN / "pg_basebackup", "-h", "127.0.0.1", "-p", str(self.primary_port),
                     "-U", "postgres", "-D", self.replica, "-R", "-X", "stream",
                     "-c", "fast", timeout=600)  # fmt: skip
        self.start_replica()

    def start_replica(self) -> None:
        self._ctl(self.replica, self.replica_port, "start")

    def stop_replica(self) -> None:
        self._ctl(self.replica, self.replica_port, "stop")

    def sql(self, url: str, query: str, *params: object) -> list[tuple]:
        import psycopg

        with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
            cursor = conn.execute(query, params or None)
            return list(cursor.fetchall()) if cursor.description else []

    def pause_replay(self) -> None:
        self.sql(self.replica_url, "SELECT pg_wal_replay_pause()")

    def resume_replay(self) -> None:
        self.sql(self.replica_url, "SELECT pg_wal_replay_resume()")

    def wait_replayed(self, timeout: float = 30) -> None:
        """Until the replica has replayed everything the primary has written so far."""
        target = self.sql(self.primary_url, "SELECT pg_current_wal_lsn()")[0][0]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = self.sql(
                self.replica_url, "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", str(target)
            )[0][0]
            if done:
                return
            time.sleep(0.1)
        raise TimeoutError("the replica did not catch up")

    def destroy(self) -> None:
        for datadir, port in ((self.replica, self.replica_port), (self.primary, self.primary_port)):
            if (datadir / "postmaster.pid").exists():
                with contextlib.suppress(Exception):
                    self._ctl(datadir, port, "stop")
        shutil.rmtree(self.base, ignore_errors=True)
