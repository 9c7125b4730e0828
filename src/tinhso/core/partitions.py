"""Partitioned history on PostgreSQL: the ever-growing, append-only tables by time.

On PostgreSQL the tables in `PARTITIONED` are declaratively partitioned by range of a
time column (one partition per month or per year, plus a DEFAULT partition so an insert
never fails for lack of a partition). SQLite keeps plain tables and everything here
says "PostgreSQL only".

Which tables, and why (the FK survey is in the README section "Partitioned history"):

- `audit_auditentry` by `created_at`, monthly: every state change of every module writes
  one row; the busiest table a province keeps for ever. Nothing references it.
- `gateway_messagelog` by `started_at`, monthly: one row per LGSP call, with encrypted
  bodies; the largest table. Nothing references it.
- `onestop_dossierevent` by `at`, yearly: about ten rows per dossier, read per dossier
  and in yearly statistics; a month would make partitions too small to pay off.
  `IssuedForm.event` references it without a database-level FK (see that field).

Left plain, with the reason: security events (`security_event`: the intake's
idempotency is a UNIQUE (source, source_event_id), which a partitioned table cannot
keep without the time column, and `RuleHit.event`/`Alert.first_event` reference it);
notification messages (`notify_message`: a mutable outbox, unique `uid`, referenced by
`SentMessage`); exchange status events (unique (transmission, status_code) is their
idempotency; a few rows per transmission).

A partitioned table's primary key is (id, time column): PostgreSQL requires the
partition key in every unique constraint. `id` still comes from its own sequence and
Django keeps using `pk = id` (get, update and delete by id work; they look into every
partition's primary-key index). A unique constraint without the time column becomes a
plain index (`audit_auditentry.seq`: the sealer assigns it under the chain head's lock,
and `audit verify` reports a duplicate or a gap).

`ensure_partitions(ahead=N)` creates the partitions of the current period and the N
coming ones (idempotent; concurrent callers serialise on an advisory lock; rows already
in the DEFAULT partition for a period being created are moved into the new partition in
the same transaction). `detach_and_archive()` verifies, exports, detaches and (only when
asked) drops one past period.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from tinhso.core.errors import DomainError, error_codes

MONTH = "month"
YEAR = "year"


@dataclass(frozen=True)
class PartitionedTable:
    table: str
    column: str  # the partition key: a timestamptz column
    interval: str  # MONTH or YEAR
    pk: str = "id"  # the column that stays unique through its sequence
    chain: str = ""  # "audit": hash-chained, verified before archiving


PARTITIONED: tuple[PartitionedTable, ...] = (
    PartitionedTable("audit_auditentry", "created_at", MONTH, chain="audit"),
    PartitionedTable("gateway_messagelog", "started_at", MONTH, pk="seq", chain="gateway"),
    PartitionedTable("onestop_dossierevent", "at", YEAR),
)

LOCK_KEY = 0x7469_6E68_736F  # pg_advisory_xact_lock key shared by every partition change


@error_codes
class PartitionErrorCode(StrEnum):
    POSTGRES_ONLY = "partitions_postgres_only"
    UNKNOWN_TABLE = "partitions_unknown_table"
    INVALID_PERIOD = "partitions_invalid_period"
    NO_PARTITION = "partitions_no_partition"
    PERIOD_NOT_OVER = "partitions_period_not_over"
    VERIFY_FAILED = "partitions_verify_failed"
    NOT_ARCHIVABLE = "partitions_not_archivable"


class PartitionError(DomainError):
    code = PartitionErrorCode.NO_PARTITION


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _require_postgres() -> None:
    if not is_postgres():
        raise PartitionError(
            "Phân vùng bảng lịch sử chỉ dùng với PostgreSQL (PostgreSQL only); "
            "SQLite giữ bảng thường.",
            code=PartitionErrorCode.POSTGRES_ONLY,
        )


def spec_for(table: str) -> PartitionedTable:
    for spec in PARTITIONED:
        if spec.table == table:
            return spec
    raise PartitionError(
        f"Bảng {table!r} không thuộc danh sách bảng phân vùng.",
        code=PartitionErrorCode.UNKNOWN_TABLE,
    )


# ---------------------------------------------------------------------------------------
# Periods
# ---------------------------------------------------------------------------------------


def _tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def period_start(moment: datetime | date, interval: str) -> date:
    """First day of the period holding `moment` (local time of the province)."""
    if isinstance(moment, datetime):
        if timezone.is_aware(moment):
            moment = moment.astimezone(_tz())
        moment = moment.date()
    return date(moment.year, moment.month if interval == MONTH else 1, 1)


def next_period(start: date, interval: str) -> date:
    if interval == YEAR:
        return date(start.year + 1, 1, 1)
    return date(start.year + (start.month == 12), start.month % 12 + 1, 1)


def parse_period(text: str, interval: str) -> date:
    """'2026-03' (monthly tables) or '2026' (yearly tables)."""
    pattern = r"(\d{4})-(\d{2})" if interval == MONTH else r"(\d{4})"
    match = re.fullmatch(pattern, text.strip())
    if not match or not 1900 <= int(match.group(1)) <= 2999:
        example = "YYYY-MM" if interval == MONTH else "YYYY"
        raise PartitionError(
            f"Kỳ {text!r} không hợp lệ: bảng này phân vùng theo "
            f"{'tháng' if interval == MONTH else 'năm'}, nhập dạng {example}.",
            code=PartitionErrorCode.INVALID_PERIOD,
        )
    month = int(match.group(2)) if interval == MONTH else 1
    if not 1 <= month <= 12:
        raise PartitionError(f"Kỳ {text!r} không hợp lệ.", code=PartitionErrorCode.INVALID_PERIOD)
    return date(int(match.group(1)), month, 1)


def partition_name(table: str, start: date, interval: str) -> str:
    suffix = f"{start.year:04d}" if interval == YEAR else f"{start.year:04d}_{start.month:02d}"
    return f"{table}_p{suffix}"


def _bound(day: date) -> str:
    """A partition bound: local midnight of `day` as a timestamptz literal."""
    aware = datetime(day.year, day.month, day.day, tzinfo=_tz())
    return aware.isoformat()


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


# ---------------------------------------------------------------------------------------
# Catalog
# ---------------------------------------------------------------------------------------


def is_partitioned(table: str) -> bool:
    if not is_postgres():
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [table])
        row = cursor.fetchone()
    return bool(row) and row[0] == "p"


@dataclass
class Partition:
    name: str
    bounds: str  # "FOR VALUES FROM (...) TO (...)" or "DEFAULT"
    start: date | None
    rows: int  # planner's estimate (reltuples), -1 when never analysed


def partitions(table: str) -> list[Partition]:
    """The attached partitions of `table`, oldest first, DEFAULT last."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid), c.reltuples::bigint "
            "FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass(%s)",
            [table],
        )
        rows = cursor.fetchall()
    result = []
    for name, bounds, estimate in rows:
        start = None
        match = re.search(r"_p(\d{4})(?:_(\d{2}))?$", name)
        if match and bounds != "DEFAULT":
            start = date(int(match.group(1)), int(match.group(2) or 1), 1)
        result.append(Partition(name, bounds, start, int(estimate)))
    result.sort(key=lambda p: (p.start is None, p.start or date.min))
    return result


