"""The message log: write-ahead files, the hash chain, batch signatures, verification.

1. The data plane writes one JSON line per answered call to its write-ahead file
   *before* it answers: a killed gateway loses no record of a call it answered
   (`GATEWAY_LOG_FSYNC=1` also survives a power cut, at a cost). The lines of the calls
   answered in one turn of the event loop go in one `write(2)` on an O_APPEND file
   (`WalWriter.add`, then `flush`), and only then are those answers sent.
2. The ingester (`ingest_pending`: a thread of the data plane, and `tinhso gateway
   ingest`) takes the lines into `MessageLog` in order, each linked to the one before:

       content = sha256("\\x1f".join(the record's fields, see `content_digest`))
       hash    = sha256("<prev_hash>:<seq>:<content>")

   and signs every ingested run with the platform's Ed25519 key (`LogBatch`), with an
   RFC 3161 time-stamp when `GATEWAY_TSA_URL` is set. The file offset moves in the same
   transaction as the rows, so a line is taken exactly once.
3. `verify_log` (`tinhso gateway verify`) recomputes every content digest and link and
   checks every batch signature; it names the first broken record.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import json
import logging
import operator
import os
import socket
import threading
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from json.encoder import encode_basestring as _q  # a str as JSON (C), as `_ENCODE` has it
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from tinhso.core.textguard import field_limit, guard_value
from tinhso.gateway.models import LogBatch, LogHead, MessageLog, WalCursor

log = logging.getLogger(__name__)

GENESIS = "0" * 64
FIELDS = (
    "request_id",
    "started_at",
    "consumer_code",
    "provider_code",
    "service_code",
    "endpoint",
    "method",
    "path",
    "issue",
    "status_code",
    "result",
    "error_source",
    "request_size",
    "response_size",
    "request_hash",
    "response_hash",
    "duration_ms",
    "provider_ms",
    "client_ip",
    "request_body",
    "response_body",
)
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def wal_dir() -> Path:
    return Path(getattr(settings, "GATEWAY_WAL_DIR", "") or Path(settings.VAR_DIR) / "gateway")


def format_time(moment: dt.datetime) -> str:
    """The one text form of a record's time in its digest (UTC, microseconds)."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.datetime):
        return format_time(value)
    return str(value)


_FLOATS = {"duration_ms", "provider_ms"}
_NUMBERS = {"status_code", "request_size", "response_size", "duration_ms"}
_NULLABLE = {"provider_ms"}
_OPAQUE = {"started_at", "request_hash", "response_hash", "request_body", "response_body"}
_FIELDS_BY_NAME = {f.name: f for f in MessageLog._meta.concrete_fields}


def content_digest(record: dict[str, Any]) -> str:
    """sha256 of the record's fields (FIELDS order, `_text` of each) joined by \\x1f, and
    its `unreadable` text after them when it has one."""
    r = record
    try:  # the usual record (text as str, numbers present), without a loop over FIELDS
        started, provider_ms = r["started_at"], r["provider_ms"]
        text = "\x1f".join(
            (
                r["request_id"],
                started if type(started) is str else _text(started),
                r["consumer_code"],
                r["provider_code"],
                r["service_code"],
                r["endpoint"],
                r["method"],
                r["path"],
                r["issue"],
                str(r["status_code"]),
                r["result"],
                r["error_source"],
                str(r["request_size"]),
                str(r["response_size"]),
                r["request_hash"],
                r["response_hash"],
                repr(float(r["duration_ms"])),
                "" if provider_ms is None else repr(float(provider_ms)),
                r["client_ip"],
                r["request_body"],
                r["response_body"],
            )
        )
    except (KeyError, TypeError, ValueError):  # a field missing, None or of another type
        return _content_digest(record)
    if r["status_code"] is None or r["request_size"] is None or r["response_size"] is None:
        return _content_digest(record)
    unreadable = r.get("unreadable")
    if unreadable:  # (a sound record's digest does not name the field at all)
        text += "\x1f" + unreadable
    return hashlib.sha256(text.encode()).hexdigest()


def _content_digest(record: dict[str, Any]) -> str:
    get = record.get
    parts = []
    for name in FIELDS:  # `_text` of each field, with the common cases inline
        value = get(name)
        if value is None:
            parts.append("")
        elif name in _FLOATS:
            parts.append(repr(float(value)))
        elif type(value) is str:
            parts.append(value)
        else:
            parts.append(_text(value))
    unreadable = get("unreadable")
    if unreadable:
        parts.append(str(unreadable))
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def link_hash(prev_hash: str, seq: int, content: str) -> str:
    return hashlib.sha256(f"{prev_hash}:{seq}:{content}".encode()).hexdigest()


