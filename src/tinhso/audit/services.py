"""Recording to the audit trail. Call `record(...)` inside the use-case's transaction.

The chain: entry N stores `prev_hash` (entry N-1's hash, or 64 zeros for the first) and

    content = sha256(canonical JSON of [created_at, actor_id, actor_name, action,
                                        object_type, object_id, agency_id, summary, ip])
    hash    = sha256("<prev_hash>:<seq>:<content>")

Two steps, so that writers never wait on each other for the audit trail:

1. `record()` INSERTs the entry in the caller's transaction with its content digest
   (`content_hash`) and no place in the chain (`seq`, `prev_hash`, `hash` NULL). No lock
   is shared between writers; the table's own id (sequence) is the insertion order.
2. `seal_pending()` (the worker every second, `tinhso audit seal`, `tinhso audit verify`)
   links committed entries into the chain under an exclusive lock on the `ChainHead` row
   that only sealers take, briefly, one transaction per batch.

An entry is tamper-evident once sealed. Until then (normally under a second) its content
is only protected by the PostgreSQL guard, which refuses any change of content; a row
whose content AND stored digest were both rewritten before sealing (by someone able to
bypass the guard) would be sealed as it is and cannot be detected afterwards. A row
whose content alone was changed before sealing is detected once sealed (the stored
digest no longer matches the content).
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from tinhso.audit.models import AuditEntry, ChainHead
from tinhso.core.middleware import client_ip, current_request

GENESIS_HASH = "0" * 64

_encode = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str
).encode


def content_digest(
    *,
    created_at: datetime,
    actor_id: int | None,
    actor_name: str,
    action: str,
    object_type: str,
    object_id: str,
    agency_id: int | None,
    summary: Any,
    ip: str | None,
) -> str:
    """SHA-256 over a canonical JSON of the entry's content (without its place in the chain)."""
    payload = _encode(
        [
            created_at.isoformat(timespec="microseconds"),
            actor_id,
            actor_name,
            action,
            object_type,
            object_id,
            agency_id,
            summary,
            ip,
        ]
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def link_hash(prev_hash: str, seq: int, content: str) -> str:
    return hashlib.sha256(f"{prev_hash}:{seq}:{content}".encode()).hexdigest()


def entry_hash(*, prev_hash: str, seq: int, **content: Any) -> str:
    """The stored hash of an entry at `seq` following `prev_hash`."""
    return link_hash(prev_hash, seq, content_digest(**content))


def normalize_ip(value: Any) -> str | None:
    """The address as the database gives it back (compressed form), or None if invalid."""
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(str(value).strip()))
    except ValueError:
        return None


_INSERT_COLUMNS = (
    "created_at, actor_id, actor_name, action, object_type, object_id, object_repr, "
    "agency_id, summary, ip, content_hash"
)
_INSERT_SQL = {
    "postgresql": f"INSERT INTO audit_auditentry ({_INSERT_COLUMNS}) VALUES "  # noqa: S608
    "(%s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s::inet, %s) RETURNING id",
    "other": f"INSERT INTO audit_auditentry ({_INSERT_COLUMNS}) VALUES "  # noqa: S608
    "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
}


def _ensure_head() -> None:
    """Create the head row on first use (or after a test flush), tolerating a race."""
    ChainHead.objects.bulk_create([ChainHead(pk=1)], ignore_conflicts=True)


def _clean_summary(summary: Any) -> Any:
    """What the database will give back: plain JSON, no NaN, no NUL characters."""
    try:
        text = json.dumps(summary or {}, ensure_ascii=False, default=str, allow_nan=False)
    except ValueError:
        text = json.dumps({"repr": str(summary)}, ensure_ascii=False)
    return json.loads(text.replace("\\u0000", ""))


def _prepared(
    *,
    actor: Any,
    action: str,
    obj: Any,
    agency: Any,
    summary: Any,
    object_type: str | None,
    object_id: str | None,
    ip: str | None,
) -> tuple[dict[str, Any], str, datetime, str]:
    """(the entry's fields, object_repr, created_at, content digest)."""
    if obj is not None:
        object_type = object_type or f"{obj._meta.app_label}.{obj._meta.model_name}"
        if object_id is None:
            object_id = str(getattr(obj, "code", None) or getattr(obj, "uid", None) or obj.pk)
    actor_id = getattr(actor, "pk", None) if actor is not None else None
    actor_name = "system" if actor is None else (getattr(actor, "username", "") or str(actor))
    agency_id = getattr(agency, "pk", agency)
    fields: dict[str, Any] = dict(
        actor_id=actor_id,
        actor_name=actor_name[:150],
        action=str(action)[:80],
        object_type=(object_type or "")[:80],
        object_id=str(object_id or "")[:80],
        agency_id=int(agency_id) if agency_id is not None else None,
        summary=_clean_summary(summary),
        ip=normalize_ip(ip),
    )
    object_repr = str(obj)[:255] if obj is not None else ""
    created_at = timezone.now()
    return fields, object_repr, created_at, content_digest(created_at=created_at, **fields)