# ---------------------------------------------------------------------------------------
# Creating partitions
# ---------------------------------------------------------------------------------------


def _create_partition(spec: PartitionedTable, start: date, cursor: Any) -> bool:
    """Create one period's partition unless it exists; True if created.

    Called under the advisory lock, inside a transaction. PostgreSQL refuses to create a
    partition whose range has rows in the DEFAULT partition: those rows are moved into
    the new table first (the guard trigger of the default partition is switched off for
    that move only, in this transaction, under its ACCESS EXCLUSIVE lock), then the
    table is attached.
    """
    name = partition_name(spec.table, start, spec.interval)
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
    if cursor.fetchone()[0]:
        return False
    lo, hi = _bound(start), _bound(next_period(start, spec.interval))
    table, column, default = _q(spec.table), _q(spec.column), _q(f"{spec.table}_default")
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [f"{spec.table}_default"])
    has_default = cursor.fetchone()[0]
    stray = False
    if has_default:
        cursor.execute(
            f"SELECT EXISTS (SELECT 1 FROM {default} "  # noqa: S608
            f"WHERE {column} >= %s AND {column} < %s)",
            [lo, hi],
        )
        stray = cursor.fetchone()[0]
    if not stray:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {_q(name)} PARTITION OF {table} "
            f"FOR VALUES FROM (%s) TO (%s)",
            [lo, hi],
        )
        return True
    cursor.execute(
        f"CREATE TABLE {_q(name)} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
    )
    cursor.execute(f"ALTER TABLE {default} DISABLE TRIGGER USER")
    cursor.execute(
        f"WITH moved AS (DELETE FROM {default} WHERE {column} >= %s AND {column} < %s "  # noqa: S608
        f"RETURNING *) INSERT INTO {_q(name)} SELECT * FROM moved",
        [lo, hi],
    )
    cursor.execute(f"ALTER TABLE {default} ENABLE TRIGGER USER")
    cursor.execute(
        f"ALTER TABLE {table} ATTACH PARTITION {_q(name)} FOR VALUES FROM (%s) TO (%s)",
        [lo, hi],
    )
    return True


