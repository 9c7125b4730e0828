"""Backup and restore of a whole instance: the database, the stored files, the audit head.

`create_backup` writes ONE archive (a tar, gzip-compressed if asked), members in order:

    header.json        what a restore must know before reading the rest: format version,
                       database vendor, applied migrations, the SECRET_KEY's id
    database.pgdump    PostgreSQL: `pg_dump --format=custom` in the snapshot below
    database.sqlite3   SQLite: a copy made with the online backup API (one read snapshot)
    files/<name>       every file of the default storage (MEDIA_ROOT), as stored
    files.sha256       "<sha256>  files/<name>" per file (`sha256sum -c files.sha256`
                       checks an extracted archive by hand)
    manifest.json      last: the header again, tinhso version, creation time, row count of
                       every table and the audit chain head (both read in the dump's own
                       snapshot), file count and bytes, files the database points to but
                       the storage lacks, and the size and SHA-256 of every other member

A file is never half-written where it will be read: the archive is written to
`NAME.partial`, flushed to disk and renamed at the end, with `NAME.sha256` next to it
(keep that line somewhere else too: the manifest's checksums catch corruption, the
archive's own checksum kept apart also catches a deliberate rewrite).

Consistency. The audit entries recorded so far are sealed first. On PostgreSQL one
REPEATABLE READ transaction exports its snapshot; `pg_dump --snapshot` dumps exactly that
state and the manifest's row counts, migrations, chain head and file references are read
in the same transaction. On SQLite the backup API copies the database under one read
lock and those figures are read from the copy. Stored files are copied AFTER the
snapshot: a file is saved before the row pointing to it commits, so every file the dumped
database refers to already existed when the dump was taken and is in the archive. Files
stored later are in the archive too (harmless: nothing in the dump points to them; a
rolled-back upload is swept by its app's command). The only way a referenced file is
missing is that it was deleted between the snapshot and the copy (deletions run on
commit, after the row is gone): the manifest lists such names and the command says so.

`restore_backup` reads the archive once, checking every member against the manifest and
every file against `files.sha256` while it stages them (files in a hidden directory inside
MEDIA_ROOT, the dump next to its target). Anything wrong (truncated or corrupt archive,
a checksum that does not match, a format or migrations newer than this code, another
SECRET_KEY) removes the staging and leaves the target untouched. The target must be
EMPTY (a database with no tables, a storage with no files): a restore never merges. The
files are then moved into MEDIA_ROOT and the database is restored last, in ONE
transaction (`pg_restore --single-transaction`; SQLite: an atomic rename of the staged
file), so the database is the commit point: a restore killed at any moment leaves either
an empty database (not restored: delete what is in MEDIA_ROOT, re-run) or the complete
one. Then the restored instance is checked: row counts against the manifest, the audit
chain (`tinhso audit verify`'s own `verify_chain`) and its head against the manifest,
every file re-hashed in place against `files.sha256`.

Not in the archive: SECRET_KEY and the other secrets (keep them in the province's secret
store; a restore needs the same SECRET_KEY, it encrypts signing keys and one-time-code
seeds), static files (rebuilt by `collectstatic`), the gateway's write-ahead directory
(ingested into the database every second).
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.conf import settings
from django.db import connection, connections

from tinhso.backup.errors import BackupErrorCode
from tinhso.core.errors import DomainError

FORMAT = "tinhso-backup"
FORMAT_VERSION = 1
HEADER = "header.json"
MANIFEST = "manifest.json"
FILES_LIST = "files.sha256"
FILES_DIR = "files/"
DUMPS = {"postgresql": "database.pgdump", "sqlite": "database.sqlite3"}
STAGING_PREFIX = ".tinhso-restoring-"
ARCHIVE_PREFIX = "tinhso-backup-"
CHUNK = 1024 * 1024
GENESIS = "0" * 64


class BackupError(DomainError):
    code: str = BackupErrorCode.ARCHIVE_CORRUPT
    message = "Sao lưu hoặc khôi phục không thành công."


# ---------------------------------------------------------------------------------------
# Progress: a step is a context manager giving an output with write() and progress().
# ---------------------------------------------------------------------------------------


class _Quiet:
    def write(self, text: str = "", *args: Any, **kwargs: Any) -> None:
        pass

    def progress(self, done: int, total: int) -> None:
        pass


StepFactory = Callable[[str], contextlib.AbstractContextManager[Any]]


def quiet_step(label: str) -> contextlib.AbstractContextManager[Any]:
    return contextlib.nullcontext(_Quiet())


# ---------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------


def secret_key_id(key: str) -> str:
    """An identifier of a SECRET_KEY that does not reveal it (the key is long and random)."""
    return hashlib.sha256(f"tinhso-backup-key-id:{key}".encode()).hexdigest()[:16]


def _known_key_ids() -> set[str]:
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return {secret_key_id(key) for key in keys if key}


def _tinhso_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tinhso")
    except PackageNotFoundError:
        return "unknown"


def _vendor() -> str:
    vendor = connection.vendor
    if vendor not in DUMPS:
        raise BackupError(
            f"Chưa hỗ trợ sao lưu cơ sở dữ liệu loại {vendor}.",
            code=BackupErrorCode.UNSUPPORTED_DATABASE,
        )
    return vendor


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _escape_list_name(name: str) -> tuple[str, str]:
    """sha256sum's convention for names with a backslash or a line break."""
    if "\\" in name or "\n" in name:
        return "\\", name.replace("\\", "\\\\").replace("\n", "\\n")
    return "", name


def _files_list_line(digest: str, name: str) -> str:
    prefix, escaped = _escape_list_name(FILES_DIR + name)
    return f"{prefix}{digest}  {escaped}\n"


