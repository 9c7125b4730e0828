"""Reads of the service centre: the waiting-room board, the counters, the statistics.

Statistics rules (stated once, here):
- waiting time = first call − issue; service time = end − start of service (or the
  call when service was not started separately); averages over the tickets that have
  them, in minutes.
- no-show = a ticket marked absent after being called.
- a rating is satisfied unless a criterion is "not satisfied" (the service index counts
  satisfied ratings among all ratings, Decision 766/QĐ-TTg).
- the estimated wait of a group = waiting tickets × average service minutes of the day
  (the group's default before any ticket was served) ÷ open counters serving it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from tinhso.core.errors import NotFound
from tinhso.counter.errors import CounterErrorCode as E
from tinhso.counter.models import Appointment, Centre, Desk, DeskRating, ServiceGroup, Ticket
from tinhso.counter.services import local_day, slots_of
from tinhso.workdays.services import VN

BOARD_CALLS = 8


def get_centre(code: str) -> Centre:
    centre = Centre.objects.select_related("agency").filter(code=str(code)[:40]).first()
    if centre is None:
        raise NotFound("Không tìm thấy trung tâm.", code=E.UNKNOWN_CENTRE)
    return centre


def centres() -> QuerySet[Centre]:
    return Centre.objects.select_related("agency").order_by("name")


def groups(centre: Centre) -> QuerySet[ServiceGroup]:
    return centre.groups.filter(is_active=True).select_related("field", "agency")


def desks(centre: Centre) -> QuerySet[Desk]:
    return centre.desks.select_related("officer").prefetch_related("groups").order_by("number")


def desk_by_uid(uid: Any) -> Desk:
    try:
        desk = Desk.objects.select_related("centre__agency", "officer").filter(uid=uid).first()
    except Exception:  # not a UUID
        desk = None
    if desk is None:
        raise NotFound("Quầy không tồn tại.", code=E.UNKNOWN_DESK)
    return desk


def desk_by_tablet_key(key: str) -> Desk:
    desk = (
        Desk.objects.select_related("centre", "officer").filter(tablet_key=str(key)[:40]).first()
        if key
        else None
    )
    if desk is None:
        raise NotFound("Quầy không tồn tại.", code=E.UNKNOWN_DESK)
    return desk


def ticket_by_uid(uid: Any) -> Ticket:
    try:
        ticket = (
            Ticket.objects.select_related("group", "centre", "desk", "target_desk")
            .filter(uid=uid)
            .first()
        )
    except Exception:  # not a UUID
        ticket = None
    if ticket is None:
        raise NotFound("Không tìm thấy số thứ tự.", code=E.UNKNOWN_TICKET)
    return ticket


@dataclass
class GroupQueue:
    group: ServiceGroup
    waiting: int
    next_numbers: list[str]
    open_desks: int
    estimated_minutes: int | None


@dataclass
class Board:
    centre: Centre
    calls: list[Ticket]
    queues: list[GroupQueue]
    desks: list[Desk]
    at: datetime
    latest_call: str = ""
    extra: dict = field(default_factory=dict)


def _service_minutes(centre: Centre, day: date) -> dict[int, float]:
    """Average service minutes of the day per group (done tickets)."""
    rows = (
        Ticket.objects.filter(centre=centre, day=day, state=Ticket.State.DONE)
        .annotate(
            took=ExpressionWrapper(
                F("finished_at") - Coalesce("serving_at", "called_at"),
                output_field=DurationField(),
            )
        )
        .values("group_id")
        .annotate(avg=Avg("took"))
    )
    result = {}
    for row in rows:
        avg = row["avg"]
        if avg is not None:
            result[row["group_id"]] = avg.total_seconds() / 60
    return result


def board(centre: Centre, *, at: datetime | None = None) -> Board:
    """What the waiting-room screen shows."""
    now = at or timezone.now()
    day = local_day(now)
    calls = list(
        Ticket.objects.filter(
            centre=centre, day=day, state__in=(Ticket.State.CALLED, Ticket.State.SERVING)
        )
        .select_related("group", "desk")
        .order_by("-called_at")[:BOARD_CALLS]
    )
    waiting_rows = (
        Ticket.objects.filter(centre=centre, day=day, state=Ticket.State.WAITING)
        .values("group_id")
        .annotate(n=Count("pk"))
    )
    waiting = {row["group_id"]: row["n"] for row in waiting_rows}
    desk_list = list(desks(centre))
    open_by_group: dict[int, int] = {}
    for desk in desk_list:
        if desk.state == Desk.State.OPEN:
            for group in desk.groups.all():
                open_by_group[group.pk] = open_by_group.get(group.pk, 0) + 1
    minutes = _service_minutes(centre, day)
    queues = []
    for group in groups(centre):
        n = waiting.get(group.pk, 0)
        next_numbers = [
            f"{group.letter}{num:03d}"
            for num in Ticket.objects.filter(group=group, day=day, state=Ticket.State.WAITING)
            .order_by("issued_at")
            .values_list("number", flat=True)[:3]
        ]
        open_desks = open_by_group.get(group.pk, 0)
        per_ticket = minutes.get(group.pk, group.minutes_per_ticket)
        estimate = round(n * per_ticket / open_desks) if open_desks else None
        queues.append(GroupQueue(group, n, next_numbers, open_desks, estimate))
    latest = ""
    if calls:
        top = calls[0]
        latest = f"{top.pk}-{top.call_count}"
    return Board(centre, calls, queues, desk_list, now, latest)


def board_dict(b: Board) -> dict:
    """The board as JSON (the API and the screen's fallback)."""
    return {
        "centre": b.centre.code,
        "at": b.at.isoformat(),
        "latest_call": b.latest_call,
        "calls": [
            {
                "number": t.display,
                "desk": t.desk.number if t.desk else None,
                "desk_name": str(t.desk) if t.desk else "",
                "called_at": t.called_at.isoformat() if t.called_at else None,
                "state": t.state,
            }
            for t in b.calls
        ],
        "queues": [
            {
                "letter": q.group.letter,
                "name": q.group.name,
                "waiting": q.waiting,
                "next": q.next_numbers,
                "open_desks": q.open_desks,
                "estimated_minutes": q.estimated_minutes,
            }
            for q in b.queues
        ],
    }


def position(ticket: Ticket) -> int:
    """How many tickets of the group are ahead of this waiting ticket (estimate)."""
    if ticket.state != Ticket.State.WAITING:
        return 0
    return Ticket.objects.filter(
        group_id=ticket.group_id,
        day=ticket.day,
        state=Ticket.State.WAITING,
        issued_at__lt=ticket.issued_at,
    ).count()


def desk_queue_counts(desk: Desk) -> list[tuple[ServiceGroup, int]]:
    day = local_day(timezone.now())
    result = []
    for group in desk.groups.all():
        n = Ticket.objects.filter(group=group, day=day, state=Ticket.State.WAITING).count()
        result.append((group, n))
    return result


def transferred_to(desk: Desk) -> int:
    return Ticket.objects.filter(target_desk=desk, state=Ticket.State.WAITING).count()


def served_today(desk: Desk) -> QuerySet[Ticket]:
    day = local_day(timezone.now())
    return (
        Ticket.objects.filter(
            desk=desk, day=day, state__in=(Ticket.State.DONE, Ticket.State.ABSENT)
        )
        .select_related("group")
        .order_by("-finished_at")
    )


def free_slots(group: ServiceGroup, day: date, *, at: datetime | None = None) -> list[dict]:
    """The slots of a day with their remaining capacity (past slots left out)."""
    now = at or timezone.now()
    taken = dict(
        Appointment.objects.filter(
            group=group,
            day=day,
            state__in=(Appointment.State.BOOKED, Appointment.State.CHECKED_IN),
        )
        .values_list("slot")
        .annotate(n=Count("pk"))
    )
    result = []
    for slot in slots_of(group.centre):
        if datetime.combine(day, slot, tzinfo=VN) <= now:
            continue
        left = max(group.slot_capacity - taken.get(slot, 0), 0)
        result.append({"slot": slot, "left": left})
    return result


# ---------------------------------------------------------------------------------------
# Statistics
# ---------------------------------------------------------------------------------------


def _minutes(value: timedelta | None) -> float | None:
    return round(value.total_seconds() / 60, 1) if value is not None else None


def _tickets(centre: Centre, start: date, end: date) -> QuerySet[Ticket]:
    return Ticket.objects.filter(centre=centre, day__gte=start, day__lte=end).annotate(
        wait=ExpressionWrapper(F("first_called_at") - F("issued_at"), output_field=DurationField()),
        took=ExpressionWrapper(
            F("finished_at") - Coalesce("serving_at", "called_at"), output_field=DurationField()
        ),
    )


def _aggregate(qs) -> dict:
    done = Q(state=Ticket.State.DONE)
    return {
        "tickets": Count("pk", distinct=True),
        "served": Count("pk", filter=done, distinct=True),
        "absent": Count("pk", filter=Q(state=Ticket.State.ABSENT), distinct=True),
        "waiting_now": Count(
            "pk", filter=Q(state__in=(Ticket.State.WAITING, Ticket.State.CALLED)), distinct=True
        ),
        "avg_wait": Avg("wait"),
        "avg_service": Avg("took", filter=done),
        "ratings": Count("rating", distinct=True),
        "not_satisfied": Count(
            "rating",
            filter=Q(rating__attitude=1) | Q(rating__timeliness=1) | Q(rating__result=1),
            distinct=True,
        ),
    }


def _finish(row: dict) -> dict:
    row["avg_wait_min"] = _minutes(row.pop("avg_wait"))
    row["avg_service_min"] = _minutes(row.pop("avg_service"))
    ratings = row["ratings"]
    row["satisfaction"] = (
        round(100 * (ratings - row["not_satisfied"]) / ratings, 1) if ratings else None
    )
    return row


def statistics(centre: Centre, start: date, end: date, *, by: str) -> list[dict]:
    """Rows per `by` in ("day", "group", "officer", "desk"), totals last."""
    keys = {
        "day": ("day",),
        "group": ("group__letter", "group__name"),
        "officer": ("officer__username", "officer__full_name"),
        "desk": ("desk__number",),
    }[by]
    qs = _tickets(centre, start, end)
    if by in ("officer", "desk"):
        qs = qs.exclude(**{f"{keys[0]}__isnull": True})
    rows = [_finish(dict(r)) for r in qs.values(*keys).annotate(**_aggregate(qs)).order_by(*keys)]
    if by == "officer":
        from tinhso.core.text import vi_sort_key

        rows.sort(key=lambda r: vi_sort_key(r["officer__full_name"] or r["officer__username"]))
    return rows


def totals(centre: Centre, start: date, end: date) -> dict:
    qs = _tickets(centre, start, end)
    return _finish(dict(qs.aggregate(**_aggregate(qs))))


def per_hour(centre: Centre, day: date) -> list[tuple[int, int]]:
    """Tickets issued per local hour of the day."""
    counts: dict[int, int] = {}
    for issued in Ticket.objects.filter(centre=centre, day=day).values_list("issued_at", flat=True):
        hour = issued.astimezone(VN).hour
        counts[hour] = counts.get(hour, 0) + 1
    return sorted(counts.items())


def rating_summary(centre: Centre, start: date, end: date) -> dict[str, dict[int, int]]:
    """Counts per criterion and level (the satisfaction indicator's inputs)."""
    qs = DeskRating.objects.filter(
        ticket__centre=centre, ticket__day__gte=start, ticket__day__lte=end
    )
    result: dict[str, dict[int, int]] = {}
    for criterion in ("attitude", "timeliness", "result"):
        result[criterion] = dict(qs.values_list(criterion).annotate(n=Count("pk")))
    return result


def desk_ratings(desk: Desk) -> QuerySet[DeskRating]:
    return DeskRating.objects.filter(desk=desk).order_by("-created_at")


def satisfaction(start: date, end: date, *, agency_ids: list[int] | None = None) -> dict:
    """Counter ratings of tickets of `start`–`end` (local days), for the satisfaction
    indicators (reporting): {"ratings", "not_satisfied", "satisfaction_rate"}; a rating is
    not satisfied when any criterion is "not satisfied". `agency_ids` narrows to the
    centres of those agencies and to the service groups of those departments."""
    qs = DeskRating.objects.filter(ticket__day__gte=start, ticket__day__lte=end)
    if agency_ids is not None:
        qs = qs.filter(
            Q(ticket__centre__agency_id__in=agency_ids) | Q(ticket__group__agency_id__in=agency_ids)
        )
    counts = qs.aggregate(
        ratings=Count("pk"),
        not_satisfied=Count("pk", filter=Q(attitude=1) | Q(timeliness=1) | Q(result=1)),
    )
    ratings = counts["ratings"]
    counts["satisfaction_rate"] = (
        round(100 * (ratings - counts["not_satisfied"]) / ratings, 1) if ratings else None
    )
    return counts


def rating_counts(*, agency_ids: list[int], date_from: date, date_to: date) -> dict[int, dict]:
    """Ratings given at the counters of each centre's agency in [date_from, date_to]
    (local days): how many, and how many satisfied on all three criteria."""
    start = timezone.make_aware(datetime.combine(date_from, datetime.min.time()), VN)
    end = timezone.make_aware(
        datetime.combine(date_to + timedelta(days=1), datetime.min.time()), VN
    )
    not_satisfied = (
        Q(attitude=DeskRating.Level.NOT_SATISFIED)
        | Q(timeliness=DeskRating.Level.NOT_SATISFIED)
        | Q(result=DeskRating.Level.NOT_SATISFIED)
    )
    rows = (
        DeskRating.objects.filter(
            desk__centre__agency_id__in=agency_ids, created_at__gte=start, created_at__lt=end
        )
        .values("desk__centre__agency_id")
        .annotate(total=Count("id"), not_satisfied=Count("id", filter=not_satisfied))
    )
    return {
        row["desk__centre__agency_id"]: {
            "total": row["total"],
            "satisfied": row["total"] - row["not_satisfied"],
        }
        for row in rows
    }