def ensure_partitions(*, ahead: int = 2, today: date | None = None) -> list[str]:
    """Create the partitions of the current period and the `ahead` next ones, for every
    partitioned table; return the names created. Idempotent; safe with several workers
    at once (they serialise on a transaction-level advisory lock). On SQLite or when a
    table is not partitioned (yet), does nothing."""
    if not is_postgres():
        return []
    today = today or timezone.localdate()
    created: list[str] = []
    for spec in PARTITIONED:
        if not is_partitioned(spec.table):
            continue
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
            start = period_start(today, spec.interval)
            for _ in range(ahead + 1):
                if _create_partition(spec, start, cursor):
                    created.append(partition_name(spec.table, start, spec.interval))
                start = next_period(start, spec.interval)
    return created


# ---------------------------------------------------------------------------------------
# Converting a plain table (migrations)
# ---------------------------------------------------------------------------------------


def convert_to_partitioned(schema_editor: Any, table: str, *, ahead: int = 2) -> None:
    """Turn the plain `table` into a partitioned one with the same columns, data,
    defaults, checks, indexes, foreign keys, triggers and id sequence (PostgreSQL; a
    no-op elsewhere or when already partitioned). Run from a migration.

    The primary key becomes (pk, time column); a unique constraint without the time
    column becomes a plain index of the same name. Fails (and the migration rolls back)
    if another table still has a foreign key to it: change the referencing side first.
    """
    if schema_editor.connection.vendor != "postgresql":
        return
    spec = spec_for(table)
    old = f"{table}__plain"
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [table])
        if cursor.fetchone()[0] == "p":
            return
        # What the plain table has, captured before it is renamed.
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
            "WHERE indrelid = %s::regclass AND NOT indisprimary AND indexrelid NOT IN "
            "(SELECT conindid FROM pg_constraint WHERE conrelid = %s::regclass)",
            [table, table],
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT conname, contype, pg_get_constraintdef(oid), "
            "ARRAY(SELECT attname FROM pg_attribute WHERE attrelid = conrelid "
            "AND attnum = ANY(conkey)) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype IN ('p', 'u', 'f')",
            [table],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger "
            "WHERE tgrelid = %s::regclass AND NOT tgisinternal",
            [table],
        )
        triggers = cursor.fetchall()
        cursor.execute(
            "SELECT attidentity FROM pg_attribute WHERE attrelid = %s::regclass AND attname = %s",
            [table, spec.pk],
        )
        identity = cursor.fetchone()[0]
        next_id = None
        if identity:
            cursor.execute(
                f"SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END "  # noqa: S608
                f"FROM {pg_serial_sequence(cursor, table, spec.pk)}"
            )
            next_id = cursor.fetchone()[0]
        for name, _sql in triggers:
            cursor.execute(f"DROP TRIGGER {_q(name)} ON {_q(table)}")
        cursor.execute(f"ALTER TABLE {_q(table)} RENAME TO {_q(old)}")
        if identity:
            cursor.execute(f"ALTER TABLE {_q(old)} ALTER COLUMN {_q(spec.pk)} DROP IDENTITY")
        cursor.execute(
            f"CREATE TABLE {_q(table)} (LIKE {_q(old)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
            f"INCLUDING STORAGE INCLUDING COMPRESSION INCLUDING COMMENTS) "
            f"PARTITION BY RANGE ({_q(spec.column)})"
        )
        if identity:
            kind = "ALWAYS" if identity == "a" else "BY DEFAULT"
            cursor.execute(
                f"ALTER TABLE {_q(table)} ALTER COLUMN {_q(spec.pk)} "
                f"ADD GENERATED {kind} AS IDENTITY (START WITH {int(next_id or 1)})"
            )
        cursor.execute(f"CREATE TABLE {_q(table + '_default')} PARTITION OF {_q(table)} DEFAULT")
        # A partition for every period holding rows (up to 600 of them; older rows stay
        # in the default partition), then the current and coming ones.
        trunc = "month" if spec.interval == MONTH else "year"
        cursor.execute(
            f"SELECT DISTINCT date_trunc(%s, {_q(spec.column)} AT TIME ZONE %s)::date AS d "  # noqa: S608
            f"FROM {_q(old)} WHERE {_q(spec.column)} IS NOT NULL ORDER BY d DESC LIMIT 600",
            [trunc, settings.TIME_ZONE],
        )
        starts = {row[0] for row in cursor.fetchall()}
        start = period_start(timezone.localdate(), spec.interval)
        for _ in range(ahead + 1):
            starts.add(start)
            start = next_period(start, spec.interval)
        for start in sorted(starts):
            _create_partition(spec, start, cursor)
        cursor.execute(f"INSERT INTO {_q(table)} SELECT * FROM {_q(old)}")  # noqa: S608
        cursor.execute(f"DROP TABLE {_q(old)}")  # refused while a foreign key points here
        for name, kind, definition, columns in constraints:
            if kind == "p":
                keys = list(dict.fromkeys([*columns, spec.column]))
                cursor.execute(
                    f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(name)} "
                    f"PRIMARY KEY ({', '.join(_q(k) for k in keys)})"
                )
            elif kind == "u" and spec.column not in columns:
                cursor.execute(
                    f"CREATE INDEX {_q(name)} ON {_q(table)} ({', '.join(_q(c) for c in columns)})"
                )
            else:
                cursor.execute(f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(name)} {definition}")
        for _name, definition in indexes:
            cursor.execute(definition)
        for _name, definition in triggers:
            cursor.execute(definition)