def _parse_files_list(data: bytes) -> dict[str, str]:
    result: dict[str, str] = {}
    for number, line in enumerate(data.decode("utf-8").splitlines(), start=1):
        escaped = line.startswith("\\")
        if escaped:
            line = line[1:]
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64 or not name.startswith(FILES_DIR):
            raise BackupError(
                f"Danh sách mã băm tệp ({FILES_LIST}) sai định dạng ở dòng {number}.",
                code=BackupErrorCode.MANIFEST_INVALID,
            )
        if escaped:
            name = name.replace("\\n", "\n").replace("\\\\", "\\")
        result[name[len(FILES_DIR) :]] = digest
    return result


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _private_file(path: Path) -> IO[bytes]:
    """A new file only its owner reads: archives hold citizens' data and password hashes."""
    return open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# ---------------------------------------------------------------------------------------
# Reading the database in one snapshot
# ---------------------------------------------------------------------------------------


def _file_columns() -> list[tuple[str, str]]:
    """(table, column) of every FileField of every installed model (Wagtail's included)."""
    from django.apps import apps
    from django.db.models import FileField

    columns: set[tuple[str, str]] = set()
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        for model_field in model._meta.concrete_fields:
            if isinstance(model_field, FileField) and model_field.column:
                columns.add((model._meta.db_table, model_field.column))
    return sorted(columns)


def _snapshot_facts(query: Callable[[str], list[tuple]], vendor: str) -> dict[str, Any]:
    """Tables with their row counts, applied migrations, the audit chain head, and the
    names of the stored files the database points to, read through `query` (a cursor on
    the snapshot: PostgreSQL's exported one, or the SQLite copy)."""
    if vendor == "postgresql":
        tables_sql = (
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
        )
    else:
        tables_sql = (
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    tables = [row[0] for row in query(tables_sql)]
    counts = {t: int(query(f"SELECT count(*) FROM {_quote(t)}")[0][0]) for t in tables}  # noqa: S608
    migrations: dict[str, list[str]] = {}
    if "django_migrations" in counts:
        for app, name in query("SELECT app, name FROM django_migrations ORDER BY app, name"):
            migrations.setdefault(app, []).append(name)
    head = {"seq": 0, "hash": GENESIS}
    if "audit_chainhead" in counts:
        rows = query("SELECT last_seq, last_hash FROM audit_chainhead WHERE id = 1")
        if rows:
            head = {"seq": int(rows[0][0]), "hash": rows[0][1]}
    referenced: set[str] = set()
    for table, column in _file_columns():
        if table in counts:
            col = _quote(column)
            sql = f"SELECT DISTINCT {col} FROM {_quote(table)} WHERE {col} IS NOT NULL AND {col} <> ''"  # noqa: S608, E501
            referenced.update(row[0] for row in query(sql))
    return {
        "tables": counts,
        "migrations": migrations,
        "audit_chain_head": head,
        "referenced": referenced,
    }


def _db_settings() -> dict[str, Any]:
    return dict(settings.DATABASES["default"])


def _pg_env() -> dict[str, str]:
    """libpq environment for pg_dump / pg_restore (the password never on a command line)."""
    db = _db_settings()
    env = dict(os.environ)
    for key, var in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
        ("NAME", "PGDATABASE"),
    ):
        if db.get(key):
            env[var] = str(db[key])
    options = db.get("OPTIONS") or {}
    for key, var in (("sslmode", "PGSSLMODE"), ("sslrootcert", "PGSSLROOTCERT")):
        if options.get(key):
            env[var] = str(options[key])
    return env


def _pg_conninfo() -> str:
    from psycopg.conninfo import make_conninfo

    db = _db_settings()
    params: dict[str, Any] = {"dbname": db["NAME"]}
    for key, name in (
        ("USER", "user"),
        ("PASSWORD", "password"),
        ("HOST", "host"),
        ("PORT", "port"),
    ):
        if db.get(key):
            params[name] = str(db[key])
    options = db.get("OPTIONS") or {}
    for key in ("sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout"):
        if options.get(key):
            params[key] = options[key]
    return make_conninfo(**params)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(
            f"Không tìm thấy chương trình {name} (cài gói postgresql-client cùng phiên bản "
            "với máy chủ PostgreSQL).",
            code=BackupErrorCode.TOOL_MISSING,
        )
    return found


def _dump_postgresql(dump_path: Path) -> dict[str, Any]:
    """pg_dump in an exported snapshot; the facts are read in the same snapshot."""
    import psycopg

    pg_dump = _tool("pg_dump")
    with psycopg.connect(_pg_conninfo()) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]  # type: ignore[index]
        server = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
        with _private_file(dump_path) as out, tempfile.TemporaryFile() as errors:
            process = subprocess.Popen(  # noqa: S603 - fixed arguments, our own paths
                [pg_dump, "--format=custom", "--compress=6", f"--snapshot={snapshot}"],
                stdout=out,
                stderr=errors,
                env=_pg_env(),
            )
            try:
                # Read while pg_dump runs (two cores at work, same snapshot).
                facts = _snapshot_facts(lambda sql: conn.execute(sql).fetchall(), "postgresql")
            finally:
                process.wait()
            errors.seek(0)
            stderr = errors.read()
        conn.rollback()
    if process.returncode != 0:
        raise BackupError(
            "pg_dump không thành công: " + stderr.decode(errors="replace").strip()[-2000:],
            code=BackupErrorCode.DUMP_FAILED,
        )
    facts["server_version"] = server
    return facts


def _dump_sqlite(dump_path: Path) -> dict[str, Any]:
    """The online backup API: the whole database copied under one read lock."""
    source_path = str(_db_settings()["NAME"])
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True, timeout=60)
    _private_file(dump_path).close()
    target = sqlite3.connect(dump_path)
    try:
        source.backup(target)  # pages=-1: all in one step, one consistent snapshot
        target.commit()
        facts = _snapshot_facts(lambda sql: target.execute(sql).fetchall(), "sqlite")
        facts["server_version"] = sqlite3.sqlite_version
    except sqlite3.Error as exc:
        raise BackupError(
            f"Sao chép cơ sở dữ liệu SQLite không thành công: {exc}",
            code=BackupErrorCode.DUMP_FAILED,
        ) from exc
    finally:
        target.close()
        source.close()
    return facts


