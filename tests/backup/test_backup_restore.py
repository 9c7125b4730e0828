"""`tinhso backup` / `tinhso restore` as operators run them: real processes on a real
database (PostgreSQL on the PostgreSQL leg, a SQLite file on the SQLite leg).

The module loads part of the demo province (directory, accounts, calendar, signing,
documents: officials, certificates, signed PDFs, an audit trail) into a database of its
own, backs it up, restores the archive into a fresh empty database and storage, and
compares every table and every file. The other tests take that archive apart: changed
bytes, a cut-off file, a newer format, a changed audit chain, a target that is not empty.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.pristine import Pristine, pg_admin, server_url
from tinhso.backup import services
from tinhso.backup.errors import BackupErrorCode

ROOT = Path(__file__).resolve().parents[2]
TINHSO = Path(sys.executable).parent / "tinhso"
SECRET = "backup-restore-test-" + "b" * 40  # the same key for every instance
DEMO_APPS = ["directory", "accounts", "workdays", "signing", "documents"]

# The migrated test database is the template of the instances (a copy, not a `migrate`).
pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------------------------------
# Instances: a database (own PostgreSQL database or SQLite file) and a var/ directory
# ---------------------------------------------------------------------------------------


@dataclass
class Instance:
    vendor: str
    var: Path
    name: str  # PostgreSQL database name, or the SQLite file's path

    @property
    def url(self) -> str:
        if self.vendor == "postgresql":
            return f"{server_url()}/{self.name}"
        return f"sqlite:///{self.name}"

    @property
    def media(self) -> Path:
        return self.var / "media"

    def env(self) -> dict[str, str]:
        env = {
            k: v for k, v in os.environ.items() if k not in {"MEDIA_ROOT", "DJANGO_SETTINGS_MODULE"}
        }
        env.update(
            {
                "DATABASE_URL": self.url,
                "TINHSO_VAR_DIR": str(self.var),
                "SECRET_KEY": SECRET,
                "DEBUG": "0",
                "PAYMENT_SANDBOX": "1",
                "LOG_LEVEL": "WARNING",
                "DB_CONN_MAX_AGE": "0",
            }
        )
        return env

    def tinhso(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        """The console command as an operator types it: `.venv/bin/tinhso ...`."""
        return subprocess.run(
            [str(TINHSO), *args],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def query(self, sql: str) -> list[tuple]:
        if self.vendor == "postgresql":
            import psycopg

            with psycopg.connect(self.url) as conn:
                return list(conn.execute(sql).fetchall())
        with contextlib.closing(sqlite3.connect(self.name)) as db:
            return list(db.execute(sql).fetchall())

    def tables(self) -> list[str]:
        if self.vendor == "postgresql":
            sql = "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
        else:
            sql = (
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY 1"
            )
        return [row[0] for row in self.query(sql)]

    def table_digests(self) -> dict[str, tuple[int, str]]:
        """Every table's row count and a hash of its content (rows sorted, any order)."""
        result = {}
        for table in self.tables():
            rows = sorted(
                repr(tuple(_plain(v) for v in row))
                for row in self.query(f'SELECT * FROM "{table}"')
            )  # noqa: S608, E501
            result[table] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
        return result

    def sequences(self) -> dict[str, int | None]:
        if self.vendor != "postgresql":
            return dict(self.query("SELECT name, seq FROM sqlite_sequence"))
        return dict(self.query("SELECT sequencename, last_value FROM pg_sequences"))

    def files(self) -> dict[str, bytes]:
        if not self.media.exists():
            return {}
        return {
            p.relative_to(self.media).as_posix(): p.read_bytes()
            for p in sorted(self.media.rglob("*"))
            if p.is_file()
        }


def _plain(value):
    return bytes(value) if isinstance(value, memoryview) else value


@pytest.fixture(scope="module")
def vendor(django_db_setup, django_db_blocker) -> str:
    from django.db import connection

    with django_db_blocker.unblock():
        return connection.vendor