def pg_serial_sequence(cursor: Any, table: str, column: str) -> str:
    cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, column])
    return cursor.fetchone()[0]


def revert_to_plain(schema_editor: Any, table: str) -> None:
    """The reverse of `convert_to_partitioned` (for migrating backwards): one plain table
    with every row of the attached partitions, the original single-column key."""
    if schema_editor.connection.vendor != "postgresql":
        return
    spec = spec_for(table)
    part = f"{table}__partitioned"
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [table])
        if cursor.fetchone()[0] != "p":
            return
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
            "WHERE indrelid = %s::regclass AND NOT indisprimary",
            [table],
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'f'",
            [table],
        )
        foreign = cursor.fetchall()
        cursor.execute(
            "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger "
            "WHERE tgrelid = %s::regclass AND NOT tgisinternal AND tgparentid = 0",
            [table],
        )
        triggers = cursor.fetchall()
        cursor.execute(
            "SELECT attidentity FROM pg_attribute WHERE attrelid = %s::regclass AND attname = %s",
            [table, spec.pk],
        )
        identity = cursor.fetchone()[0]
        next_id = None
        if identity:
            cursor.execute(
                f"SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END "  # noqa: S608
                f"FROM {pg_serial_sequence(cursor, table, spec.pk)}"
            )
            next_id = cursor.fetchone()[0]
        cursor.execute(f"ALTER TABLE {_q(table)} RENAME TO {_q(part)}")
        cursor.execute(
            f"CREATE TABLE {_q(table)} (LIKE {_q(part)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
        )
        cursor.execute(f"INSERT INTO {_q(table)} SELECT * FROM {_q(part)}")  # noqa: S608
        cursor.execute(f"DROP TABLE {_q(part)} CASCADE")
        cursor.execute(
            f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(table + '_pkey')} PRIMARY KEY ({_q(spec.pk)})"
        )
        if identity:
            cursor.execute(
                f"ALTER TABLE {_q(table)} ALTER COLUMN {_q(spec.pk)} "
                f"ADD GENERATED BY DEFAULT AS IDENTITY (START WITH {int(next_id or 1)})"
            )
        for _name, definition in indexes:
            cursor.execute(definition.replace(" ON ONLY ", " ON "))
        for name, definition in foreign:
            cursor.execute(f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(name)} {definition}")
        for _name, definition in triggers:
            cursor.execute(definition)