# ---------------------------------------------------------------------------------------
# Stored files
# ---------------------------------------------------------------------------------------


def _storage():
    from django.core.files.storage import default_storage

    return default_storage


def _local_root() -> Path | None:
    """The storage's directory when it is a local one (FileSystemStorage), else None."""
    from django.core.files.storage import FileSystemStorage

    storage = _storage()
    inner = getattr(storage, "_wrapped", storage)
    if isinstance(inner, FileSystemStorage):
        return Path(inner.location)
    return None


def _list_files() -> list[str]:
    """Every stored file's name (POSIX, relative to the storage), sorted."""
    root = _local_root()
    names: list[str] = []
    if root is not None:
        if not root.exists():
            return []
        for dirpath, dirnames, filenames in os.walk(root):
            here = Path(dirpath)
            if here == root:
                dirnames[:] = [d for d in dirnames if not d.startswith(STAGING_PREFIX)]
            for filename in filenames:
                path = here / filename
                if path.is_symlink() or not path.is_file():
                    continue
                names.append(path.relative_to(root).as_posix())
        return sorted(names)
    storage = _storage()

    def walk(prefix: str) -> Iterator[str]:
        dirs, files = storage.listdir(prefix)
        for name in files:
            yield f"{prefix}{name}"
        for name in dirs:
            yield from walk(f"{prefix}{name}/")

    return sorted(walk(""))


@contextlib.contextmanager
def _open_stored(name: str) -> Iterator[tuple[IO[bytes], int, float]]:
    root = _local_root()
    if root is not None:
        with open(root / name, "rb") as handle:
            stat = os.fstat(handle.fileno())
            yield handle, stat.st_size, stat.st_mtime
        return
    storage = _storage()
    with storage.open(name, "rb") as handle:
        yield handle, storage.size(name), datetime.now(UTC).timestamp()


# ---------------------------------------------------------------------------------------
# Writing an archive
# ---------------------------------------------------------------------------------------


class _HashingReader:
    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.sha = hashlib.sha256()
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        self.sha.update(data)
        self.size += len(data)
        return data


class _HashingWriter:
    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.sha = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.sha.update(data)
        return self.raw.write(data)

    def flush(self) -> None:
        self.raw.flush()


@dataclass
class BackupResult:
    path: Path
    sha256: str
    size: int
    files: int
    files_bytes: int
    tables: int
    rows: int
    audit_chain_head: dict[str, Any]
    missing_files: list[str]
    seconds: float
    removed: list[Path] = field(default_factory=list)


def default_directory() -> Path:
    return Path(settings.VAR_DIR) / "backups"