def _row(fields: dict[str, Any], object_repr: str, created_at: datetime, content: str) -> list:
    """The INSERT's values, in `_INSERT_COLUMNS` order."""
    return [
        connection.ops.adapt_datetimefield_value(created_at),
        fields["actor_id"],
        fields["actor_name"],
        fields["action"],
        fields["object_type"],
        fields["object_id"],
        object_repr,
        fields["agency_id"],
        json.dumps(fields["summary"], ensure_ascii=False),
        fields["ip"],
        content,
    ]


def record(
    *,
    actor: Any,
    action: str,
    obj: Any = None,
    agency: Any = None,
    summary: dict[str, Any] | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    ip: str | None = None,
) -> AuditEntry:
    """Record one entry, in the caller's transaction (or its own one if there is none).

    One INSERT, without any lock shared with other writers: the entry is stored with
    its content digest and is not yet sealed (`seq`, `prev_hash`, `hash` are None on the
    returned entry); `seal_pending()` links it into the chain after it commits. If the
    caller's transaction rolls back, the entry vanishes with it and leaves no gap in
    the chain. The summary is stored as JSON: values JSON cannot hold become strings.
    """
    fields, object_repr, created_at, content = _prepared(
        actor=actor,
        action=action,
        obj=obj,
        agency=agency,
        summary=summary,
        object_type=object_type,
        object_id=object_id,
        ip=client_ip(current_request.get()) if ip is None else ip,
    )
    values = _row(fields, object_repr, created_at, content)
    with connection.cursor() as cursor:
        # One INSERT, no lock shared with other writers: in the caller's transaction, or
        # its own (autocommit) if there is none.
        if connection.vendor == "postgresql":
            cursor.execute(_INSERT_SQL["postgresql"], values)
            entry_id = cursor.fetchone()[0]
        else:
            cursor.execute(_INSERT_SQL["other"], values)
            entry_id = cursor.lastrowid
    entry = AuditEntry(
        id=entry_id,
        seq=None,
        created_at=created_at,
        prev_hash=None,
        hash=None,
        content_hash=content,
        object_repr=object_repr,
        **fields,
    )
    entry._state.adding = False
    entry._state.db = connection.alias
    return entry


def record_many(entries: list[dict[str, Any]]) -> int:
    """Record several entries (each the keyword arguments of `record`) with one INSERT, in
    the caller's transaction: a batch of arrivals is kept with one statement instead of
    one per entry. Each stays an entry of its own (its own content digest, its own place
    in the chain once sealed, in the order given); returns how many were written."""
    if not entries:
        return 0
    if len(entries) == 1 or connection.vendor != "postgresql":
        for entry in entries:
            record(**entry)
        return len(entries)
    ip_default = client_ip(current_request.get())
    rows = []
    for entry in entries:
        ip = entry.get("ip")
        prepared = _prepared(
            actor=entry.get("actor"),
            action=entry["action"],
            obj=entry.get("obj"),
            agency=entry.get("agency"),
            summary=entry.get("summary"),
            object_type=entry.get("object_type"),
            object_id=entry.get("object_id"),
            ip=ip_default if ip is None else ip,
        )
        rows.append(_row(*prepared))
    placeholders = ", ".join(
        ["(%s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s::inet, %s)"] * len(rows)
    )
    with connection.cursor() as cursor:
        # Rows are inserted in the order of VALUES: the ids (the chain's order) follow it.
        cursor.execute(
            f"INSERT INTO audit_auditentry ({_INSERT_COLUMNS}) VALUES {placeholders}",  # noqa: S608
            [value for row in rows for value in row],
        )
    return len(rows)


# ---------------------------------------------------------------------------------------
# Sealing
# ---------------------------------------------------------------------------------------