@contextlib.contextmanager
def _migrated_instance(migrated: Pristine, var: Path, name: str) -> Iterator[Instance]:
    """A copy of the migrated test database (no `migrate` run: it takes a minute)."""
    var.mkdir(parents=True)
    with migrated.database(name, var) as url:
        on_sqlite = migrated.vendor != "postgresql"
        # on PostgreSQL the copy's name carries TINHSO_TEST_DB_PREFIX (Pristine.copy)
        database = url.removeprefix("sqlite:///") if on_sqlite else url.rsplit("/", 1)[1]
        yield Instance(migrated.vendor, var, database)


@contextlib.contextmanager
def _empty_instance(vendor: str, var: Path, name: str) -> Iterator[Instance]:
    """What an operator prepares for a restore: an empty database, an empty var/."""
    var.mkdir(parents=True)
    if vendor == "postgresql":
        name = os.environ.get("TINHSO_TEST_DB_PREFIX", "") + name  # as every test database
        pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        pg_admin(f'CREATE DATABASE "{name}"')
        try:
            yield Instance(vendor, var, name)
        finally:
            pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return
    yield Instance(vendor, var, str(var / "db.sqlite3"))


@dataclass
class RoundTrip:
    source: Instance
    target: Instance
    archive: Path
    backup_output: str
    restore: subprocess.CompletedProcess


@pytest.fixture(scope="module")
def round_trip(vendor, migrated, django_db_blocker, tmp_path_factory) -> Iterator[RoundTrip]:
    tmp = tmp_path_factory.mktemp("backup")
    tag = f"backup_{os.getpid()}"
    with (
        django_db_blocker.unblock(),
        _migrated_instance(migrated, tmp / "source", f"{tag}_source") as source,
        _empty_instance(vendor, tmp / "target", f"{tag}_target") as target,
    ):
        demo = source.tinhso("demo", "--no-logins", "--only", *DEMO_APPS)
        assert demo.returncode == 0, demo.stderr[-3000:]
        # gzip where it pays: a SQLite copy is not compressed (pg_dump's custom format is)
        gz = ["--gzip"] if vendor == "sqlite" else []
        backup = source.tinhso("backup", "--output", str(tmp / "archives"), *gz)
        assert backup.returncode == 0, backup.stderr[-3000:]
        (archive,) = (tmp / "archives").glob("*.tar.gz" if gz else "*.tar")
        restore = target.tinhso("restore", str(archive))
        yield RoundTrip(source, target, archive, backup.stdout, restore)


@contextlib.contextmanager
def fresh_target(vendor: str, tmp_path: Path) -> Iterator[Instance]:
    with _empty_instance(vendor, tmp_path / "fresh", f"backup_{os.getpid()}_fresh") as target:
        yield target


# ---------------------------------------------------------------------------------------
# Taking an archive apart and putting it back together
# ---------------------------------------------------------------------------------------


def _members(archive: Path) -> list[tuple[str, bytes]]:
    with tarfile.open(archive) as tar:
        return [(m.name, tar.extractfile(m).read()) for m in tar.getmembers()]  # type: ignore[union-attr]


def _rebuild(
    archive: Path,
    out: Path,
    *,
    replace: dict[str, bytes] | None = None,
    header: dict | None = None,
    manifest: dict | None = None,
) -> Path:
    """The archive with members replaced and the header/manifest fields given, the
    manifest's member checksums recomputed (what someone rewriting it would do)."""
    members = dict(_members(archive))
    members.update(replace or {})
    head = {**json.loads(members["header.json"]), **(header or {})}
    members["header.json"] = json.dumps(head).encode()
    man = {**json.loads(members["manifest.json"]), **head, **(manifest or {})}
    man["members"] = {
        name: {"size": len(members[name]), "sha256": hashlib.sha256(members[name]).hexdigest()}
        for name in man["members"]
    }
    members["manifest.json"] = json.dumps(man).encode()
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out


def _flip_a_byte_of_a_file(archive: Path, out: Path) -> str:
    """Copy the archive with one byte changed inside a stored file (bit rot); return it."""
    raw = archive.read_bytes()
    data = bytearray(gzip.decompress(raw) if archive.name.endswith(".gz") else raw)
    with tarfile.open(fileobj=io.BytesIO(bytes(data))) as tar:
        member = next(m for m in tar.getmembers() if m.name.startswith("files/") and m.size > 100)
    data[member.offset_data + 50] ^= 0xFF
    out.write_bytes(bytes(data))
    return member.name


