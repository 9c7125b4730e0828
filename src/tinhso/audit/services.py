"""Recording to the audit trail. Call `record(...)` inside the use-case's transaction.

The chain: entry N stores `prev_hash` (entry N-1's hash, or 64 zeros for the first) and

    content = sha256(canonical JSON of [created_at, actor_id, actor_name, action,
                                        object_type, object_id, agency_id, summary, ip])
    hash    = sha256("<prev_hash>:<seq>:<content>")

Appends are serialised by a lock on the single `ChainHead` row, held until the caller's
transaction commits, so sequence numbers are gapless and the chain is strictly linear in
commit order. The content digest is computed before the lock is taken; on PostgreSQL the
locked part (read head, link, insert, move head) is one SQL statement computing the link
hash with the server's sha256(), so the lock is held for one round trip plus the commit.
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
    "seq, created_at, actor_id, actor_name, action, object_type, object_id, object_repr, "
    "agency_id, summary, ip, prev_hash, hash"
)

# PostgreSQL: lock the head, link, insert and move the head in one statement.
_PG_APPEND = f"""
WITH head AS (
    SELECT last_seq, last_hash FROM audit_chainhead WHERE id = 1 FOR UPDATE
), link AS (
    SELECT last_seq + 1 AS seq, last_hash AS prev_hash,
           encode(sha256(convert_to(last_hash || ':' || (last_seq + 1)::text || ':' || %s,
                                    'UTF8')), 'hex') AS hash
    FROM head
), ins AS (
    INSERT INTO audit_auditentry ({_INSERT_COLUMNS})
    SELECT link.seq, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s::inet,
           link.prev_hash, link.hash
    FROM link
    RETURNING id, seq, prev_hash, hash
), moved AS (
    UPDATE audit_chainhead SET last_seq = ins.seq, last_hash = ins.hash
    FROM ins WHERE audit_chainhead.id = 1
)
SELECT id, seq, prev_hash, hash FROM ins
"""  # noqa: S608 (constant columns)


def _ensure_head() -> None:
    """Create the head row on first use (or after a test flush), tolerating a race."""
    ChainHead.objects.bulk_create([ChainHead(pk=1)], ignore_conflicts=True)


def _append_postgresql(cursor, content: str, values: list[Any]) -> tuple[int, int, str, str]:
    cursor.execute(_PG_APPEND, [content, *values])
    row = cursor.fetchone()
    if row is None:
        _ensure_head()
        cursor.execute(_PG_APPEND, [content, *values])
        row = cursor.fetchone()
    return row


def _append_generic(cursor, content: str, values: list[Any]) -> tuple[int, int, str, str]:
    """SQLite (transactions begin IMMEDIATE, so they are serialised already)."""
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    select = f"SELECT last_seq, last_hash FROM audit_chainhead WHERE id = 1{lock}"  # noqa: S608
    cursor.execute(select)
    row = cursor.fetchone()
    if row is None:
        _ensure_head()
        cursor.execute(select)
        row = cursor.fetchone()
    seq, prev_hash = row[0] + 1, row[1]
    digest = link_hash(prev_hash, seq, content)
    cursor.execute(
        f"INSERT INTO audit_auditentry ({_INSERT_COLUMNS}) VALUES "  # noqa: S608
        "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        [seq, *values, prev_hash, digest],
    )
    entry_id = cursor.lastrowid
    cursor.execute(
        "UPDATE audit_chainhead SET last_seq = %s, last_hash = %s WHERE id = 1", [seq, digest]
    )
    return entry_id, seq, prev_hash, digest


def _clean_summary(summary: Any) -> Any:
    """What the database will give back: plain JSON, no NaN, no NUL characters."""
    try:
        text = json.dumps(summary or {}, ensure_ascii=False, default=str, allow_nan=False)
    except ValueError:
        text = json.dumps({"repr": str(summary)}, ensure_ascii=False)
    return json.loads(text.replace("\\u0000", ""))


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
    """Append one entry, in the caller's transaction (or its own one if there is none).

    The chain head row is locked (SELECT ... FOR UPDATE) so concurrent writers append
    one after another and the chain stays linear. Everything that does not need the
    lock (cleaning the summary, naming the object, the content digest) is done before
    taking it; so `created_at` is the moment of the call and, between concurrent
    writers, may differ by a few milliseconds from the `seq` order.
    The summary is stored as JSON: values JSON cannot hold become strings.
    """
    if obj is not None:
        object_type = object_type or f"{obj._meta.app_label}.{obj._meta.model_name}"
        if object_id is None:
            object_id = str(getattr(obj, "code", None) or getattr(obj, "uid", None) or obj.pk)
    actor_id = getattr(actor, "pk", None) if actor is not None else None
    actor_name = "system" if actor is None else (getattr(actor, "username", "") or str(actor))
    if ip is None:
        ip = client_ip(current_request.get())
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
    content = content_digest(created_at=created_at, **fields)
    values = [
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
    ]
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        # Called on its own (autocommit): the one statement is its own transaction and
        # the server commits it without another round trip while the head is locked.
        with connection.cursor() as cursor:
            entry_id, seq, prev_hash, digest = _append_postgresql(cursor, content, values)
    else:
        append = _append_postgresql if connection.vendor == "postgresql" else _append_generic
        with transaction.atomic(savepoint=False), connection.cursor() as cursor:
            entry_id, seq, prev_hash, digest = append(cursor, content, values)
    entry = AuditEntry(
        id=entry_id,
        seq=seq,
        created_at=created_at,
        prev_hash=prev_hash,
        hash=digest,
        object_repr=object_repr,
        **fields,
    )
    entry._state.adding = False
    entry._state.db = connection.alias
    return entry


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