_PG_SEAL_UPDATE = """
UPDATE audit_auditentry AS a SET seq = v.seq, prev_hash = v.prev_hash, hash = v.hash
FROM unnest(%s::bigint[], %s::bigint[], %s::varchar[], %s::varchar[])
     AS v(id, seq, prev_hash, hash)
WHERE a.id = v.id AND a.hash IS NULL
"""


def _seal_batch(limit: int) -> int:
    """Seal up to `limit` committed unsealed rows in one transaction; return how many."""
    with transaction.atomic(), connection.cursor() as cursor:
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        select_head = f"SELECT last_seq, last_hash FROM audit_chainhead WHERE id = 1{lock}"  # noqa: S608
        cursor.execute(select_head)
        head = cursor.fetchone()
        if head is None:
            _ensure_head()
            cursor.execute(select_head)
            head = cursor.fetchone()
        seq, prev_hash = head
        # A fresh snapshot (READ COMMITTED) taken after the lock: every row committed
        # so far, including what a sealer before us has just sealed.
        cursor.execute(
            "SELECT id, content_hash FROM audit_auditentry WHERE hash IS NULL ORDER BY id LIMIT %s",
            [limit],
        )
        rows = cursor.fetchall()
        if not rows:
            return 0
        ids, seqs, prevs, hashes = [], [], [], []
        for entry_id, content in rows:
            seq += 1
            digest = link_hash(prev_hash, seq, content)
            ids.append(entry_id)
            seqs.append(seq)
            prevs.append(prev_hash)
            hashes.append(digest)
            prev_hash = digest
        if connection.vendor == "postgresql":
            cursor.execute(_PG_SEAL_UPDATE, [ids, seqs, prevs, hashes])
        else:
            cursor.executemany(
                "UPDATE audit_auditentry SET seq = %s, prev_hash = %s, hash = %s "
                "WHERE id = %s AND hash IS NULL",
                list(zip(seqs, prevs, hashes, ids, strict=True)),
            )
        if cursor.rowcount != len(ids) and connection.vendor == "postgresql":
            raise RuntimeError("audit sealing: rows changed under the sealer's lock")
        cursor.execute(
            "UPDATE audit_chainhead SET last_seq = %s, last_hash = %s WHERE id = 1",
            [seq, prev_hash],
        )
    return len(rows)


def seal_pending(*, limit: int | None = None, batch_size: int = 5_000) -> int:
    """Link committed, not yet sealed entries into the hash chain; return how many.

    Writers (`record`) only INSERT; this is the one place the chain grows. Each batch is
    one transaction: lock the `ChainHead` row (only sealers take it, for the few
    milliseconds of a batch, so two sealers at once never fork the chain: the second
    waits, then sees the first one's work), read up to `batch_size` unsealed rows that
    are committed, in id order, give them the next consecutive `seq` numbers after the
    head, compute `prev_hash` and `hash = sha256("<prev_hash>:<seq>:<content_hash>")`,
    write them (the only UPDATE the PostgreSQL guard allows) and move the head.

    The id is the insertion order, not the commit order: a transaction that took a lower
    id but commits after a sealer has passed is invisible to that sealer and is simply
    sealed by a later batch, after higher ids. So the chain order is the sealing order;
    `seq` is gapless, the id order has gaps and inversions, and `created_at` is the time
    of the call. Idempotent: with nothing pending it changes nothing and returns 0.

    `limit` caps the total sealed by this call (None: until nothing is pending).
    Must not run inside a longer transaction that would hold the head lock.
    """
    total = 0
    while limit is None or total < limit:
        size = batch_size if limit is None else min(batch_size, limit - total)
        sealed = _seal_batch(size)
        total += sealed
        if sealed < size:
            break
    return total


def pending_count() -> int:
    """How many entries are recorded (committed) but not yet sealed into the chain."""
    return AuditEntry.objects.filter(hash__isnull=True).count()


def guard_installed() -> bool:
    """Whether the append-only triggers exist (PostgreSQL only)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'audit_auditentry'::regclass "
            "AND tgname IN ('audit_auditentry_no_update', 'audit_auditentry_no_delete')"
        )
        return cursor.fetchone()[0] == 2


def sealing_guard_installed() -> bool:
    """Whether the guard lets the sealing update through (migration 0004; PostgreSQL)."""
    if not guard_installed():
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT prosrc FROM pg_proc WHERE proname = 'tinhso_audit_append_only' LIMIT 1"
        )
        row = cursor.fetchone()
        return bool(row) and "OLD.hash IS NULL" in row[0]