def _destination(output: str | Path | None, compress: bool) -> Path:
    suffix = ".tar.gz" if compress else ".tar"
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = Path(output) if output else default_directory()
    if not str(path).endswith((".tar", ".tar.gz")):
        path.mkdir(parents=True, exist_ok=True)
        path = path / f"{ARCHIVE_PREFIX}{stamp}{suffix}"
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        raise BackupError(
            f"Tệp {path} đã có: không ghi đè một bản sao lưu.",
            code=BackupErrorCode.DESTINATION_EXISTS,
        )
    return path


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes, members: dict) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(datetime.now(UTC).timestamp())
    info.mode = 0o600
    from io import BytesIO

    tar.addfile(info, BytesIO(data))
    members[name] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def create_backup(
    *,
    output: str | Path | None = None,
    compress: bool = False,
    seal: bool = True,
    keep: int | None = None,
    step: StepFactory = quiet_step,
) -> BackupResult:
    """Write one archive of this instance (see the module docstring); return what it holds.

    `output`: a directory (the archive is named `tinhso-backup-<UTC time>.tar[.gz]` in it;
    default var/backups) or a file path ending in .tar / .tar.gz. `keep`: afterwards,
    delete all but the `keep` newest archives so named in that directory.
    """
    import time

    started = time.monotonic()
    vendor = _vendor()
    path = _destination(output, compress)
    partial = path.with_name(path.name + ".partial")
    dump_path = path.with_name(path.name + ".dump.partial")
    members: dict[str, dict[str, Any]] = {}
    try:
        if seal:
            with step("Niêm phong nhật ký hệ thống") as out:
                from tinhso.audit.services import seal_pending

                sealed = seal_pending()
                out.write(f"  {sealed} bản ghi mới được niêm phong")
        connections.close_all()
        with step("Sao lưu cơ sở dữ liệu" + (" (pg_dump)" if vendor == "postgresql" else "")):
            facts = (
                _dump_postgresql(dump_path) if vendor == "postgresql" else _dump_sqlite(dump_path)
            )
        header = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "database_vendor": vendor,
            "database_member": DUMPS[vendor],
            "migrations": facts["migrations"],
            "secret_key_id": secret_key_id(settings.SECRET_KEY),
        }
        # Owner-only: the archive holds every citizen's data and the password hashes.
        with _private_file(partial) as raw:
            writer = _HashingWriter(raw)
            stream: Any = writer  # anything with write(): tarfile's stream mode needs no seek
            gz = None
            if compress:
                gz = gzip.GzipFile(fileobj=stream, mode="wb", compresslevel=6, mtime=0)
                stream = gz
            # closed below, before the gzip stream and the file
            tar = tarfile.open(fileobj=stream, mode="w|", format=tarfile.PAX_FORMAT)  # noqa: SIM115
            tar.copybufsize = CHUNK  # type: ignore[attr-defined]  # 1 MiB reads, not 16 KiB
            _add_bytes(tar, HEADER, json.dumps(header, indent=1).encode(), members)
            with step("Ghi bản sao cơ sở dữ liệu vào tệp lưu trữ"):
                with open(dump_path, "rb") as dump:
                    info = tarfile.TarInfo(DUMPS[vendor])
                    info.size = os.fstat(dump.fileno()).st_size
                    info.mtime = int(datetime.now(UTC).timestamp())
                    info.mode = 0o600
                    reader = _HashingReader(dump)
                    tar.addfile(info, reader)  # type: ignore[arg-type]
                members[DUMPS[vendor]] = {"size": reader.size, "sha256": reader.sha.hexdigest()}
                dump_path.unlink()
            names = _list_files()
            lines: list[str] = []
            stored: set[str] = set()
            files_bytes = 0
            with step("Sao lưu tệp lưu trữ") as out:
                for done, name in enumerate(names, start=1):
                    try:
                        with _open_stored(name) as (handle, size, mtime):
                            info = tarfile.TarInfo(FILES_DIR + name)
                            info.size = size
                            info.mtime = int(mtime)
                            info.mode = 0o644
                            reader = _HashingReader(handle)
                            tar.addfile(info, reader)  # type: ignore[arg-type]
                    except FileNotFoundError:
                        continue  # deleted since it was listed: nothing in the dump needs it
                    lines.append(_files_list_line(reader.sha.hexdigest(), name))
                    stored.add(name)
                    files_bytes += reader.size
                    if done % 50 == 0 or done == len(names):
                        out.progress(done, len(names))
                mb = f"{files_bytes / 1e6:.1f}".replace(".", ",")
                out.write(f"  {len(stored)} tệp, {mb} MB")
            _add_bytes(tar, FILES_LIST, "".join(lines).encode(), members)
            missing = sorted(facts["referenced"] - stored)
            manifest = {
                **header,
                "tinhso_version": _tinhso_version(),
                "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "database_server_version": facts["server_version"],
                "tables": facts["tables"],
                "audit_chain_head": facts["audit_chain_head"],
                "files": {"count": len(stored), "bytes": files_bytes},
                "missing_files": {"count": len(missing), "names": missing[:100]},
                "members": members,
            }
            tar.addfile(*_json_member(MANIFEST, manifest))
            tar.close()
            if gz is not None:
                gz.close()
            raw.flush()
            os.fsync(raw.fileno())
            size = raw.tell()
        digest = writer.sha.hexdigest()
        sidecar = path.with_name(path.name + ".sha256")
        sidecar_partial = sidecar.with_name(sidecar.name + ".partial")
        sidecar_partial.write_text(f"{digest}  {path.name}\n")
        os.replace(partial, path)
        os.replace(sidecar_partial, sidecar)
        _fsync_dir(path.parent)
    except BaseException:
        for leftover in (partial, dump_path, path.with_name(path.name + ".sha256.partial")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
        raise
    removed = _apply_retention(path.parent, keep) if keep else []
    return BackupResult(
        path=path,
        sha256=digest,
        size=size,
        files=len(stored),
        files_bytes=files_bytes,
        tables=len(facts["tables"]),
        rows=sum(facts["tables"].values()),
        audit_chain_head=facts["audit_chain_head"],
        missing_files=missing,
        seconds=time.monotonic() - started,
        removed=removed,
    )


def _json_member(name: str, data: dict) -> tuple[tarfile.TarInfo, Any]:
    from io import BytesIO

    payload = json.dumps(data, indent=1, ensure_ascii=False).encode()
    info = tarfile.TarInfo(name)
    info.size = len(payload)
    info.mtime = int(datetime.now(UTC).timestamp())
    info.mode = 0o600
    return info, BytesIO(payload)


def _apply_retention(directory: Path, keep: int) -> list[Path]:
    """Delete all but the `keep` newest `tinhso-backup-*` archives (the names sort by time)."""
    archives = sorted(
        p
        for p in directory.iterdir()
        if p.name.startswith(ARCHIVE_PREFIX) and p.name.endswith((".tar", ".tar.gz"))
    )
    removed = []
    for old in archives[: max(len(archives) - keep, 0)]:
        old.unlink()
        with contextlib.suppress(FileNotFoundError):
            old.with_name(old.name + ".sha256").unlink()
        removed.append(old)
    return removed


# ---------------------------------------------------------------------------------------
# Reading and verifying an archive
# ---------------------------------------------------------------------------------------


class _CountingReader:
    def __init__(self, raw: IO[bytes], on_read: Callable[[int], None]) -> None:
        self.raw = raw
        self.done = 0
        self.on_read = on_read

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        self.done += len(data)
        self.on_read(self.done)
        return data


@dataclass
class ArchiveReport:
    path: Path
    manifest: dict[str, Any]
    files: dict[str, str]  # name -> sha256 (files.sha256)
    archive_sha256: str | None  # the sidecar's value when it was there and matched


def _safe_name(member: tarfile.TarInfo) -> str:
    name = member.name
    pure = PurePosixPath(name)
    if (
        not member.isfile()
        or pure.is_absolute()
        or ".." in pure.parts
        or "\\" in name
        or name != pure.as_posix()
        or (name.startswith(FILES_DIR) and len(pure.parts) < 2)
        or (
            not name.startswith(FILES_DIR)
            and name not in {HEADER, MANIFEST, FILES_LIST, *DUMPS.values()}
        )
    ):
        raise BackupError(
            f"Tệp lưu trữ có thành phần không hợp lệ: {name[:200]!r}.",
            code=BackupErrorCode.UNSAFE_MEMBER,
        )
    return name


def _check_header(header: dict[str, Any]) -> None:
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise BackupError(
            "Đây không phải tệp sao lưu của tinhso (thiếu hoặc sai phần đầu).",
            code=BackupErrorCode.MANIFEST_INVALID,
        )
    version = header.get("format_version")
    if not isinstance(version, int):
        raise BackupError(
            "Phần đầu tệp sao lưu không ghi phiên bản định dạng.",
            code=BackupErrorCode.MANIFEST_INVALID,
        )
    if version > FORMAT_VERSION:
        raise BackupError(
            f"Tệp sao lưu dùng định dạng phiên bản {version}, mới hơn phiên bản "
            f"{FORMAT_VERSION} mà bản tinhso này đọc được: hãy khôi phục bằng bản tinhso mới hơn.",
            code=BackupErrorCode.FORMAT_TOO_NEW,
        )
    if header.get("database_vendor") not in DUMPS:
        raise BackupError(
            "Phần đầu tệp sao lưu ghi loại cơ sở dữ liệu không hợp lệ.",
            code=BackupErrorCode.MANIFEST_INVALID,
        )


def _load_json(name: str, data: bytes) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except ValueError as exc:
        raise BackupError(
            f"{name} trong tệp sao lưu không đọc được.", code=BackupErrorCode.MANIFEST_INVALID
        ) from exc
    if not isinstance(value, dict):
        raise BackupError(
            f"{name} trong tệp sao lưu không đúng cấu trúc.", code=BackupErrorCode.MANIFEST_INVALID
        )
    return value


def _mismatch(what: str) -> BackupError:
    return BackupError(
        f"Mã băm SHA-256 không khớp: {what}. Tệp sao lưu đã bị hỏng hoặc bị sửa.",
        code=BackupErrorCode.CHECKSUM_MISMATCH,
    )


def read_archive(
    path: str | Path,
    *,
    on_header: Callable[[dict[str, Any]], None] | None = None,
    sink: Callable[[str], IO[bytes] | None] | None = None,
    out: Any = None,
) -> ArchiveReport:
    """Read the archive once, start to end, checking everything; return its manifest.

    `on_header(header)` runs as soon as the first member is read (to refuse early);
    `sink(name)` may return a writable file to receive a member's bytes (staging for a
    restore). Raises BackupError for a missing, truncated or corrupt archive, an unsafe
    member, a missing or unreadable manifest, a format newer than this code, or any
    checksum that does not match (the archive's own sidecar, a member, a file).
    """
    path = Path(path)
    if not path.is_file():
        raise BackupError(
            f"Không tìm thấy tệp sao lưu {path}.", code=BackupErrorCode.ARCHIVE_NOT_FOUND
        )
    total = path.stat().st_size
    total_mb = max(1, total // 1_000_000)
    progress = getattr(out, "progress", None)
    whole = hashlib.sha256()
    seen: dict[str, tuple[int, str]] = {}
    small: dict[str, bytes] = {}
    header: dict[str, Any] | None = None
    last_mb = -1

    def on_read(done: int) -> None:
        nonlocal last_mb
        mb = done // 1_000_000
        if progress is not None and mb != last_mb:
            last_mb = mb
            progress(min(mb, total_mb), total_mb)

    try:
        with open(path, "rb") as raw:
            hashing = _HashingReader(raw)
            counting = _CountingReader(hashing, on_read)  # type: ignore[arg-type]
            with tarfile.open(fileobj=counting, mode="r|*") as tar:  # type: ignore[call-overload]
                for member in tar:
                    name = _safe_name(member)
                    if name in seen:
                        raise BackupError(
                            f"Tệp lưu trữ có thành phần lặp lại: {name[:200]!r}.",
                            code=BackupErrorCode.UNSAFE_MEMBER,
                        )
                    if header is None and name != HEADER:
                        raise BackupError(
                            "Đây không phải tệp sao lưu của tinhso (thiếu phần đầu).",
                            code=BackupErrorCode.MANIFEST_INVALID,
                        )
                    source = tar.extractfile(member)
                    assert source is not None  # a regular file (checked above)
                    keep_bytes = not name.startswith(FILES_DIR) and name not in DUMPS.values()
                    target = sink(name) if sink is not None else None
                    digest = hashlib.sha256()
                    size = 0
                    buffer = bytearray()
                    for chunk in iter(lambda: source.read(CHUNK), b""):  # noqa: B023
                        digest.update(chunk)
                        size += len(chunk)
                        if keep_bytes:
                            buffer += chunk
                            if len(buffer) > 512 * 1024 * 1024:
                                raise BackupError(
                                    f"{name} quá lớn.", code=BackupErrorCode.MANIFEST_INVALID
                                )
                        if target is not None:
                            target.write(chunk)
                    if target is not None:
                        target.close()
                    seen[name] = (size, digest.hexdigest())
                    if keep_bytes:
                        small[name] = bytes(buffer)
                    if name == HEADER:
                        header = _load_json(HEADER, small[name])
                        _check_header(header)
                        if on_header is not None:
                            on_header(header)
            # the rest of the file (tar end blocks, gzip trailer) counts for the sidecar
            while hashing.read(CHUNK):
                pass
            whole = hashing.sha
    except BackupError:
        raise
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile, UnicodeDecodeError) as exc:
        raise BackupError(
            f"Tệp sao lưu bị hỏng hoặc bị cắt cụt ({exc}).",
            code=BackupErrorCode.ARCHIVE_CORRUPT,
        ) from exc
    if header is None or MANIFEST not in small:
        raise BackupError(
            "Tệp sao lưu không đầy đủ (thiếu phần đầu hoặc bản kê manifest.json ở cuối): "
            "có thể lần sao lưu đã bị dừng hoặc tệp bị cắt cụt.",
            code=BackupErrorCode.ARCHIVE_INCOMPLETE,
        )
    manifest = _load_json(MANIFEST, small[MANIFEST])
    _check_header(manifest)
    for key in header:
        if manifest.get(key) != header[key]:
            raise _mismatch(f"{MANIFEST} và {HEADER} ghi khác nhau ({key})")
    listed = manifest.get("members")
    if not isinstance(listed, dict):
        raise BackupError("Bản kê không ghi các thành phần.", code=BackupErrorCode.MANIFEST_INVALID)
    expected_members = {HEADER, FILES_LIST, manifest["database_member"]}
    if set(listed) != expected_members:
        raise BackupError(
            "Bản kê ghi sai danh sách thành phần.", code=BackupErrorCode.MANIFEST_INVALID
        )
    for name, entry in listed.items():
        if name not in seen:
            raise BackupError(
                f"Tệp sao lưu thiếu thành phần {name}.", code=BackupErrorCode.ARCHIVE_INCOMPLETE
            )
        if not isinstance(entry, dict) or (entry.get("size"), entry.get("sha256")) != seen[name]:
            raise _mismatch(name)
    files = _parse_files_list(small[FILES_LIST])
    stored = {name[len(FILES_DIR) :]: seen[name][1] for name in seen if name.startswith(FILES_DIR)}
    for name, listed_sha in files.items():
        if name not in stored:
            raise BackupError(
                f"Tệp sao lưu thiếu tệp {name[:200]} có trong {FILES_LIST}.",
                code=BackupErrorCode.ARCHIVE_INCOMPLETE,
            )
        if stored[name] != listed_sha:
            raise _mismatch(FILES_DIR + name)
    extra = set(stored) - set(files)
    if extra:
        raise _mismatch(f"tệp {sorted(extra)[0][:200]} không có trong {FILES_LIST}")
    declared = manifest.get("files") or {}
    if declared.get("count") != len(files):
        raise _mismatch("số tệp trong bản kê")
    archive_sha = _check_sidecar(path, whole.hexdigest())
    return ArchiveReport(path=path, manifest=manifest, files=files, archive_sha256=archive_sha)


def _check_sidecar(path: Path, digest: str) -> str | None:
    sidecar = path.with_name(path.name + ".sha256")
    if not sidecar.is_file():
        return None
    expected = sidecar.read_text(errors="replace").split(maxsplit=1)[:1]
    if expected != [digest]:
        raise _mismatch(f"toàn bộ tệp (so với {sidecar.name})")
    return digest


def verify_archive(path: str | Path, *, out: Any = None) -> ArchiveReport:
    """Check an archive without restoring it (`tinhso backup verify`)."""
    return read_archive(path, out=out)


# ---------------------------------------------------------------------------------------
# Restoring
# ---------------------------------------------------------------------------------------


@dataclass
class RestoreResult:
    manifest: dict[str, Any]
    tables: int
    rows: int
    files: int
    audit_checked: int
    audit_unsealed: int
    pending_migrations: list[str]
    seconds: float


def _database_tables() -> list[str]:
    """Tables in the target database (raises TARGET_UNREACHABLE if it cannot connect)."""
    from django.db.utils import OperationalError

    try:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') "
                    "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
                    "AND n.nspname NOT LIKE 'pg_toast%%' AND n.nspname NOT LIKE 'pg_temp%%'"
                )
            else:
                cursor.execute(
                    "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
                    "AND name NOT LIKE 'sqlite_%'"
                )
            return sorted(row[0] for row in cursor.fetchall())
    except OperationalError as exc:
        db = _db_settings()
        raise BackupError(
            f"Không kết nối được cơ sở dữ liệu đích {db.get('NAME')}: {exc}. Tạo một cơ sở "
            "dữ liệu trống trước (PostgreSQL: `createdb -O <người dùng> <tên>`).",
            code=BackupErrorCode.TARGET_UNREACHABLE,
        ) from exc
    finally:
        connections.close_all()