def _manifest(archive: Path) -> dict:
    return json.loads(dict(_members(archive))["manifest.json"])


def _nothing_written(target: Instance) -> None:
    assert target.files() == {}
    if target.vendor == "postgresql":
        assert target.tables() == []
    else:
        assert not Path(target.name).exists() or target.tables() == []
    leftovers = [p.name for p in target.var.rglob("*") if ".tinhso-restoring" in p.name]
    assert leftovers == []


# ---------------------------------------------------------------------------------------
# The round trip
# ---------------------------------------------------------------------------------------


def test_restore_into_an_empty_database_gives_back_every_table_and_every_file(round_trip):
    source, target = round_trip.source, round_trip.target
    assert round_trip.restore.returncode == 0, round_trip.restore.stderr[-3000:]
    before, after = source.table_digests(), target.table_digests()
    assert set(after) == set(before)
    differing = [t for t in before if before[t] != after[t]]
    assert differing == []
    # the demo really is in there (not two empty databases compared)
    assert before["audit_auditentry"][0] > 100
    assert before["documents_incomingdocument"][0] > 10
    # new rows continue the same numbering (sequences restored)
    assert target.sequences() == source.sequences()
    files = source.files()
    assert len(files) > 20
    assert any(name.endswith(".pdf") for name in files)
    assert target.files() == files


def test_the_manifest_records_the_audit_chain_head_and_restore_verifies_the_chain(round_trip):
    manifest = _manifest(round_trip.archive)
    ((seq, head_hash),) = round_trip.source.query(
        "SELECT last_seq, last_hash FROM audit_chainhead WHERE id = 1"
    )
    # the backup sealed what the demo recorded, and the manifest holds that head
    assert seq > 100
    assert manifest["audit_chain_head"] == {"seq": seq, "hash": head_hash}
    assert round_trip.source.query("SELECT count(*) FROM audit_auditentry WHERE hash IS NULL") == [
        (0,)
    ]
    assert f"đầu chuỗi nhật ký #{seq}" in round_trip.backup_output
    out = round_trip.restore.stdout
    assert "Kiểm tra chuỗi nhật ký (audit verify) ✓" in out
    assert f"{seq} bản ghi toàn vẹn, đầu chuỗi #{seq}" in out
    assert f"{len(round_trip.source.files())} tệp khớp mã băm" in out


def test_the_archive_is_private_and_carries_its_own_checksum_and_per_file_hashes(round_trip):
    archive = round_trip.archive
    assert archive.stat().st_mode & 0o077 == 0
    sidecar = archive.with_name(archive.name + ".sha256")
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    assert sidecar.read_text() == f"{digest}  {archive.name}\n"
    members = dict(_members(archive))
    names = list(members)
    assert names[0] == "header.json" and names[-1] == "manifest.json"
    listed = members["files.sha256"].decode().splitlines()
    files = round_trip.source.files()
    assert sorted(listed) == sorted(
        f"{hashlib.sha256(data).hexdigest()}  files/{name}" for name, data in files.items()
    )
    manifest = json.loads(members["manifest.json"])
    assert manifest["tables"]["documents_incomingdocument"] == len(
        round_trip.source.query("SELECT id FROM documents_incomingdocument")
    )
    assert manifest["missing_files"]["count"] == 0
    assert not list(archive.parent.glob("*.partial"))


# ---------------------------------------------------------------------------------------
# Archives that must be refused
# ---------------------------------------------------------------------------------------


def test_a_tampered_archive_is_refused_and_the_restore_writes_nothing(
    round_trip, vendor, django_db_blocker, tmp_path
):
    tampered = tmp_path / "tampered.tar"
    name = _flip_a_byte_of_a_file(round_trip.archive, tampered)
    with django_db_blocker.unblock(), fresh_target(vendor, tmp_path) as target:
        done = target.tinhso("restore", str(tampered))
        assert done.returncode == 1
        assert f"[{BackupErrorCode.CHECKSUM_MISMATCH}]" in done.stderr
        assert name in done.stderr
        _nothing_written(target)
    with pytest.raises(CommandError, match=str(BackupErrorCode.CHECKSUM_MISMATCH)):
        call_command("backup", "verify", str(tampered), stdout=io.StringIO())