# ---------------------------------------------------------------------------------------
# Write-ahead files (data plane side)


_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def wal_line(record: dict[str, Any]) -> bytes:
    """A data plane's record as its write-ahead line: the JSON `_ENCODE` gives, written
    field by field (a third of the encoder's time, once per call). The record holds every
    field of FIELDS: text, `status_code` and the sizes as int, `duration_ms` a float,
    `provider_ms` a float or None; `started_at`, the hashes, `result` and `error_source`
    are the data plane's own plain ASCII (no escaping to do), the rest is escaped."""
    r = record
    provider_ms = r["provider_ms"]
    return (
        f'{{"request_id":{_q(r["request_id"])},"started_at":"{r["started_at"]}",'
        f'"consumer_code":{_q(r["consumer_code"])},"provider_code":{_q(r["provider_code"])},'
        f'"service_code":{_q(r["service_code"])},"endpoint":{_q(r["endpoint"])},'
        f'"method":{_q(r["method"])},"path":{_q(r["path"])},"issue":{_q(r["issue"])},'
        f'"status_code":{int(r["status_code"])},"result":"{r["result"]}",'
        f'"error_source":"{r["error_source"]}","request_size":{int(r["request_size"])},'
        f'"response_size":{int(r["response_size"])},"request_hash":"{r["request_hash"]}",'
        f'"response_hash":"{r["response_hash"]}","duration_ms":{float(r["duration_ms"])!r},'
        f'"provider_ms":{"null" if provider_ms is None else repr(float(provider_ms))},'
        f'"client_ip":{_q(r["client_ip"])},"request_body":{_q(r["request_body"])},'
        f'"response_body":{_q(r["response_body"])}}}\n'
    ).encode()


class WalWriter:
    """Appends records to `<wal_dir>/<host>-<pid>-<n>.wal`, one line per call.

    `add` keeps a line, `flush` writes every kept line in one `write(2)`: the data plane
    adds the record of each call it answers and flushes once before it sends the answers
    of that turn of its event loop (a syscall per turn instead of one per call)."""

    ROTATE_BYTES = 64 * 1024 * 1024

    def __init__(self, directory: Path | None = None, *, fsync: bool | None = None) -> None:
        self.directory = Path(directory or wal_dir())
        self.directory.mkdir(parents=True, exist_ok=True)
        self.fsync = bool(getattr(settings, "GATEWAY_LOG_FSYNC", False)) if fsync is None else fsync
        self._lock = threading.Lock()
        self._fd = -1
        self._size = 0
        self._n = 0
        self._lines: list[bytes] = []
        self._torn = False  # a failed write may have left part of a line at the end
        self.path: Path | None = None
        self.written = 0
        self._open()

    def _open(self) -> None:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S%f")
        self._n += 1
        host = socket.gethostname().replace("-", "_")[:40] or "host"
        self.path = self.directory / f"{host}-{os.getpid()}-{stamp}-{self._n:04d}.wal"
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._size = 0

    def append(self, record: dict[str, Any]) -> None:
        """Write one record durably enough to survive the process (raises OSError)."""
        self.add((_ENCODE(record) + "\n").encode())
        self.flush()

    def add(self, line: bytes) -> None:
        """Keep one record's line (`wal_line`) for the next `flush`."""
        self._lines.append(line)

    def flush(self) -> None:
        """Write the kept lines (raises OSError: then none of them counts as written, and
        the part of a line a failed write may have left is ended before the next one, so
        the ingester skips it as unreadable instead of gluing it to a good record)."""
        if not self._lines:
            return
        lines, self._lines = self._lines, []
        data = b"".join(lines)
        with self._lock:
            if self._torn:
                self._write(b"\n")
                self._torn = False
            if self._size + len(data) > self.ROTATE_BYTES:
                os.close(self._fd)
                self._open()
            try:
                self._write(data)
                if self.fsync:
                    os.fsync(self._fd)
            except OSError:
                self._torn = True
                raise
            self.written += len(lines)

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:  # a regular file takes it whole, unless the disk is full
            n = os.write(self._fd, view)
            self._size += n
            view = view[n:]

    def close(self) -> None:
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1


# ---------------------------------------------------------------------------------------
# The platform's signing key


def _key_path() -> Path:
    configured = getattr(settings, "GATEWAY_LOG_KEY_FILE", "")
    return Path(configured) if configured else Path(settings.VAR_DIR) / "gateway-log-key.pem"