# ---------------------------------------------------------------------------------------
# Status
# ---------------------------------------------------------------------------------------


def status() -> list[dict[str, Any]]:
    """One line per partitioned table: its partitions and rows waiting in DEFAULT."""
    _require_postgres()
    result = []
    for spec in PARTITIONED:
        entry: dict[str, Any] = {
            "table": spec.table,
            "column": spec.column,
            "interval": spec.interval,
            "partitioned": is_partitioned(spec.table),
            "partitions": [],
            "default_rows": 0,
        }
        if entry["partitioned"]:
            parts = partitions(spec.table)
            entry["partitions"] = [p.name for p in parts if p.start]
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT count(*) FROM {_q(spec.table + '_default')}")  # noqa: S608
                entry["default_rows"] = cursor.fetchone()[0]
        result.append(entry)
    return result


# ---------------------------------------------------------------------------------------
# Archiving
# ---------------------------------------------------------------------------------------


@dataclass
class ArchiveResult:
    table: str
    partition: str
    rows: int
    sha256: str  # of the exported rows (COPY text, uncompressed)
    file: Path
    manifest: Path
    dropped: bool


def _seq_intervals(seqs: list[int]) -> list[tuple[int, int]]:
    intervals: list[tuple[int, int]] = []
    for seq in seqs:
        if intervals and seq == intervals[-1][1] + 1:
            intervals[-1] = (intervals[-1][0], seq)
        else:
            intervals.append((seq, seq))
    return intervals