def _check_target_empty(own_staging: Path | None = None) -> None:
    tables = _database_tables()
    if tables:
        db = _db_settings()
        how = (
            f"tạo một cơ sở dữ liệu trống (`dropdb {db.get('NAME')}` nếu chắc chắn bỏ dữ liệu "
            f"hiện có, rồi `createdb {db.get('NAME')}`), hoặc trỏ DATABASE_URL tới cơ sở dữ "
            "liệu trống khác"
            if connection.vendor == "postgresql"
            else f"xóa hoặc đổi tên tệp {db.get('NAME')} (cả -wal, -shm), hoặc trỏ "
            "DATABASE_URL tới một tệp mới"
        )
        raise BackupError(
            f"Cơ sở dữ liệu đích đã có {len(tables)} bảng (ví dụ {tables[0]}): chỉ khôi phục "
            f"vào cơ sở dữ liệu trống, không ghi đè. Hãy {how}.",
            code=BackupErrorCode.TARGET_DATABASE_NOT_EMPTY,
        )
    leftovers = _storage_leftovers(own_staging)
    if leftovers:
        root = _local_root()
        staging = [n for n in leftovers if n.startswith(STAGING_PREFIX)]
        hint = (
            f" (có thư mục tạm {staging[0].split('/')[0]} của một lần khôi phục bị dừng giữa "
            "chừng: xóa nó)"
            if staging
            else ""
        )
        raise BackupError(
            f"Kho tệp đích {root or 'mặc định'} đã có tệp (ví dụ {leftovers[0][:200]}){hint}: "
            "chỉ khôi phục vào kho trống. Hãy dùng thư mục MEDIA_ROOT trống.",
            code=BackupErrorCode.TARGET_STORAGE_NOT_EMPTY,
        )


