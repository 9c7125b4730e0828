"""Recording to the audit trail. Call `record(...)` inside the use-case's transaction."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from tinhso.audit.models import AuditEntry, ChainHead
from tinhso.core.middleware import client_ip, current_request


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
    payload = json.dumps(
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
        ],
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


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
    one after another and the chain stays linear.
    """
    if obj is not None:
        object_type = object_type or f"{obj._meta.app_label}.{obj._meta.model_name}"
        object_id = object_id or str(
            getattr(obj, "code", None) or getattr(obj, "uid", None) or obj.pk
        )
    actor_id = getattr(actor, "pk", None) if actor is not None else None
    actor_name = (getattr(actor, "username", "") or str(actor)) if actor is not None else "system"
    if ip is None:
        ip = client_ip(current_request.get())
    clean_summary = json.loads(json.dumps(summary or {}, ensure_ascii=False, default=str))
    with transaction.atomic():
        head, _ = ChainHead.objects.select_for_update().get_or_create(pk=1)
        seq = head.last_seq + 1
        created_at = timezone.now()
        fields = dict(
            seq=seq,
            created_at=created_at,
            actor_id=actor_id,
            actor_name=actor_name[:150],
            action=action,
            object_type=object_type or "",
            object_id=(object_id or "")[:80],
            agency_id=getattr(agency, "pk", agency),
            summary=clean_summary,
            ip=ip,
        )
        digest = entry_hash(prev_hash=head.last_hash, **fields)
        entry = AuditEntry.objects.create(
            prev_hash=head.last_hash,
            hash=digest,
            object_repr=str(obj)[:255] if obj is not None else "",
            **fields,
        )
        ChainHead.objects.filter(pk=1).update(last_seq=seq, last_hash=digest)
    return entry
