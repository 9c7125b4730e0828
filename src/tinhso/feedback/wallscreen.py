"""The IOC wall screen's data: today's and the open reports counted live, the 90-day
rates and the heat map of past days read from a snapshot the worker keeps.

A wall refreshes every 30 seconds and the 90-day rates span a quarter of a million
reports at a province's scale, so the whole past days are summed once, by the worker,
into `WallSnapshot` (`refresh_snapshot`), and each read adds today's reports to it. A
snapshot is used only for the day it was made for (through yesterday); a read that
finds it missing or older than `SNAPSHOT_MAX_AGE` asks the worker for a new one and, while
it waits, counts from the reports themselves (complete, only slower). Late changes to past
days' reports (an answer, a rating, a hidden report) show within `SNAPSHOT_MAX_AGE`.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Floor
from django.utils import timezone

from tinhso.core.replica import replica_reads
from tinhso.core.tasks import enqueue_once
from tinhso.directory.models import Agency
from tinhso.feedback.models import OPEN_STATES, Category, Report, WallSnapshot
from tinhso.feedback.selectors import with_rates
from tinhso.workdays.services import VN

RATES_DAYS = 90  # the on-time and satisfaction rates cover the last 90 days and today
HEAT_DAYS = 30  # the heat map: every report of the last 30 days and today, and the open ones
HEAT_CELL = 0.02  # degrees, about 2 km
SNAPSHOT_MAX_AGE = timedelta(minutes=10)
TOP = 10


def _day_start(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=VN)


def _open() -> QuerySet[Report]:
    """The open reports (a partial index holds every column the wall counts of them)."""
    return Report.objects.filter(state__in=OPEN_STATES)


def _rates(reports: QuerySet[Report]) -> dict[str, int]:
    """The counts behind the on-time and satisfaction rates (indexed columns only)."""
    return reports.aggregate(
        answered=Count("answered_at"),
        on_time=Count("answered_at", filter=Q(answered_at__lte=F("deadline"))),
        rated=Count("rating"),
        satisfied=Count("rating", filter=Q(rating__gte=4)),
    )


def _cells(reports: QuerySet[Report]) -> dict[tuple[int, int], int]:
    """Visible reports per heat-map cell, counted by the database."""
    rows = (
        reports.filter(hidden=False)
        .annotate(i=Floor(F("lat") / HEAT_CELL), j=Floor(F("lng") / HEAT_CELL))
        .values_list("i", "j")
        .annotate(n=Count("*"))
        .order_by()
    )
    return {(int(i), int(j)): n for i, j, n in rows}


def _created(start: date, end: date | None = None) -> QuerySet[Report]:
    """Reports created on local days [start, end] (or from start on)."""
    reports = Report.objects.filter(created_at__gte=_day_start(start))
    if end is not None:
        reports = reports.filter(created_at__lt=_day_start(end + timedelta(days=1)))
    return reports


def refresh_snapshot(*, today: date | None = None) -> WallSnapshot:
    """Sum the whole past days (through yesterday) into the snapshot the wall reads.
    Idempotent; the snapshots of earlier days are deleted."""
    today = today or timezone.localdate()
    through = today - timedelta(days=1)
    rates = _rates(_created(through - timedelta(days=RATES_DAYS - 1), through))
    heat = [
        [i, j, n]
        for (i, j), n in _cells(_created(through - timedelta(days=HEAT_DAYS - 1), through)).items()
    ]
    values = {"refreshed_at": timezone.now(), "rates": rates, "heat": heat}
    with transaction.atomic():
        try:
            with transaction.atomic():
                snapshot, _ = WallSnapshot.objects.update_or_create(
                    through=through, defaults=values
                )
        except IntegrityError:  # made at the same moment by another worker: ours is as new
            snapshot = WallSnapshot.objects.get(through=through)
        WallSnapshot.objects.filter(through__lt=through).delete()
    return snapshot


def _snapshot(today: date, now: datetime) -> WallSnapshot | None:
    """Today's usable snapshot, if any; asks the worker for a new one when it is missing or
    old."""
    snapshot = WallSnapshot.objects.filter(through=today - timedelta(days=1)).first()
    if snapshot is None or snapshot.refreshed_at < now - SNAPSHOT_MAX_AGE:
        _ask_for_refresh()
    return snapshot


def _ask_for_refresh() -> None:
    """Enqueue `tasks.refresh_wall_snapshot_task`, once a minute at most."""
    from tinhso.feedback.tasks import refresh_wall_snapshot_task

    enqueue_once("feedback:wall-refresh", refresh_wall_snapshot_task, every=60)


def _open_tables(now: datetime) -> dict[str, Any]:
    """Open, overdue and escalated in total, by agency and by category: one pass over the
    open reports' index, grouped in Python."""
    rows = (
        _open()
        .values_list("agency_id", "category_id")
        .annotate(
            n=Count("*"),
            overdue=Count("deadline", filter=Q(deadline__lt=now)),
            escalated=Count("escalated_at"),
        )
        .order_by()
    )
    by_agency: dict[int | None, list[int]] = {}
    by_category: dict[int, list[int]] = {}
    total = [0, 0, 0]
    for agency_id, category_id, n, overdue, escalated in rows:
        for table, key in ((by_agency, agency_id), (by_category, category_id)):
            sums = table.setdefault(key, [0, 0])
            sums[0] += n
            sums[1] += overdue
        total[0] += n
        total[1] += overdue
        total[2] += escalated

    def top(table: dict, names: dict, label: str) -> list[dict[str, Any]]:
        ranked = sorted(table.items(), key=lambda item: -item[1][0])[:TOP]
        return [{label: names.get(key), "n": n, "overdue": overdue} for key, (n, overdue) in ranked]

    agency_ids = [key for key in by_agency if key is not None]
    agencies = dict(Agency.objects.filter(pk__in=agency_ids).values_list("pk", "name"))
    categories = dict(Category.objects.filter(pk__in=list(by_category)).values_list("pk", "name"))
    return {
        "open": total[0],
        "overdue": total[1],
        "escalated": total[2],
        "open_by_agency": top(by_agency, agencies, "agency__name"),
        "open_by_category": top(by_category, categories, "category__name"),
    }