def test_backup_verify_accepts_the_archive_as_written(round_trip):
    out = io.StringIO()
    call_command("backup", "verify", str(round_trip.archive), stdout=out)
    assert "Bản sao lưu hợp lệ" in out.getvalue()
    assert "SHA-256 toàn tệp khớp" in out.getvalue()


def test_an_archive_changed_whole_is_caught_by_its_sidecar_checksum(round_trip, tmp_path):
    copy = _rebuild(round_trip.archive, tmp_path / "rewritten.tar")
    copy.with_name(copy.name + ".sha256").write_text(
        round_trip.archive.with_name(round_trip.archive.name + ".sha256").read_text()
    )
    with pytest.raises(services.BackupError) as caught:
        services.verify_archive(copy)
    assert caught.value.code == BackupErrorCode.CHECKSUM_MISMATCH


def test_a_truncated_archive_is_refused_as_incomplete(round_trip, tmp_path):
    data = round_trip.archive.read_bytes()
    for size, codes in (
        (len(data) // 2, {BackupErrorCode.ARCHIVE_CORRUPT, BackupErrorCode.ARCHIVE_INCOMPLETE}),
        (len(data) - 20_000, {BackupErrorCode.ARCHIVE_CORRUPT, BackupErrorCode.ARCHIVE_INCOMPLETE}),
        (300, {BackupErrorCode.ARCHIVE_CORRUPT, BackupErrorCode.ARCHIVE_INCOMPLETE}),
    ):
        cut = tmp_path / f"cut-{size}.tar"
        cut.write_bytes(data[:size])
        with pytest.raises(services.BackupError) as caught:
            services.verify_archive(cut)
        assert caught.value.code in codes, (size, caught.value.code)


def test_a_manifest_from_a_newer_format_version_is_refused(round_trip, tmp_path):
    newer = _rebuild(round_trip.archive, tmp_path / "newer.tar", header={"format_version": 2})
    with pytest.raises(CommandError, match=str(BackupErrorCode.FORMAT_TOO_NEW)):
        call_command("backup", "verify", str(newer), stdout=io.StringIO())


def test_an_archive_of_a_newer_tinhso_is_refused_before_anything_is_read(round_trip, tmp_path):
    manifest = _manifest(round_trip.archive)
    migrations = {
        **manifest["migrations"],
        "documents": [*manifest["migrations"]["documents"], "9999_future"],
    }
    newer = _rebuild(round_trip.archive, tmp_path / "future.tar", header={"migrations": migrations})
    with pytest.raises(services.BackupError) as caught:
        services.read_archive(
            newer, on_header=lambda h: services._check_compatible(h, other_secret_key=True)
        )
    assert caught.value.code == BackupErrorCode.MIGRATIONS_TOO_NEW


def test_restore_into_a_database_that_has_tables_is_refused(round_trip):
    # the source database itself: a restore never merges into or overwrites data
    before = round_trip.source.table_digests()
    done = round_trip.source.tinhso("restore", str(round_trip.archive))
    assert done.returncode == 1
    assert f"[{BackupErrorCode.TARGET_DATABASE_NOT_EMPTY}]" in done.stderr
    assert "trống" in done.stderr
    assert round_trip.source.table_digests() == before
    assert not list(round_trip.source.var.rglob(".tinhso-restoring*"))


def test_restore_verifies_the_audit_chain_it_brought_back(
    round_trip, vendor, django_db_blocker, tmp_path
):
    """An archive whose database has one audit entry rewritten (its checksums made to
    match, as someone covering their tracks would): the chain check after the restore
    finds the entry and the command fails."""
    members = dict(_members(round_trip.archive))
    dump_name = "database.pgdump" if vendor == "postgresql" else "database.sqlite3"
    tamper = "UPDATE audit_auditentry SET summary = '{\"tampered\": true}' WHERE seq = 7"
    if vendor == "postgresql":
        import psycopg

        name = f"backup_{os.getpid()}_tamper"
        with django_db_blocker.unblock():
            pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{round_trip.source.name}"')
            try:
                url = f"{server_url()}/{name}"
                with psycopg.connect(url, autocommit=True) as conn:
                    conn.execute("SET session_replication_role = replica")  # past the guard
                    conn.execute(tamper)
                dump = subprocess.run(
                    ["pg_dump", "--format=custom", f"--dbname={url}"],
                    capture_output=True,
                    check=True,
                ).stdout
            finally:
                pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        copy = tmp_path / "tamper.sqlite3"
        copy.write_bytes(members[dump_name])
        with contextlib.closing(sqlite3.connect(copy)) as db:
            db.execute(tamper)
            db.commit()
        dump = copy.read_bytes()
    tampered = _rebuild(round_trip.archive, tmp_path / "chain.tar", replace={dump_name: dump})
    services.verify_archive(tampered)  # every checksum matches: only the chain can tell
    with django_db_blocker.unblock(), fresh_target(vendor, tmp_path) as target:
        done = target.tinhso("restore", str(tampered))
        assert done.returncode == 1
        assert f"[{BackupErrorCode.AUDIT_CHAIN_BROKEN}]" in done.stderr
        assert "#7" in done.stderr


def test_restore_fails_when_the_chain_head_differs_from_the_manifest(
    round_trip, vendor, django_db_blocker, tmp_path
):
    """A manifest recording another head than the chain brought back (a dump swapped for
    an older one, say) is an error with its code, not a success."""
    forged = _rebuild(
        round_trip.archive,
        tmp_path / "head.tar",
        manifest={"audit_chain_head": {"seq": 1, "hash": "a" * 64}},
    )
    with django_db_blocker.unblock(), fresh_target(vendor, tmp_path) as target:
        done = target.tinhso("restore", str(forged))
        assert done.returncode == 1
        assert f"[{BackupErrorCode.AUDIT_HEAD_MISMATCH}]" in done.stderr


def test_a_backup_killed_midway_leaves_no_file_that_looks_complete(round_trip, tmp_path):
    import signal
    import time

    out = tmp_path / "killed"
    proc = subprocess.Popen(
        [str(TINHSO), "backup", "--output", str(out)],
        cwd=ROOT,
        env=round_trip.source.env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 300
        while not list(out.glob("*.partial")) and proc.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.01)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # the command and its pg_dump
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    left = sorted(p.name for p in out.iterdir())  # the dump being taken (SQLite: + journal)
    assert left and all(".partial" in name for name in left), left
    assert not [name for name in left if name.endswith((".tar", ".tar.gz", ".sha256"))]
    for partial in out.iterdir():
        with pytest.raises(services.BackupError) as caught:
            services.verify_archive(partial)
        assert caught.value.code in {
            BackupErrorCode.ARCHIVE_CORRUPT,
            BackupErrorCode.ARCHIVE_INCOMPLETE,
            BackupErrorCode.MANIFEST_INVALID,
        }


# ---------------------------------------------------------------------------------------
# Retention
# ---------------------------------------------------------------------------------------


def test_keep_deletes_only_the_oldest_archives_and_their_checksums(tmp_path):
    names = [f"tinhso-backup-2026010{i}T020000Z.tar" for i in range(1, 6)]
    for name in names:
        (tmp_path / name).write_bytes(b"x")
        (tmp_path / f"{name}.sha256").write_text("x")
    (tmp_path / "other.tar").write_bytes(b"x")
    (tmp_path / "tinhso-backup-20260106T020000Z.tar.partial").write_bytes(b"x")
    removed = services._apply_retention(tmp_path, 2)
    assert [p.name for p in removed] == names[:3]
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted(
        [
            *names[3:],
            *(f"{n}.sha256" for n in names[3:]),
            "other.tar",
            "tinhso-backup-20260106T020000Z.tar.partial",
        ]
    )
