"""Reads of the exchange: the receiving queue, the sender's view of a document, the
administrator's outbox / inbox / dead letters and the delivery statistics."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from tinhso.accounts.models import Role
from tinhso.accounts.rules import can, is_platform_admin, visible_agency_filter
from tinhso.exchange.models import InboxItem, OutboxMessage, Transmission


def receiving_agencies(user: Any) -> QuerySet:
    """Agencies whose exchange queue the user works (clerk, leader or specialist)."""
    from tinhso.directory.models import Agency

    if is_platform_admin(user):
        return Agency.objects.filter(exchange_inbox__isnull=False).distinct()
    return Agency.objects.filter(
        visible_agency_filter(user, {Role.CLERK, Role.LEADER, Role.SPECIALIST})
    )


def queue(user: Any, *, state: str = "arrived", agency: Any = None) -> QuerySet:
    qs = InboxItem.objects.filter(kind=InboxItem.Kind.DOCUMENT).select_related("agency")
    agencies = receiving_agencies(user)
    qs = qs.filter(agency__in=agencies)
    if agency is not None:
        qs = qs.filter(agency=agency)
    if state and state != "all":
        qs = qs.filter(state=state)
    return qs.order_by("-created_at", "-id")


def item_for(user: Any, uid: Any) -> InboxItem | None:
    item = (
        InboxItem.objects.filter(uid=uid, kind=InboxItem.Kind.DOCUMENT)
        .select_related("agency", "incoming", "original", "replaced_by", "decided_by")
        .first()
    )
    if item is None:
        return None
    if is_platform_admin(user) or can(user, "exchange.view_agency", item.agency):
        return item
    return None


def transmissions_of(document: Any) -> list[Transmission]:
    """Every receiver of an outgoing document over the exchange, with its history."""
    return list(
        Transmission.objects.filter(Q(outgoing=document) | Q(original__outgoing=document))
        .prefetch_related("events")
        .order_by("receiver_name", "business_type", "id")
    )


def sender_changes_of(document: Any) -> InboxItem | None:
    """The exchange package an incoming document came in, when its sender has since
    revoked or replaced it. Only a document registered from the exchange has a package:
    the others (most of a clerk's, registered from paper or a file) ask nothing."""
    from tinhso.documents.models import IncomingDocument

    if document.source != IncomingDocument.Source.EXCHANGE:
        return None
    return (
        InboxItem.objects.filter(
            incoming=document, state__in=[InboxItem.State.REVOKED, InboxItem.State.REPLACED]
        )
        .select_related("replaced_by__incoming")
        .defer("payload", "replaced_by__payload")  # the packages' bytes: the notice shows none
        .first()
    )


def outbox(*, state: str = "", kind: str = "", agency: Any = None, q: str = "") -> QuerySet:
    qs = OutboxMessage.objects.select_related("sender_agency", "endpoint").defer("payload")
    if state:
        qs = qs.filter(state=state)
    if kind:
        qs = qs.filter(kind=kind)
    if agency is not None:
        qs = qs.filter(sender_agency=agency)
    if q:
        qs = qs.filter(Q(document_id__icontains=q) | Q(receiver_code__icontains=q))
    return qs.order_by("-created_at", "-id")


def inbox(*, state: str = "", kind: str = "", q: str = "") -> QuerySet:
    qs = InboxItem.objects.select_related("agency").defer("payload")
    if state:
        qs = qs.filter(state=state)
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(Q(document_id__icontains=q) | Q(sender_code__icontains=q))
    return qs.order_by("-created_at", "-id")


def outbox_counts() -> dict[str, int]:
    rows = OutboxMessage.objects.values("state").annotate(n=Count("id"))
    return {row["state"]: row["n"] for row in rows}


@dataclass
class AgencyDelivery:
    agency: Any
    dispatched: int  # outgoing documents dispatched in the period
    electronic: int  # of which every recipient got it electronically
    transmissions: int
    delivered: int
    refused: int
    dead: int

    @property
    def share(self) -> float | None:
        return round(100 * self.electronic / self.dispatched, 1) if self.dispatched else None


def delivery_statistics(*, start: dt.date, end: dt.date) -> list[AgencyDelivery]:
    """Per agency and period: outgoing documents dispatched, and the share sent
    electronically (inside the platform or over the exchange) — the figure the province
    reports — with the exchange's deliveries, refusals and dead letters."""
    from tinhso.core.text import vi_sort_key
    from tinhso.directory.models import Agency
    from tinhso.documents.models import OutgoingDocument, Recipient

    docs = OutgoingDocument.objects.filter(
        dispatched_at__date__gte=start, dispatched_at__date__lte=end
    )
    per_agency: dict[int, list[int]] = {}
    paper = set(
        Recipient.objects.filter(document__in=docs)
        .filter(Q(status=Recipient.Status.WAITING))
        .values_list("document_id", flat=True)
    )
    for doc_id, agency_id in docs.values_list("id", "agency_id"):
        row = per_agency.setdefault(agency_id, [0, 0])
        row[0] += 1
        if doc_id not in paper:
            row[1] += 1
    tx = (
        Transmission.objects.filter(created_at__date__gte=start, created_at__date__lte=end)
        .values("sender_agency_id")
        .annotate(
            n=Count("id"),
            delivered=Count("id", filter=~Q(status__in=["queued", "02"])),
            refused=Count("id", filter=Q(status="02")),
        )
    )
    tx_by: dict[int, dict[str, Any]] = {row["sender_agency_id"]: dict(row) for row in tx}
    dead = dict(
        OutboxMessage.objects.filter(
            state=OutboxMessage.State.DEAD, created_at__date__gte=start, created_at__date__lte=end
        )
        .values("sender_agency_id")
        .annotate(n=Count("id"))
        .values_list("sender_agency_id", "n")
    )
    ids = set(per_agency) | set(tx_by)
    agencies = {a.pk: a for a in Agency.objects.filter(pk__in=ids)}
    rows = [
        AgencyDelivery(
            agency=agencies[pk],
            dispatched=per_agency.get(pk, [0, 0])[0],
            electronic=per_agency.get(pk, [0, 0])[1],
            transmissions=tx_by.get(pk, {}).get("n", 0),
            delivered=tx_by.get(pk, {}).get("delivered", 0),
            refused=tx_by.get(pk, {}).get("refused", 0),
            dead=dead.get(pk, 0),
        )
        for pk in ids
        if pk in agencies
    ]
    rows.sort(key=lambda r: vi_sort_key(r.agency.name))
    return rows