def _storage_leftovers(own_staging: Path | None = None) -> list[str]:
    """A file already in the storage (at most one), our own staging directory aside."""
    root = _local_root()
    if root is None:
        return _list_files()[:1]
    if not root.exists():
        return []
    for dirpath, dirs, filenames in os.walk(root):
        if own_staging is not None and Path(dirpath) == root:
            dirs[:] = [d for d in dirs if root / d != own_staging]
        for filename in filenames:
            return [(Path(dirpath) / filename).relative_to(root).as_posix()]
    return []


def _code_migrations() -> set[tuple[str, str]]:
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    known = set(loader.disk_migrations)
    for migration in loader.disk_migrations.values():  # squashed ones stand for theirs
        known.update(migration.replaces or [])
    return known


def _check_compatible(header: dict[str, Any], *, other_secret_key: bool) -> None:
    vendor = connection.vendor
    if header["database_vendor"] != vendor:
        raise BackupError(
            f"Bản sao lưu là của {header['database_vendor']}, cơ sở dữ liệu đích là {vendor}: "
            "chỉ khôi phục vào cùng loại cơ sở dữ liệu.",
            code=BackupErrorCode.VENDOR_MISMATCH,
        )
    if header.get("database_member") != DUMPS[header["database_vendor"]]:
        raise BackupError(
            "Phần đầu tệp sao lưu ghi sai tên bản sao cơ sở dữ liệu.",
            code=BackupErrorCode.MANIFEST_INVALID,
        )
    applied = {
        (app, name) for app, names in (header.get("migrations") or {}).items() for name in names
    }
    unknown = sorted(applied - _code_migrations())
    if unknown:
        sample = ", ".join(f"{app}.{name}" for app, name in unknown[:3])
        raise BackupError(
            f"Bản sao lưu được tạo bởi phiên bản tinhso mới hơn ({len(unknown)} migration chưa "
            f"có trong mã này, ví dụ {sample}): hãy cài bản tinhso mới hơn rồi khôi phục.",
            code=BackupErrorCode.MIGRATIONS_TOO_NEW,
        )
    if not other_secret_key and header.get("secret_key_id") not in _known_key_ids():
        raise BackupError(
            "SECRET_KEY hiện tại khác khóa của hệ thống đã sao lưu: khóa ký số và mã xác thực "
            "hai lớp được mã hóa bằng khóa đó sẽ không mở được. Đặt SECRET_KEY (hoặc "
            "SECRET_KEY_FALLBACKS) bằng khóa cũ; nếu chấp nhận mất chúng, chạy lại với "
            "--other-secret-key.",
            code=BackupErrorCode.SECRET_KEY_MISMATCH,
        )


