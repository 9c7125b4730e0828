"""Recording to the audit trail. Call `record(...)` inside the use-case's transaction.

The chain: entry N stores `prev_hash` (entry N-1's hash, or 64 zeros for the first) and
`hash = sha256(canonical JSON of [prev_hash, seq, created_at, actor_id, actor_name,
action, object_type, object_id, agency_id, summary, ip])`. Appends are serialised by a
lock on the single `ChainHead` row, held until the caller's transaction commits, so
sequence numbers are gapless and the chain is strictly linear in commit order.
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


def entry_hash(
    *,
    prev_hash: str,
    seq: int,
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
    """SHA-256 over a canonical JSON of the entry and the previous hash."""
    payload = _encode(
        [
            prev_hash,
            seq,
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


def normalize_ip(value: Any) -> str | None:
    """The address as the database gives it back (compressed form), or None if invalid."""
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(str(value).strip()))
    except ValueError:
        return None


def _lock_head() -> tuple[int, str]:
    """Lock the chain head row (create it on first use) and return (last_seq, last_hash)."""
    row = (
        ChainHead.objects.select_for_update()
        .filter(pk=1)
        .values_list("last_seq", "last_hash")
        .first()
    )
    if row is None:
        # First entry ever (or after a test flush): create the row, tolerating a race.
        ChainHead.objects.bulk_create([ChainHead(pk=1)], ignore_conflicts=True)
        row = ChainHead.objects.select_for_update().values_list("last_seq", "last_hash").get(pk=1)
    return row


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
    """Append one entry. Must run inside the caller's transaction (atomic is ensured).

    The chain head row is locked (SELECT ... FOR UPDATE) so concurrent writers append
    one after another and the chain stays linear. Everything that does not need the
    lock (rendering the summary, naming the object) is done before taking it.
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
        summary=json.loads(json.dumps(summary or {}, ensure_ascii=False, default=str)),
        ip=normalize_ip(ip),
    )
    object_repr = str(obj)[:255] if obj is not None else ""
    with transaction.atomic(savepoint=False):
        last_seq, last_hash = _lock_head()
        seq = last_seq + 1
        created_at = timezone.now()
        digest = entry_hash(prev_hash=last_hash, seq=seq, created_at=created_at, **fields)
        entry = AuditEntry(
            seq=seq,
            created_at=created_at,
            prev_hash=last_hash,
            hash=digest,
            object_repr=object_repr,
            **fields,
        )
        entry.save(force_insert=True)
        ChainHead.objects.filter(pk=1).update(last_seq=seq, last_hash=digest)
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
