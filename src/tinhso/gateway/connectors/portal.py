"""Dossier synchronisation to the national public-service portal (STUB of the documented
shape; the portal's real API is not public).

Contract (provider `dvcqg`, service `dong-bo-ho-so`, through the gateway):

    POST /dossiers/{dossier_code}/events
    {"event_key": "onestop:123", "dossier_code": "...", "agency_code": "...",
     "status": 1..10, "happened_at": "ISO 8601"}
    → 200/201 {"ack": true}      acknowledged (idempotent on event_key)
    → anything else              not acknowledged: retried with a growing delay

Events come from the one-stop's process-control slip (`onestop.models.DossierEvent`, read
only, with `onestop.models.PORTAL_STATUS`); `collect()` queues them, `push()` sends the
due ones (the worker calls `tinhso gateway sync-portal`). `sync_rate()` is the share of an
agency's events acknowledged (the service index counts it — reporting-766 §1.4).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from tinhso.gateway.connectors.base import call
from tinhso.gateway.errors import ConnectorFailed
from tinhso.gateway.models import PortalSyncItem, SyncCursor

PROVIDER, SERVICE = "dvcqg", "dong-bo-ho-so"
MAX_DELAY_SECONDS = 3600


def collect(*, limit: int = 5000) -> int:
    """Queue the one-stop's new dossier events that carry a state (national code)."""
    from tinhso.onestop.models import PORTAL_STATUS, DossierEvent

    with transaction.atomic():
        cursor, _ = SyncCursor.objects.select_for_update().get_or_create(name="onestop-events")
        rows = list(
            DossierEvent.objects.filter(pk__gt=cursor.position)
            .exclude(state_after="")
            .exclude(dossier__code=None)
            .order_by("pk")
            .values_list("pk", "dossier__code", "dossier__agency__code", "state_after", "at")[
                :limit
            ]
        )
        now = timezone.now()
        items = [
            PortalSyncItem(
                event_key=f"onestop:{pk}",
                dossier_code=code or "",
                agency_code=agency or "",
                national_status=PORTAL_STATUS[state],
                happened_at=at,
                next_attempt_at=now,
            )
            for pk, code, agency, state, at in rows
            if state in PORTAL_STATUS
        ]
        PortalSyncItem.objects.bulk_create(items, ignore_conflicts=True)
        if rows:
            cursor.position = rows[-1][0]
            cursor.save(update_fields=["position"])
    return len(items)


def enqueue(
    *, event_key: str, dossier_code: str, agency_code: str, status: int, happened_at: dt.datetime
) -> PortalSyncItem:
    if not 1 <= int(status) <= 10:
        raise ValueError("national status is 1..10")
    item, _ = PortalSyncItem.objects.get_or_create(
        event_key=event_key,
        defaults={
            "dossier_code": dossier_code,
            "agency_code": agency_code,
            "national_status": status,
            "happened_at": happened_at,
            "next_attempt_at": timezone.now(),
        },
    )
    return item


@dataclass
class PushResult:
    sent: int = 0
    acknowledged: int = 0
    failed: int = 0


def _delay(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(2 ** max(attempts - 1, 0) * 5, MAX_DELAY_SECONDS))


def push(*, limit: int = 200, now: dt.datetime | None = None) -> PushResult:
    """Send the due items in order; each is retried until acknowledged."""
    now = now or timezone.now()
    result = PushResult()
    due = PortalSyncItem.objects.filter(acknowledged_at=None, next_attempt_at__lte=now).order_by(
        "id"
    )[:limit]
    for item in due:
        result.sent += 1
        error = ""
        try:
            response = call(
                "POST",
                PROVIDER,
                SERVICE,
                f"/dossiers/{item.dossier_code}/events",
                json={
                    "event_key": item.event_key,
                    "dossier_code": item.dossier_code,
                    "agency_code": item.agency_code,
                    "status": item.national_status,
                    "happened_at": item.happened_at.isoformat(),
                },
                issue=item.dossier_code,
            )
            acknowledged = response.status_code in (200, 201) and _ack(response)
            if not acknowledged:
                error = f"HTTP {response.status_code} {response.text[:120]}"
        except ConnectorFailed as exc:
            acknowledged, error = False, str(exc.message)
        item.attempts += 1
        if acknowledged:
            item.acknowledged_at = timezone.now()
            item.last_error = ""
            result.acknowledged += 1
        else:
            item.next_attempt_at = now + _delay(item.attempts)
            item.last_error = error[:200]
            result.failed += 1
        item.save(update_fields=["attempts", "acknowledged_at", "next_attempt_at", "last_error"])
    return result


def _ack(response) -> bool:
    try:
        return bool(response.json().get("ack"))
    except ValueError:
        return False


def sync_rate(*, since: dt.datetime | None = None) -> dict[str, float]:
    """{agency code: share of its events acknowledged by the portal (0..1)}."""
    qs = PortalSyncItem.objects.all()
    if since is not None:
        qs = qs.filter(happened_at__gte=since)
    rows = qs.values("agency_code").annotate(
        total=Count("id"), acked=Count("id", filter=Q(acknowledged_at__isnull=False))
    )
    return {r["agency_code"]: (r["acked"] / r["total"]) if r["total"] else 1.0 for r in rows}