class _Staging:
    """Where a restore puts the archive's members until every checksum has matched."""

    def __init__(self, vendor: str) -> None:
        root = _local_root()
        tag = f"{STAGING_PREFIX}{os.getpid()}"
        self.media_root = root
        self.created_media_root = root is not None and not root.exists()
        if root is not None:
            self.dir = root / tag
        else:
            self.dir = Path(settings.VAR_DIR) / tag
        self.dir.parent.mkdir(parents=True, exist_ok=True)
        self.dir.mkdir(mode=0o700)
        self.files = self.dir / "files"
        self.files.mkdir()
        if vendor == "sqlite":
            target = Path(_db_settings()["NAME"])
            target.parent.mkdir(parents=True, exist_ok=True)
            self.dump = target.with_name(f".{target.name}{tag}")
        else:
            self.dump = self.dir / DUMPS["postgresql"]
        self.moved: list[Path] = []

    def sink(self, name: str) -> IO[bytes] | None:
        if name.startswith(FILES_DIR):
            target = self.files / name[len(FILES_DIR) :]
            target.parent.mkdir(parents=True, exist_ok=True)
            return open(target, "xb")  # noqa: SIM115 - closed by read_archive
        if name in DUMPS.values():
            return _private_file(self.dump)
        return None

    def publish_files(self, files: dict[str, str], out: Any) -> None:
        """Move the checked files into the storage (local: renames on one filesystem)."""
        if self.media_root is not None:
            for entry in sorted(self.files.iterdir()):
                final = self.media_root / entry.name
                os.rename(entry, final)
                self.moved.append(final)
            _fsync_dir(self.media_root)
            return
        from django.core.files import File

        storage = _storage()
        for done, name in enumerate(sorted(files), start=1):
            with open(self.files / name, "rb") as handle:
                saved = storage.save(name, File(handle))
            if saved != name:
                raise BackupError(
                    f"Kho tệp đích đặt tên khác cho tệp {name}.",
                    code=BackupErrorCode.RESTORE_FAILED,
                )
            self.moved.append(Path(name))
            if done % 50 == 0:
                out.progress(done, len(files))

    def unpublish_files(self) -> None:
        """Undo publish_files after the database restore failed (the storage was empty)."""
        if self.media_root is not None:
            for final in self.moved:
                if final.is_dir():
                    shutil.rmtree(final)
                else:
                    final.unlink()
        else:
            storage = _storage()
            for name in self.moved:
                storage.delete(str(name))
        self.moved = []

    def cleanup(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)
        with contextlib.suppress(FileNotFoundError):
            self.dump.unlink()
        if self.created_media_root and self.media_root is not None and not self.moved:
            with contextlib.suppress(OSError):
                self.media_root.rmdir()


