"""A migrated database for the tests that start real tinhso processes.

Migrating a database takes a minute; copying a migrated one takes a second. Right after
pytest-django has created the test database, and before any test writes to it, the root
conftest keeps a copy of it (a transactional test later flushes the test database, and
with it the rows the data migrations seeded). Each process test gets its own copy of
that pristine database from `Pristine.database()`, on the leg's own engine.
"""

from __future__ import annotations

import contextlib
import os
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


def keep(directory: Path) -> Pristine:
    """Copy the test database as it is now (just migrated); the caller has the database
    unblocked."""
    from django.db import connection

    if connection.vendor == "postgresql":
        test_database = connection.settings_dict["NAME"]
        name = f"{test_database}_pristine"
        connection.close()  # a template has no other session
        pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{test_database}"')
        return Pristine("postgresql", name, server_url())
    path = directory / "pristine.sqlite3"
    connection.ensure_connection()
    with contextlib.closing(sqlite3.connect(path)) as copy:
        connection.connection.backup(copy)  # the test database (in memory), migrated
    return Pristine("sqlite", str(path))


def remove(pristine: Pristine) -> None:
    if pristine.vendor == "postgresql":
        pg_admin(f'DROP DATABASE IF EXISTS "{pristine.source}" WITH (FORCE)', pristine.server)
    else:
        Path(pristine.source).unlink(missing_ok=True)


def server_url() -> str:
    """postgres://user[:password]@host:port of the test database's server."""
    from django.db import connection

    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"


def pg_admin(statement: str, server: str = "") -> None:
    """Run `statement` (CREATE/DROP DATABASE...) on the server's `postgres` database."""
    import psycopg

    with psycopg.connect(f"{server or server_url()}/postgres", autocommit=True) as conn:
        conn.execute(statement)