def _verify_audit(cursor: Any, name: str) -> list[list[Any]]:
    """Verify the whole audit chain (it links across the partition's boundaries) and
    describe the partition's place in it: the seq intervals it holds, each with the
    hash before its first row and the hash of its last row."""
    from tinhso.audit.selectors import verify_chain
    from tinhso.audit.services import GENESIS_HASH

    report = verify_chain()
    if not report.ok:
        raise PartitionError(
            f"Chuỗi nhật ký bị phá vỡ tại bản ghi #{report.broken_seq}: {report.reason}. "
            "Không lưu trữ, không tách phân vùng nào.",
            code=PartitionErrorCode.VERIFY_FAILED,
        )
    cursor.execute(f"SELECT count(*) FROM {_q(name)} WHERE hash IS NULL")  # noqa: S608
    if cursor.fetchone()[0]:
        raise PartitionError(
            "Phân vùng còn bản ghi nhật ký chưa niêm phong; hãy niêm phong (tinhso audit seal) "
            "rồi lưu trữ lại.",
            code=PartitionErrorCode.VERIFY_FAILED,
        )
    cursor.execute(f"SELECT seq, prev_hash, hash FROM {_q(name)} ORDER BY seq")  # noqa: S608
    rows = cursor.fetchall()
    by_seq = {seq: (prev, digest) for seq, prev, digest in rows}
    chain = []
    for lo, hi in _seq_intervals([seq for seq, _prev, _hash in rows]):
        chain.append([lo, hi, by_seq[lo][0] if lo > 1 else GENESIS_HASH, by_seq[hi][1]])
    return chain


def detach_and_archive(
    *, table: str, period: str, dest: str | os.PathLike[str], drop: bool = False
) -> ArchiveResult:
    """Archive one past period of `table` and detach its partition.

    1. Verify: the audit trail's whole hash chain (`audit verify`; the partition must be
       fully sealed); for other tables the export is checked below. A failure detaches
       nothing and writes no manifest.
    2. Export, in the transaction that will detach, with the partition locked against
       writes: `COPY` of its rows (ordered by key) into `<dest>/<partition>.copy.gz`,
       with the row count and the SHA-256 of the uncompressed rows; the written file is
       read back and must give the same count and SHA-256; then a manifest
       (`<partition>.manifest.json`: bounds, columns, rows, both SHA-256, and for the
       audit trail the chain intervals it held).
    3. `ALTER TABLE ... DETACH PARTITION` (not CONCURRENTLY: PostgreSQL refuses it when
       a DEFAULT partition exists, and it cannot run inside the transaction that holds
       the export's lock) and an `ArchivedPartition` row (which `audit verify` reads to
       step over the archived links). Killed before the commit, nothing is detached.
    4. `DROP TABLE` only with `drop=True`; otherwise the detached table stays as it is.
    """
    from tinhso.core.models import ArchivedPartition

    _require_postgres()
    spec = spec_for(table)
    if spec.chain == "gateway":
        raise PartitionError(
            "Nhật ký LGSP chưa lưu trữ được: lệnh kiểm tra chuỗi của nó (tinhso gateway "
            "verify) còn đi từ bản ghi #1.",
            code=PartitionErrorCode.NOT_ARCHIVABLE,
        )
    start = parse_period(period, spec.interval)
    end = next_period(start, spec.interval)
    if end > timezone.localdate():
        raise PartitionError(
            f"Kỳ {period} chưa kết thúc: chỉ lưu trữ được kỳ đã qua.",
            code=PartitionErrorCode.PERIOD_NOT_OVER,
        )
    name = partition_name(table, start, spec.interval)
    attached = {p.name for p in partitions(table)} if is_partitioned(table) else set()
    if name not in attached:
        raise PartitionError(
            f"Không có phân vùng {name} đang gắn với bảng {table}.",
            code=PartitionErrorCode.NO_PARTITION,
        )
    dest_dir = Path(dest)
    dest_dir.mkdir(parents=True, exist_ok=True)
    data_path = dest_dir / f"{name}.copy.gz"
    manifest_path = dest_dir / f"{name}.manifest.json"
    chain: list[list[Any]] = []
    if spec.chain == "audit":
        from tinhso.audit.services import seal_pending

        seal_pending()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        # No writes into the partition from here to the detach (readers go on).
        cursor.execute(f"LOCK TABLE {_q(name)} IN SHARE MODE")
        if spec.chain == "audit":
            chain = _verify_audit(cursor, name)
        cursor.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
            "AND NOT attisdropped ORDER BY attnum",
            [name],
        )
        columns = [row[0] for row in cursor.fetchall()]
        rows, digest = _export(cursor, name, spec.pk, data_path)
        cursor.execute(f"SELECT count(*) FROM {_q(name)}")  # noqa: S608
        if cursor.fetchone()[0] != rows:
            raise PartitionError(
                "Số bản ghi xuất ra khác số bản ghi trong phân vùng; không tách.",
                code=PartitionErrorCode.VERIFY_FAILED,
            )
        read_rows, read_digest = _read_back(data_path)
        if (read_rows, read_digest) != (rows, digest):
            raise PartitionError(
                "Tệp lưu trữ đọc lại không khớp (số bản ghi hoặc SHA-256); không tách.",
                code=PartitionErrorCode.VERIFY_FAILED,
            )
        file_sha = _file_sha256(data_path)
        manifest = {
            "table": table,
            "partition": name,
            "column": spec.column,
            "from": _bound(start),
            "to": _bound(end),
            "columns": columns,
            "format": "PostgreSQL COPY text, gzip",
            "rows": rows,
            "rows_sha256": digest,
            "file": data_path.name,
            "file_sha256": file_sha,
            "chain": chain,
            "archived_at": timezone.now().isoformat(),
        }
        tmp = manifest_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2))
        os.replace(tmp, manifest_path)
        cursor.execute(f"ALTER TABLE {_q(table)} DETACH PARTITION {_q(name)}")
        ArchivedPartition.objects.create(
            table=table,
            partition=name,
            period_start=start,
            period_end=end,
            rows=rows,
            sha256=digest,
            file_sha256=file_sha,
            path=str(data_path.resolve()),
            manifest=manifest,
        )
    dropped = False
    if drop:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {_q(name)}")
        ArchivedPartition.objects.filter(partition=name).update(dropped=True)
        dropped = True
    return ArchiveResult(table, name, rows, digest, data_path, manifest_path, dropped)