@replica_reads
def figures(*, now: datetime | None = None) -> dict[str, Any]:
    """Everything the wall screen shows but the heat map, the other modules' figures read
    through their own selectors."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    snapshot = _snapshot(today, now)
    data: dict[str, Any] = {"as_of": now}
    data["today"] = _created(today).count()
    data.update(_open_tables(now))
    if snapshot is None:
        counts = _rates(_created(today - timedelta(days=RATES_DAYS)))
    else:
        live = _rates(_created(today))
        counts = {key: live[key] + snapshot.rates[key] for key in live}
    rates = with_rates(counts)
    data["on_time_pct"], data["satisfied_pct"] = rates["on_time_pct"], rates["satisfied_pct"]
    data["rates_as_of"] = snapshot.refreshed_at if snapshot else now
    data["modules"] = module_figures(today=today, now=now)
    return data


@replica_reads
def heat(*, now: datetime | None = None) -> list[list[float]]:
    """[lat, lng, count] per cell: every visible report of the last `HEAT_DAYS` days and
    today, and the older ones still open."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    window = today - timedelta(days=HEAT_DAYS)
    snapshot = _snapshot(today, now)
    cells = _cells(_open().filter(created_at__lt=_day_start(window)))
    for key, n in _cells(_created(today if snapshot else window)).items():
        cells[key] = cells.get(key, 0) + n
    for i, j, n in snapshot.heat if snapshot else ():
        cells[(i, j)] = cells.get((i, j), 0) + n
    return [
        [round((i + 0.5) * HEAT_CELL, 5), round((j + 0.5) * HEAT_CELL, 5), n]
        for (i, j), n in cells.items()
    ]


@replica_reads
def module_figures(*, today: date, now: datetime) -> dict[str, Any]:
    """Live figures of the other modules, each through its own selectors; a module that is
    not there (or fails) shows as unavailable rather than breaking the wall."""
    out: dict[str, Any] = {}
    try:
        from tinhso.onestop.statistics import Period, summary

        rows = summary(period=Period(today, today), now=now, use_rollup=False)
        row = rows[0] if rows else {}
        out["dossiers_received"] = row.get("received", 0)
        out["dossiers_resolved"] = row.get("resolved", 0)
        out["dossiers_late"] = (row.get("resolved_late", 0) or 0) + (
            row.get("in_progress_overdue", 0) or 0
        )
    except Exception:  # noqa: BLE001 - the wall keeps showing the rest
        out["dossiers_received"] = None
    try:
        from tinhso.documents.selectors import statistics

        rows = statistics(agencies=Agency.objects.active(), date_from=today, date_to=today)
        out["documents_incoming"] = sum(r["incoming"] for r in rows)
        out["documents_outgoing"] = sum(r["outgoing"] for r in rows)
        out["documents_exchanged"] = sum(
            r["incoming_electronic"] + r["outgoing_exchanged"] for r in rows
        )
    except Exception:  # noqa: BLE001
        out["documents_incoming"] = None
    try:
        from tinhso.gateway.selectors import overview

        gateway = overview()
        out["gateway_calls"] = gateway["calls_24h"]
        out["gateway_failed"] = gateway["failed_24h"]
    except Exception:  # noqa: BLE001
        out["gateway_calls"] = None
    try:
        from tinhso.exchange.selectors import delivery_statistics

        deliveries = delivery_statistics(start=today, end=today)
        out["exchange_transmissions"] = sum(r.transmissions for r in deliveries)
    except Exception:  # noqa: BLE001
        out["exchange_transmissions"] = None
    return out