def _restore_postgresql(dump: Path) -> None:
    pg_restore = _tool("pg_restore")
    done = subprocess.run(  # noqa: S603 - fixed arguments, our own paths
        [
            pg_restore,
            "--single-transaction",  # all or nothing: a killed restore leaves an empty database
            "--exit-on-error",
            "--no-owner",
            "--no-privileges",
            f"--dbname={_db_settings()['NAME']}",
            str(dump),
        ],
        env=_pg_env(),
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        raise BackupError(
            "pg_restore không thành công (cơ sở dữ liệu đích vẫn trống): "
            + done.stderr.decode(errors="replace").strip()[-2000:],
            code=BackupErrorCode.RESTORE_FAILED,
        )


def _restore_sqlite(staged: Path) -> None:
    check = sqlite3.connect(staged)
    try:
        result = check.execute("PRAGMA quick_check").fetchone()[0]
    finally:
        check.close()
    if result != "ok":
        raise BackupError(
            f"Bản sao SQLite trong tệp lưu trữ bị hỏng ({result}).",
            code=BackupErrorCode.RESTORE_FAILED,
        )
    target = Path(_db_settings()["NAME"])
    for suffix in ("-wal", "-shm", "-journal"):  # of the empty target: never replayed on ours
        with contextlib.suppress(FileNotFoundError):
            target.with_name(target.name + suffix).unlink()
    with open(staged, "rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(staged, target)  # the commit point
    _fsync_dir(target.parent)


def _check_restored(
    manifest: dict[str, Any], files: dict[str, str], step: StepFactory
) -> tuple[int, int]:
    """Row counts, the audit chain and its head, every file's bytes; raise on a mismatch."""
    from tinhso.audit.selectors import verify_chain

    connections.close_all()
    with step("Kiểm tra số bản ghi từng bảng"):
        with connection.cursor() as cursor:

            def query(sql: str) -> list[tuple]:
                cursor.execute(sql)
                return cursor.fetchall()

            facts = _snapshot_facts(query, connection.vendor)
        if facts["tables"] != manifest["tables"]:
            differing = sorted(
                t
                for t in set(facts["tables"]) | set(manifest["tables"])
                if facts["tables"].get(t) != manifest["tables"].get(t)
            )
            raise BackupError(
                f"Số bản ghi sau khi khôi phục khác bản kê ở {len(differing)} bảng "
                f"(ví dụ {differing[0]}).",
                code=BackupErrorCode.ROW_COUNT_MISMATCH,
            )
    with step("Kiểm tra chuỗi nhật ký (audit verify)") as out:
        report = verify_chain(workers=min(os.cpu_count() or 1, 8))
        if not report.ok:
            raise BackupError(
                f"Chuỗi nhật ký sau khi khôi phục bị phá vỡ tại bản ghi #{report.broken_seq}: "
                f"{report.reason}.",
                code=BackupErrorCode.AUDIT_CHAIN_BROKEN,
            )
        if facts["audit_chain_head"] != manifest["audit_chain_head"]:
            raise BackupError(
                "Đầu chuỗi nhật ký sau khi khôi phục khác đầu chuỗi ghi trong bản kê.",
                code=BackupErrorCode.AUDIT_HEAD_MISMATCH,
            )
        out.write(
            f"  {report.checked} bản ghi toàn vẹn, đầu chuỗi #{facts['audit_chain_head']['seq']}"
        )
    with step("Kiểm tra mã băm từng tệp") as out:
        root = _local_root()
        storage = _storage()
        for done, (name, digest) in enumerate(sorted(files.items()), start=1):
            if root is not None:
                try:
                    actual = _sha256_file(root / name)
                except FileNotFoundError:
                    actual = "missing"
            else:
                sha = hashlib.sha256()
                with storage.open(name, "rb") as handle:
                    for chunk in iter(lambda: handle.read(CHUNK), b""):  # noqa: B023
                        sha.update(chunk)
                actual = sha.hexdigest()
            if actual != digest:
                raise BackupError(
                    f"Tệp {name[:200]} sau khi khôi phục không khớp mã băm SHA-256.",
                    code=BackupErrorCode.FILE_HASH_MISMATCH,
                )
            if done % 50 == 0 or done == len(files):
                out.progress(done, len(files))
        out.write(f"  {len(files)} tệp khớp mã băm")
    return report.checked, report.unsealed


def _pending_migrations() -> list[str]:
    """Migrations of this code not applied in the restored database (an older archive)."""
    from django.db.migrations.executor import MigrationExecutor

    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        return [f"{m.app_label}.{m.name}" for m, _backwards in plan]
    finally:
        connections.close_all()


def restore_backup(
    archive: str | Path,
    *,
    other_secret_key: bool = False,
    step: StepFactory = quiet_step,
) -> RestoreResult:
    """Restore an archive into this instance's EMPTY database and storage, then check it
    (see the module docstring). Raises BackupError; nothing is written unless every
    checksum matched, and the database is written last, in one transaction."""
    import time

    started = time.monotonic()
    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(
            f"Không tìm thấy tệp sao lưu {archive}.", code=BackupErrorCode.ARCHIVE_NOT_FOUND
        )
    vendor = _vendor()
    with step("Kiểm tra đích khôi phục trống"):
        _check_target_empty()
    staging = _Staging(vendor)
    published = False
    try:
        with step("Đọc và kiểm tra tệp sao lưu") as out:
            report = read_archive(
                archive,
                on_header=lambda header: _check_compatible(
                    header, other_secret_key=other_secret_key
                ),
                sink=staging.sink,
                out=out,
            )
        manifest = report.manifest
        _check_target_empty(staging.dir)  # again: nobody wrote there while we read
        with step("Đưa tệp vào kho") as out:
            staging.publish_files(report.files, out)
        published = True
        with step("Khôi phục cơ sở dữ liệu" + (" (pg_restore)" if vendor == "postgresql" else "")):
            connections.close_all()
            if vendor == "postgresql":
                _restore_postgresql(staging.dump)
            else:
                _restore_sqlite(staging.dump)
    except BaseException:
        if published:
            staging.unpublish_files()
        staging.cleanup()
        raise
    staging.cleanup()
    checked, unsealed = _check_restored(manifest, report.files, step)
    pending = _pending_migrations()
    return RestoreResult(
        manifest=manifest,
        tables=len(manifest["tables"]),
        rows=sum(manifest["tables"].values()),
        files=len(report.files),
        audit_checked=checked,
        audit_unsealed=unsealed,
        pending_migrations=pending,
        seconds=time.monotonic() - started,
    )