_key_lock = threading.Lock()


def signing_key() -> Ed25519PrivateKey:
    """The platform's Ed25519 log-signing key, created (mode 600) on first use."""
    path = _key_path()
    with _key_lock:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            key = Ed25519PrivateKey.generate()
            pem = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(pem)
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return loaded


def key_id(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def batch_message(first_seq: int, last_seq: int, last_hash: str) -> bytes:
    return f"tinhso-gateway-log:{first_seq}:{last_seq}:{last_hash}".encode()


def _timestamp(message: bytes) -> str:
    """An RFC 3161 token over sha256(message) from GATEWAY_TSA_URL, base64 ('' if none)."""
    url = getattr(settings, "GATEWAY_TSA_URL", "")
    if not url:
        return ""
    try:
        import asyncio

        from pyhanko.sign.timestamps import HTTPTimeStamper

        stamper = HTTPTimeStamper(url, timeout=10)
        token = asyncio.run(stamper.async_timestamp(hashlib.sha256(message).digest(), "sha256"))
        return base64.b64encode(token.dump()).decode()
    except Exception:  # the batch stays signed; the missing time-stamp is visible
        log.exception("time-stamping authority %s failed", url)
        return ""


# ---------------------------------------------------------------------------------------
# Ingestion (records → chain)


def _pid_alive(name: str) -> bool:
    parts = name.split("-")
    if len(parts) < 4 or parts[0] != (socket.gethostname().replace("-", "_")[:40] or "host"):
        return True  # another host's file: never deleted here
    try:
        os.kill(int(parts[1]), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


def _started(text: str) -> dt.datetime:
    """A record's `started_at` (`format_time`'s form) as an aware datetime."""
    if len(text) == 27 and text[10] == "T" and text[19] == "." and text[26] == "Z":
        return dt.datetime.fromisoformat(text[:26]).replace(tzinfo=dt.UTC)
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)


def _usual_time(text: str) -> bool:
    """`text` is a time as `format_time` writes it (so the database reads it as such)."""
    if not (len(text) == 27 and text[10] == "T" and text[19] == "." and text[26] == "Z"):
        return False
    try:
        moment = dt.datetime.fromisoformat(text[:26])
    except ValueError:
        return False
    return text.isascii() and moment.tzinfo is None and moment.microsecond == int(text[20:26])


def _plain_length(field: models.Field) -> float:
    """Up to this length, printable ASCII text is stored in `field` as it is."""
    limits = [n for n in (field.max_length, field_limit(field)) if n]
    return min(limits) if limits else float("inf")


# the fields whose text is cleaned as their columns hold them (`guard_value`)
_GUARDED = tuple(
    (name, _FIELDS_BY_NAME[name], _plain_length(_FIELDS_BY_NAME[name]))
    for name in FIELDS
    if name not in _OPAQUE
)


def _row(record: dict[str, Any], seq: int, prev: str) -> tuple[Any, ...]:
    """The values of a MessageLog row, in `_COLUMNS` order (`started_at` as the record's
    text, `format_time`'s form)."""
    row = _usual_row(record, seq, prev)
    return _any_row(record, seq, prev) if row is None else row


# what a number field's column takes (PostgreSQL's smallint and bigint)
_INT_RANGES = {
    "status_code": (0, 32767),
    "request_size": (0, 2**63 - 1),
    "response_size": (0, 2**63 - 1),
}
_HASHES = ("request_hash", "response_hash")  # varchar(64), not cleaned (`_OPAQUE`)
_RAW_MAX = 200  # characters of an unreadable value kept (JSON text of it)


def _raw(value: Any) -> str:
    """An unreadable value as ASCII JSON text; over `_RAW_MAX` characters, as a JSON
    string of its first ones and "..."."""
    text = json.dumps(value, ensure_ascii=True)  # (a value read from JSON: always works)
    if len(text) > _RAW_MAX:
        start = value if isinstance(value, str) else text
        text = json.dumps(start[:_RAW_MAX] + "...", ensure_ascii=True)
    return text


def _readable_number(name: str, value: Any) -> int | float | None:
    """A number field's value as its column takes it; None when it cannot be."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        if name in _FLOATS:
            number: int | float = float(value)
            return number if number == number and abs(number) != float("inf") else None
        number = int(value)
    except (ValueError, OverflowError):
        return None
    if isinstance(value, float) and number != value:
        return None  # 200.5 is no status code
    low, high = _INT_RANGES[name]
    return number if low <= number <= high else None


def _any_row(record: dict[str, Any], seq: int, prev: str) -> tuple[Any, ...]:
    """`_row` of any record, field by field (missing values, text to clean, times).

    A value the ingester cannot read as its column (a time it cannot parse, a status code
    that is not a number...) does not stop the log: the record is kept and chained with a
    stand-in (the time of ingestion, a number 0, an empty text) and the raw value in its
    `unreadable` field (JSON, in the digest), which flags it."""
    faults: dict[str, str] = {}
    raw_started = record.get("started_at")
    try:
        started = format_time(_started(raw_started))  # type: ignore[arg-type]
    except (TypeError, ValueError, AttributeError, OverflowError):
        faults["started_at"] = _raw(raw_started)
        started = format_time(timezone.now())
    record = {name: record.get(name) for name in FIELDS}
    for name in FIELDS:
        value = record[name]
        if value is None:
            if name not in _NULLABLE:
                record[name] = 0 if name in _NUMBERS else ""
        elif name in _FLOATS or name in _INT_RANGES:
            number = _readable_number(name, value)
            if number is None:
                faults[name] = _raw(value)
                number = None if name in _NULLABLE else 0
            record[name] = number
        elif type(value) in (int, float):  # text that came as a number: its text
            record[name] = str(value)
        elif not isinstance(value, str) or (name in _HASHES and len(value) > 64):
            faults[name] = _raw(value)  # (true, a list, an object; a hash too long)
            record[name] = ""
    for name, field, plain in _GUARDED:
        value = record[name]
        if not isinstance(value, str) or not value:
            continue
        if len(value) <= plain and value.isascii() and value.isprintable():
            continue  # what `guard_value` would give back unchanged
        # hash what the column will hold (tinhso.core.textguard cleans every text)
        record[name] = guard_value(field, value[: field.max_length])
    record["started_at"] = started  # digested as the column gives it back (`verify_log`)
    unreadable = ""
    if faults:
        unreadable = "{" + ",".join(f"{_q(k)}:{v}" for k, v in sorted(faults.items())) + "}"
    record["unreadable"] = unreadable
    content = content_digest(record)
    return (seq, *record.values(), content, prev, link_hash(prev, seq, content))


_take = operator.itemgetter(*FIELDS)
_TEXTS = (  # the text fields `_GUARDED` cleans, in the order `_usual_row` takes them
    "request_id",
    "consumer_code",
    "provider_code",
    "service_code",
    "endpoint",
    "method",
    "path",
    "issue",
    "result",
    "error_source",
    "client_ip",
)
# up to which length their plain ASCII is kept as it is
_TEXT_LIMITS = tuple(_plain_length(_FIELDS_BY_NAME[name]) for name in _TEXTS)


def _usual_row(record: dict[str, Any], seq: int, prev: str) -> tuple[Any, ...] | None:
    """`_row` of the record the data plane writes (every field, of its usual type, its
    text plain ASCII within the column's length: nothing to clean), from the values in
    a tuple and with the digest's text joined at once; None for any other record."""
    try:
        values = _take(record)
    except KeyError:
        return None
    (rid, started, consumer, provider, service, endpoint, method, path, issue) = values[:9]
    (status, result, source, req_size, resp_size, req_hash, resp_hash) = values[9:16]
    (duration, provider_ms, client, req_body, resp_body) = values[16:]
    texts = (
        rid,
        consumer,
        provider,
        service,
        endpoint,
        method,
        path,
        issue,
        result,
        source,
        client,
    )
    try:
        plain = "".join(texts)
    except TypeError:  # a field that is not text
        return None
    if not (plain.isascii() and plain.isprintable()):
        return None
    if any(map(operator.gt, map(len, texts), _TEXT_LIMITS)):
        return None
    if not (
        type(status) is int
        and type(req_size) is int
        and type(resp_size) is int
        and type(duration) is float
        and (provider_ms is None or type(provider_ms) is float)
        and type(started) is str
        and type(req_hash) is str
        and type(resp_hash) is str
        and type(req_body) is str
        and type(resp_body) is str
    ):
        return None
    if not _usual_time(started):
        return None
    content = hashlib.sha256(
        "\x1f".join(
            (
                rid,
                started,
                consumer,
                provider,
                service,
                endpoint,
                method,
                path,
                issue,
                str(status),
                result,
                source,
                str(req_size),
                str(resp_size),
                req_hash,
                resp_hash,
                repr(duration),
                "" if provider_ms is None else repr(provider_ms),
                client,
                req_body,
                resp_body,
            )
        ).encode()
    ).hexdigest()
    return (seq, *values, "", content, prev, link_hash(prev, seq, content))


@dataclass
class IngestResult:
    records: int = 0
    files_done: int = 0
    unreadable: int = 0  # records kept with a value the ingester could not read (flagged)


_ingest_lock = threading.Lock()


def ingest_pending(
    directory: Path | None = None, *, active: Path | None = None, batch: int = 5000
) -> IngestResult:
    """Take every complete line of the write-ahead files into the chained log."""
    directory = Path(directory or wal_dir())
    result = IngestResult()
    if not directory.exists():
        return result
    with _ingest_lock:
        for path in sorted(directory.glob("*.wal")):
            while True:
                taken, finished, flagged = _ingest_file(path, batch=batch)
                result.records += taken
                result.unreadable += flagged
                if finished or taken == 0:
                    break
            closed = path != active and (not _pid_alive(path.name) or _rotated(path, directory))
            if closed and _fully_taken(path):
                path.unlink(missing_ok=True)
                WalCursor.objects.filter(name=path.name).update(done=True)
                result.files_done += 1
    if result.records:
        from tinhso.gateway import health

        health.check_alerts()
    return result


def _rotated(path: Path, directory: Path) -> bool:
    """A newer file of the same writer exists: this one is closed for good."""
    prefix = "-".join(path.name.split("-")[:2]) + "-"
    return any(p.name > path.name for p in directory.glob(prefix + "*.wal"))


def _fully_taken(path: Path) -> bool:
    cursor = WalCursor.objects.filter(name=path.name).first()
    try:
        return cursor is not None and cursor.offset >= path.stat().st_size
    except FileNotFoundError:
        return True


_COLUMNS = ["seq", *FIELDS, "unreadable", "content_hash", "prev_hash", "hash"]
_UNREADABLE = _COLUMNS.index("unreadable")
_STARTED = _COLUMNS.index("started_at")


def _insert(rows: list[tuple[Any, ...]]) -> None:
    """The rows into MessageLog: the values were cleaned as the columns hold them (`_row`),
    so the ORM's per-field guards would only do the same work again. PostgreSQL takes
    them with COPY (a tenth of the server's time of an INSERT per row, and the rows go
    out through psycopg's C encoder), with `started_at` as its text; SQLite with one
    executemany."""
    from django.db import connection

    table = MessageLog._meta.db_table
    columns = ", ".join(connection.ops.quote_name(c) for c in _COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                write = copy.write_row
                for row in rows:
                    write(row)
            return
        params = []
        for row in rows:
            values = list(row)
            values[_STARTED] = _sqlite_time(values[_STARTED])
            params.append(values)
        marks = ", ".join(["%s"] * len(_COLUMNS))
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", params)  # noqa: S608


def _sqlite_time(text: str) -> str:
    """`format_time`'s text as Django keeps a UTC time in SQLite (`str` of the naive
    datetime: no fraction when there are no microseconds), without a datetime."""
    if text[20:26] == "000000":
        return f"{text[:10]} {text[11:19]}"
    return f"{text[:10]} {text[11:26]}"


# one JSON value from the start of a text, without the steps of `json.loads` around it
_decode = json.JSONDecoder().raw_decode


def _record(line: bytes) -> dict[str, Any] | None:
    """A write-ahead line's record; None for what is not one (the part of a line that a
    failed write left, ended by the writer)."""
    try:
        text = line.decode().strip()
        record, end = _decode(text)
    except ValueError:
        return None
    if end != len(text) or not isinstance(record, dict):
        return None
    return record


def _ingest_file(path: Path, *, batch: int) -> tuple[int, bool, int]:
    """Take up to `batch` lines of `path` from its cursor: (records taken, whether the
    file's end was reached, how many of them were flagged `unreadable`)."""
    with transaction.atomic():
        LogHead.objects.bulk_create([LogHead(pk=1)], ignore_conflicts=True)
        head = LogHead.objects.select_for_update().get(pk=1)
        cursor, _ = WalCursor.objects.get_or_create(name=path.name)
        try:
            with open(path, "rb") as fh:
                fh.seek(cursor.offset)
                data = fh.read(batch * 4096)
        except FileNotFoundError:
            return 0, True, 0
        end = data.rfind(b"\n")
        if end < 0:
            return 0, True, 0
        lines = data[: end + 1].splitlines()[:batch]
        consumed = sum(len(line) + 1 for line in lines)
        rows = []
        flagged = 0
        seq, prev = head.last_seq, head.last_hash
        for line in lines:
            if not line.strip():
                continue
            record = _record(line)
            if record is None:
                log.error("unreadable write-ahead line in %s at %s", path, cursor.offset)
                continue
            seq += 1
            row = _row(record, seq, prev)
            prev = row[-1]
            rows.append(row)
            if row[_UNREADABLE]:
                flagged += 1
                log.warning(
                    "message-log record #%s (%s in %s) kept with unreadable values: %s",
                    seq,
                    str(record.get("request_id"))[:64],
                    path.name,
                    row[_UNREADABLE],
                )
        if rows:
            _insert(rows)
            key = signing_key()
            first_seq = rows[0][0]
            message = batch_message(first_seq, seq, prev)
            LogBatch.objects.create(
                first_seq=first_seq,
                last_seq=seq,
                last_hash=prev,
                signed_at=timezone.now(),
                key_id=key_id(key),
                signature=base64.b64encode(key.sign(message)).decode(),
                timestamp_token=_timestamp(message),
            )
            head.last_seq, head.last_hash = seq, prev
            head.save(update_fields=["last_seq", "last_hash"])
        cursor.offset += consumed
        cursor.save(update_fields=["offset"])
        return len(rows), consumed >= len(data), flagged


# ---------------------------------------------------------------------------------------
# Verification


def _stored_time(value: Any) -> Any:
    """A time column as read back raw: a datetime (PostgreSQL) or SQLite's text."""
    if isinstance(value, str):
        text = value.replace(" ", "T")
        if "+" in text[10:]:
            text = text[: text.index("+", 10)]
        if len(text) == 19:
            text += ".000000"
        return text + "Z"
    if isinstance(value, dt.datetime) and value.tzinfo is None:  # SQLite: naive UTC
        return value.replace(tzinfo=dt.UTC)
    return value


@dataclass
class VerifyReport:
    ok: bool
    checked: int
    broken_seq: int | None = None
    reason: str = ""
    unsigned: int = 0
    # how many processes checked the chain (1 when `workers` could not be used)
    processes: int = dataclasses.field(default=1, compare=False)


# `tinhso gateway verify`'s processes: one per core, up to two (the ranges are read from
# one database server, which needs a core of its own beside them)
DEFAULT_VERIFY_WORKERS = min(2, os.cpu_count() or 1)


def verify_log(*, chunk: int = 20000, workers: int = 1) -> VerifyReport:
    """Check every record's content digest and link, in order, and every batch signature.
    A broken log is also reported to the security monitoring centre. With `workers` > 1
    the chain is cut into as many ranges, checked by as many processes (each record keeps
    its predecessor's hash, so a range needs only the hash before it); the report is the
    same: the first broken record of the first range that has one."""
    report = _verify_log(chunk=chunk, workers=workers)
    if not report.ok:
        from tinhso.core.signals import security_event

        security_event.send(
            sender=__name__,
            kind="gateway_log_broken",
            detail=f"#{report.broken_seq}: {report.reason}",
        )
    return report


# `started_at` as text from the database itself: PostgreSQL writes `format_time`'s form,
# SQLite gives the text it keeps (`_stored_time` ends it); no datetime per row either way
_TIME_AS_TEXT = {
    "postgresql": """to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')""",
    "sqlite": "started_at || ''",
}


class _Broken(Exception):
    """The first broken record: ends the reading of the chain."""

    def __init__(self, seq: int, reason: str) -> None:
        super().__init__(seq, reason)
        self.seq, self.reason = seq, reason


def _chain_rows(
    columns: str, table: str, after: int, chunk: int, upto: int | None = None, stream: bool = True
) -> Generator[tuple[Any, ...]]:
    """The log's rows after `after`, in `seq` order. PostgreSQL streams them with one COPY:
    the server reads and sends while this process hashes (values as text, split by
    psycopg's C parser with no loader per value; floats with every digit, so `float`
    gives back the stored one), in a transaction of its own, so that a COPY cancelled at
    a broken record (the generator closed) leaves the connection usable. SQLite: `chunk`
    rows a query. And so does PostgreSQL without `stream`. Up to `upto` when given."""
    from django.db import connection

    bound = "" if upto is None else f" AND seq <= {int(upto)}"
    if connection.vendor == "postgresql" and stream:
        query = f"COPY (SELECT {columns} FROM {table} WHERE seq > {int(after)}{bound} ORDER BY seq) TO STDOUT"  # noqa: S608
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL extra_float_digits = 3")
            with cursor.cursor.copy(query) as copy:
                yield from copy.rows()
        return
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {columns} FROM {table} WHERE seq > %s{bound} ORDER BY seq LIMIT %s",  # noqa: S608
                [after, chunk],
            )
            rows = cursor.fetchall()
        if not rows:
            return
        yield from rows
        after = rows[-1][0]


def _check_chain(
    rows: Iterator[tuple[Any, ...]], prev: str, expected_seq: int, ends: set[int], hashes: dict
) -> tuple[str, int]:
    """Check each row's content digest and link, in order; give the last hash and the
    next seq expected, keep the hash at each of `ends` in `hashes`; raise _Broken."""
    sha256 = hashlib.sha256
    for row in rows:
        (seq, rid, started, consumer, provider, service, endpoint, method, path) = row[:9]
        (issue, status, result, source, req_size, resp_size, req_hash) = row[9:16]
        (resp_hash, duration, provider_ms, client, req_body, resp_body) = row[16:22]
        (unreadable, content_hash, prev_hash, link) = row[22:]
        seq = int(seq)  # (text from a COPY)
        if seq != expected_seq:
            raise _Broken(expected_seq, "thiếu bản ghi (bị xóa)")
        if type(started) is not str or len(started) != 27 or started[26] != "Z":
            started = _stored_time(started)
            started = started if type(started) is str else format_time(started)
        try:  # the digest's text (`content_digest`), joined at once
            text = "\x1f".join(
                (
                    rid,
                    started,
                    consumer,
                    provider,
                    service,
                    endpoint,
                    method,
                    path,
                    issue,
                    str(status),
                    result,
                    source,
                    str(req_size),
                    str(resp_size),
                    req_hash,
                    resp_hash,
                    repr(float(duration)),
                    "" if provider_ms is None else repr(float(provider_ms)),
                    client,
                    req_body,
                    resp_body,
                )
            )
        except TypeError:  # a NULL where text belongs: as `content_digest` reads it
            record = dict(zip(("seq", *FIELDS, "unreadable"), row, strict=False))
            record["started_at"] = started
            content = content_digest(record)
        else:
            if unreadable:  # a flagged record (`_any_row`)
                text += "\x1f" + unreadable
            content = sha256(text.encode()).hexdigest()
        if content != content_hash:
            raise _Broken(seq, "nội dung bản ghi đã bị sửa")
        if prev_hash != prev:
            raise _Broken(seq, "liên kết với bản ghi trước bị sai")
        if sha256(f"{prev}:{seq}:{content}".encode()).hexdigest() != link:
            raise _Broken(seq, "mã băm của bản ghi bị sửa")
        if seq in ends:
            hashes[seq] = link
        prev = link
        expected_seq += 1
    return prev, expected_seq


def _columns() -> str:
    from django.db import connection

    time_text = _TIME_AS_TEXT.get(connection.vendor)
    return ", ".join(
        time_text if name == "started_at" and time_text else connection.ops.quote_name(name)
        for name in _COLUMNS
    )


@dataclass
class _RangeResult:
    next_seq: int  # the seq after the last one checked
    last_hash: str
    hashes: dict[int, str]
    broken: tuple[int, str] | None = None
    processes: int = 1


def _check_range(job: tuple[int, int, frozenset[int], int, bool]) -> _RangeResult:
    """A worker's part of `verify_log` (`verify_worker.check_range`): records `lo`..`hi`,
    from the hash before `lo`."""
    from django.db import connections

    lo, hi, ends, chunk, stream = job
    try:
        before = GENESIS
        if lo > 1:  # (a missing one is named by the range before)
            found = MessageLog.objects.filter(seq=lo - 1).values_list("hash", flat=True)
            before = found.first() or ""
        hashes: dict[int, str] = {}
        table = MessageLog._meta.db_table
        rows = _chain_rows(_columns(), table, lo - 1, chunk, upto=hi, stream=stream)
        try:
            prev, next_seq = _check_chain(rows, before, lo, set(ends), hashes)
        except _Broken as broken:
            return _RangeResult(broken.seq, "", hashes, (broken.seq, broken.reason))
        finally:
            rows.close()
        if next_seq != hi + 1:  # the range's last records are missing
            return _RangeResult(next_seq, "", hashes, (next_seq, "thiếu bản ghi (bị xóa)"))
        return _RangeResult(next_seq, prev, hashes)
    finally:
        connections.close_all()


def _check_ranges(last_seq: int, workers: int, ends: set[int], chunk: int) -> _RangeResult | None:
    """Records 1..`last_seq` checked by `workers` processes; None when they cannot see
    the same data as this process (in a transaction, an in-memory SQLite database).

    The workers are new interpreters (`spawn`), not forks: a fork copies the whole
    process, its other threads' state included (their database connections, and any lock
    one of them held at that instant, held for ever in the copy), and the only calls
    POSIX promises to work in the copy of a process that runs threads are the
    async-signal-safe ones, which libpq's are not. The processes that verify run threads
    (the test suite: live servers, data planes, fake peers; a data plane: its refresh
    thread), and forked workers hung in a COPY and had a connection closed under them
    there. A new interpreter shares nothing with this one but the database settings it
    is given (~2 s to start Django, in parallel; the ranges are long)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from django.db import connection, connections

    from tinhso.gateway import verify_worker

    in_memory = getattr(connection, "is_in_memory_db", lambda: False)()
    if workers < 2 or last_seq < workers * 1000 or connection.in_atomic_block or in_memory:
        return None
    step = -(-last_seq // workers)
    jobs = [
        # (a worker reads its range with queries: with a COPY each, two workers took
        # twice as long on PostgreSQL, 200,000 records: 16.5 s against 8.6 s)
        (lo, min(lo + step - 1, last_seq), frozenset(ends), chunk, False)
        for lo in range(1, last_seq + 1, step)
    ]
    databases = {alias: dict(connections[alias].settings_dict) for alias in connections}
    # (the settings' module as the environment names it: `override_settings` hides it)
    settings_module = (
        os.environ.get("DJANGO_SETTINGS_MODULE") or settings.SETTINGS_MODULE or "tinhso.settings"
    )

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=len(jobs),
        mp_context=context,
        initializer=verify_worker.start,
        initargs=(settings_module, databases),
    ) as pool:
        results = list(pool.map(verify_worker.check_range, jobs))
    hashes: dict[int, str] = {}
    for result in results:
        hashes.update(result.hashes)
        if result.broken:  # every range before was intact: this is the first break
            return _RangeResult(result.next_seq, "", hashes, result.broken, len(jobs))
    return _RangeResult(last_seq + 1, results[-1].last_hash, hashes, processes=len(jobs))


def _verify_log(*, chunk: int = 20000, workers: int = 1) -> VerifyReport:
    from cryptography.exceptions import InvalidSignature

    batches = list(LogBatch.objects.order_by("last_seq"))
    ends = {batch.last_seq for batch in batches}
    hashes: dict[int, str] = {}  # the chain's hash at each batch's last record
    columns = _columns()
    table = MessageLog._meta.db_table
    prev, expected_seq = GENESIS, 1
    head = LogHead.objects.filter(pk=1).first()
    ranges = _check_ranges(head.last_seq if head else 0, workers, ends, chunk)
    processes = 1
    if ranges is not None:
        processes = ranges.processes
        if ranges.broken:
            seq, reason = ranges.broken
            return VerifyReport(False, seq - 1, seq, reason, processes=processes)
        prev, expected_seq, hashes = ranges.last_hash, ranges.next_seq, ranges.hashes
    while True:  # again while an ingester added records during the reading
        read_from = expected_seq
        rows = _chain_rows(columns, table, expected_seq - 1, chunk)
        try:
            prev, expected_seq = _check_chain(rows, prev, expected_seq, ends, hashes)
        except _Broken as broken:
            return VerifyReport(
                False, broken.seq - 1, broken.seq, broken.reason, processes=processes
            )
        finally:
            rows.close()
        checked = expected_seq - 1
        head = LogHead.objects.filter(pk=1).first()
        if head is None or head.last_seq <= checked or expected_seq == read_from:
            break
    if head is not None and head.last_seq != checked:
        return VerifyReport(
            False, checked, checked + 1, "thiếu các bản ghi cuối chuỗi", processes=processes
        )
    # signatures: every batch must match the chain at its last record, checked once each
    public = signing_key().public_key()
    signed_up_to = 0
    for batch in batches:
        if hashes.get(batch.last_seq) != batch.last_hash:
            return VerifyReport(
                False, checked, batch.last_seq, "lô ký không khớp chuỗi", processes=processes
            )
        try:
            public.verify(
                base64.b64decode(batch.signature),
                batch_message(batch.first_seq, batch.last_seq, batch.last_hash),
            )
        except (InvalidSignature, ValueError):
            return VerifyReport(
                False, checked, batch.last_seq, "chữ ký của lô không hợp lệ", processes=processes
            )
        signed_up_to = max(signed_up_to, batch.last_seq)
    unsigned = max(0, checked - signed_up_to)
    return VerifyReport(True, checked, unsigned=unsigned, processes=processes)
