"""A migrated database for the tests that start real tinhso processes.

Migrating a database takes a minute; copying a migrated one takes a second. Right after
pytest-django has created the test database, and before any test writes to it, the root
conftest keeps a copy of it (a transactional test later flushes the test database, and
with it the rows the data migrations seeded). Each process test gets its own copy of
that pristine database from `Pristine.database()`, on the leg's own engine.

The pristine copy outlives the run, named after what a migrated database depends on
(`fingerprint()`): on PostgreSQL a database on the server, on SQLite a file in the user's
cache. The next run's test database is created from it, and its migrate has nothing to
apply (two to three minutes of a loaded machine saved each run, on each leg). A changed migration, module a migration imports, pinned package or month
gives another name, and that run migrates from nothing.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import os
import re
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Pristine:
    vendor: str  # "sqlite" or "postgresql"
    source: str  # the SQLite file, or the PostgreSQL database's name
    server: str = ""  # postgres://user@host:port (PostgreSQL only)

    def copy(self, name: str, directory: Path) -> str:
        """A new database `name` (a file in `directory` on SQLite): its DATABASE_URL.
        On PostgreSQL the name is given TINHSO_TEST_DB_PREFIX (see the root conftest)."""
        if self.vendor == "sqlite":
            path = directory / f"{name}.sqlite3"
            shutil.copyfile(self.source, path)
            return f"sqlite:///{path}"
        name = os.environ.get("TINHSO_TEST_DB_PREFIX", "") + name
        pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', self.server)
        pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{self.source}"', self.server)
        return f"{self.server}/{name}"

    def drop(self, url: str) -> None:
        if self.vendor == "postgresql":
            name = url.rsplit("/", 1)[1]
            pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', self.server)
        else:
            Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)

    @contextlib.contextmanager
    def database(self, name: str, directory: Path) -> Iterator[str]:
        """A copy for the block, dropped after it."""
        url = self.copy(name, directory)
        try:
            yield url
        finally:
            self.drop(url)


ROOT = Path(__file__).resolve().parent.parent
MIGRATED_PREFIX = "tinhso_migrated_"
IMPORTED = re.compile(r"^\s*(?:from|import) (tinhso[\w.]*)", re.MULTILINE)


def fingerprint() -> str:
    """What a migrated database holds depends on: the migrations, the modules of ours they
    import (partitioning, reference data), the pinned packages (their migrations) and the
    month (partitions are made around it)."""
    digest = hashlib.sha256(datetime.date.today().strftime("%Y-%m").encode())
    digest.update((ROOT / "requirements.lock").read_bytes())
    sources = set(ROOT.glob("src/tinhso/*/migrations/*.py"))
    for migration in list(sources):
        for module in IMPORTED.findall(migration.read_text()):
            path = ROOT / "src" / Path(*module.split("."))
            sources.update(p for p in (path.with_suffix(".py"), path / "__init__.py") if p.exists())
    for path in sorted(sources):
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def kept_sqlite() -> Path:
    """The migrated SQLite database kept for this fingerprint, in the user's cache (a
    clean clone of the repository finds it too)."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "tinhso-tests" / f"migrated-{fingerprint()}.sqlite3"


def migrate_from_kept_sqlite() -> None:
    """Make the test database's creation on SQLite start from the kept migrated database
    (its `migrate` then has nothing to apply). Only the next `migrate` is changed: a test
    that migrates a database of its own does it from nothing."""
    from django.core import management

    kept = kept_sqlite()
    if not kept.exists():
        return
    original = management.call_command

    def call_command(name, *args, **kwargs):
        management.call_command = original
        if name == "migrate":
            from django.db import connections

            target = connections[kwargs.get("database", "default")]
            if target.is_in_memory_db():  # the test database pytest-django creates
                target.ensure_connection()
                with contextlib.closing(sqlite3.connect(kept)) as source:
                    source.backup(target.connection)
        return original(name, *args, **kwargs)

    management.call_command = call_command


def keep_sqlite(pristine: Path) -> None:
    kept = kept_sqlite()
    if kept.exists():
        return
    kept.parent.mkdir(parents=True, exist_ok=True)
    for other in kept.parent.glob("migrated-*.sqlite3"):
        other.unlink(missing_ok=True)
    partial = kept.with_suffix(f".{os.getpid()}.partial")
    shutil.copyfile(pristine, partial)
    partial.replace(kept)  # whole or not at all


def migrated_template() -> str:
    """The name of the kept migrated database for this fingerprint (PostgreSQL)."""
    return os.environ.get("TINHSO_TEST_DB_PREFIX", "") + MIGRATED_PREFIX + fingerprint()


def template_exists(name: str, server: str = "") -> bool:
    import psycopg

    with psycopg.connect(f"{server or server_url()}/postgres", autocommit=True) as conn:
        return bool(conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone())


def keep(directory: Path) -> Pristine:
    """Copy the test database as it is now (just migrated); the caller has the database
    unblocked. On PostgreSQL, the copy is the kept migrated database (made when missing),
    and the copies of other fingerprints are dropped."""
    from django.db import connection

    if connection.vendor == "postgresql":
        test_database = connection.settings_dict["NAME"]
        name = migrated_template()
        if not template_exists(name):
            connection.close()  # a template has no other session
            with contextlib.suppress(Exception):  # another run made it in the meantime
                pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{test_database}"')
            drop_other_templates(name)
        return Pristine("postgresql", name, server_url())
    path = directory / "pristine.sqlite3"
    connection.ensure_connection()
    with contextlib.closing(sqlite3.connect(path)) as copy:
        connection.connection.backup(copy)  # the test database (in memory), migrated
    keep_sqlite(path)
    return Pristine("sqlite", str(path))


def remove(pristine: Pristine) -> None:
    """The SQLite copy; the PostgreSQL one is kept for the next run."""
    if pristine.vendor == "sqlite":
        Path(pristine.source).unlink(missing_ok=True)


def end_other_sessions() -> None:
    """Close what still holds the test database before it is dropped (PostgreSQL): a
    live server's request thread waiting on a kept-alive connection keeps its own."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )


def drop_other_templates(current: str) -> None:
    import psycopg

    prefix = os.environ.get("TINHSO_TEST_DB_PREFIX", "") + MIGRATED_PREFIX
    with psycopg.connect(f"{server_url()}/postgres", autocommit=True) as conn:
        rows = conn.execute(
            "SELECT datname FROM pg_database WHERE starts_with(datname, %s)", [prefix]
        ).fetchall()
    for (name,) in rows:
        if name != current:
            with contextlib.suppress(Exception):  # in use by a run of that fingerprint
                pg_admin(f'DROP DATABASE IF EXISTS "{name}"')


def server_url() -> str:
    """postgres://user[:password]@host:port of the test database's server."""
    from django.db import connection

    return server_url_of(connection.settings_dict)


def server_url_of(s: dict) -> str:
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"


def pg_admin(statement: str, server: str = "") -> None:
    """Run `statement` (CREATE/DROP DATABASE...) on the server's `postgres` database."""
    import psycopg

    with psycopg.connect(f"{server or server_url()}/postgres", autocommit=True) as conn:
        conn.execute(statement)