def _export(cursor: Any, name: str, key: str, path: Path) -> tuple[int, str]:
    """COPY the partition's rows (ordered by key) into a gzip file; (rows, SHA-256)."""
    sha = hashlib.sha256()
    rows = 0
    tmp = path.with_suffix(".tmp")
    raw = cursor.cursor  # psycopg cursor: COPY streams
    query = f"COPY (SELECT * FROM {_q(name)} ORDER BY {_q(key)}) TO STDOUT"  # noqa: S608
    with gzip.open(tmp, "wb") as out, raw.copy(query) as copy:
        for chunk in copy:
            data = bytes(chunk)
            sha.update(data)
            rows += data.count(b"\n")
            out.write(data)
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    return rows, sha.hexdigest()


def _read_back(path: Path) -> tuple[int, str]:
    sha = hashlib.sha256()
    rows = 0
    with gzip.open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            sha.update(chunk)
            rows += chunk.count(b"\n")
    return rows, sha.hexdigest()


def _file_sha256(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            sha.update(chunk)
    return sha.hexdigest()


def archived_chain(table: str = "audit_auditentry") -> dict[int, tuple[int, str, str]]:
    """The archived links of a hash chain: {first seq: (last seq, hash before the first,
    hash of the last)}, adjacent intervals merged. Empty on SQLite."""
    if not is_postgres():
        return {}
    from tinhso.core.models import ArchivedPartition

    intervals: list[tuple[int, int, str, str]] = []
    for manifest in ArchivedPartition.objects.filter(table=table).values_list(
        "manifest", flat=True
    ):
        for lo, hi, prev, last in manifest.get("chain") or []:
            intervals.append((int(lo), int(hi), str(prev), str(last)))
    intervals.sort()
    merged: list[tuple[int, int, str, str]] = []
    for lo, hi, prev, last in intervals:
        if merged and lo == merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], hi, merged[-1][2], last)
        else:
            merged.append((lo, hi, prev, last))
    return {lo: (hi, prev, last) for lo, hi, prev, last in merged}
