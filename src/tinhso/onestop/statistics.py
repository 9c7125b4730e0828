"""Statistics of dossier handling and the form-06 tracking register.

How a dossier is counted (show this on the statistics page — `RULES`):

- **Received** in a period: accepted (code issued, status 2) in the period; split by how it
  was submitted (online / counter / post) and, for online ones, by the procedure's online
  service type (full / partial, Decree 42/2022).
- **Resolved** in a period: its result was approved (status 9, later 10) in the period.
  Early / on time / late compares the local *date* of the result with the appointment date
  in force at that moment — the date from acceptance, or the one new date set by the single
  allowed extension (form 04), or the date recomputed when the citizen completed a
  supplement asked for during processing (the clock restarts from zero): before that date →
  early, on that date → on time, after → late. Working days during which the dossier
  waited for the citizen (supplement, financial obligation) or was paused push the
  appointment later, so that time does not count against the agency.
- **In progress** at the end of the period (or now, for a period not over yet): accepted
  before then and without result, stop, or withdrawal by then; overdue when its appointment
  had passed.
- **Withdrawn**, **refused** (form 03) and **stopped** (status 8) are counted on the day it
  happened.
- **Online payment share**: of the dossiers received with a fee, those paid online.
- **Satisfaction**: ratings 3–5 out of 5 count as satisfied, 1–2 as not satisfied;
  satisfaction rate = (ratings − not satisfied) / ratings (Decision 766/QĐ-TTg).
- **On-time rate** = (early + on time) / resolved.

All figures come from one aggregate query per grouping (indexes on
(agency, received_at), (field, received_at), (procedure, received_at),
(agency, result_at)).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from tinhso.core.replica import replica_reads
from tinhso.core.text import vi_sort_key
from tinhso.onestop.models import Channel, Dossier, DossierState, OnlineType, Timeliness
from tinhso.onestop.services.clock import now as clock_now
from tinhso.workdays.services import VN

S = DossierState
RULES = __doc__.split("How a dossier is counted", 1)[1].split("All figures come", 1)[0]

GROUPS = {
    "agency": ("agency_id", "agency__name", "agency__code"),
    "field": ("field_id", "field__name", "field__code"),
    "procedure": ("procedure_id", "procedure__name", "procedure__code"),
    "receiving_agency": (
        "receiving_agency_id",
        "receiving_agency__name",
        "receiving_agency__code",
    ),
}
METRICS = [
    "received",
    "received_online",
    "received_counter",
    "received_post",
    "online_full",
    "online_partial",
    "resolved",
    "resolved_early",
    "resolved_on_time",
    "resolved_late",
    "in_progress",
    "in_progress_on_time",
    "in_progress_overdue",
    "withdrawn",
    "refused",
    "stopped",
    "with_fee",
    "paid_online",
    "ratings",
    "not_satisfied",
]


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=VN)

    @property
    def end_at(self) -> datetime:
        """Exclusive end moment."""
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=VN)

    MAX_DAYS = 366 * 3

    @classmethod
    def checked(cls, start: date, end: date) -> Period:
        """A period a person asked for: within the platform's date range, start not after
        end, at most three years (the statistics page and the API alike)."""
        from django.utils.translation import gettext as _

        from tinhso.core.dates import RANGE_TEXT, in_range
        from tinhso.core.errors import ValidationFailed

        if not (in_range(start) and in_range(end)):
            raise ValidationFailed(
                _("Kỳ thống kê phải trong khoảng %(range)s.") % {"range": RANGE_TEXT},
                code="invalid_period",
            )
        if start > end:
            raise ValidationFailed(
                _("Ngày bắt đầu phải trước ngày kết thúc."), code="invalid_period"
            )
        if (end - start).days > cls.MAX_DAYS:
            raise ValidationFailed(_("Khoảng thời gian tối đa 3 năm."), code="invalid_period")
        return cls(start, end)

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(date(year, 1, 1), date(year, 12, 31))

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        nxt = date(year + (month == 12), month % 12 + 1, 1)
        return cls(date(year, month, 1), nxt - timedelta(days=1))


SUMMED = [m for m in METRICS if not m.startswith("in_progress")]


def _aggregates(period_start: datetime, period_end: datetime) -> dict[str, Any]:
    """Counts of the additive metrics for events between the two moments."""
    start, end = period_start, period_end
    received = Q(received_at__gte=start, received_at__lt=end)
    resolved = Q(state__in=(S.APPROVED, S.RETURNED), result_at__gte=start, result_at__lt=end)
    finished_in = Q(finished_at__gte=start, finished_at__lt=end)
    return {
        "received": Count("pk", filter=received),
        "received_online": Count("pk", filter=received & Q(channel=Channel.ONLINE)),
        "received_counter": Count("pk", filter=received & Q(channel=Channel.COUNTER)),
        "received_post": Count("pk", filter=received & Q(channel=Channel.POST)),
        "online_full": Count(
            "pk", filter=received & Q(channel=Channel.ONLINE, online_type=OnlineType.FULL)
        ),
        "online_partial": Count(
            "pk", filter=received & Q(channel=Channel.ONLINE, online_type=OnlineType.PARTIAL)
        ),
        "with_fee": Count("pk", filter=received & Q(fee_vnd__gt=0)),
        "paid_online": Count("pk", filter=received & Q(fee_vnd__gt=0, paid_online=True)),
        "resolved": Count("pk", filter=resolved),
        "resolved_early": Count("pk", filter=resolved & Q(timeliness=Timeliness.EARLY)),
        "resolved_on_time": Count("pk", filter=resolved & Q(timeliness=Timeliness.ON_TIME)),
        "resolved_late": Count("pk", filter=resolved & Q(timeliness=Timeliness.LATE)),
        "ratings": Count("rating", filter=resolved),
        "not_satisfied": Count("rating", filter=resolved & Q(rating__score__lte=2)),
        "withdrawn": Count("pk", filter=finished_in & Q(state=S.WITHDRAWN)),
        "refused": Count("pk", filter=finished_in & Q(state=S.REFUSED)),
        "stopped": Count("pk", filter=finished_in & Q(state=S.STOPPED)),
    }


def _filtered(qs: QuerySet, agency=None, field=None, procedure=None) -> QuerySet:
    if agency is not None:
        qs = qs.filter(agency__in=_agency_ids(agency))
    if field is not None:
        qs = qs.filter(field=field)
    if procedure is not None:
        qs = qs.filter(procedure=procedure)
    return qs


def _live_scope(start: datetime, end: datetime) -> Q:
    """Dossiers with an event counted between the moments (each test uses an index)."""
    return (
        Q(received_at__gte=start, received_at__lt=end)
        | Q(result_at__gte=start, result_at__lt=end)
        | Q(finished_at__gte=start, finished_at__lt=end)
    )


def _agency_ids(agency) -> Any:
    from tinhso.directory.models import Agency

    if isinstance(agency, list | tuple | set):
        return list(agency)
    return Agency.objects.filter(path__startswith=agency.path).values("pk")


def _derive(row: dict[str, Any]) -> dict[str, Any]:
    def share(part: int, whole: int) -> float | None:
        return round(100.0 * part / whole, 1) if whole else None

    row["online_share"] = share(row["received_online"], row["received"])
    row["online_full_share"] = share(row["online_full"], row["received"])
    row["online_partial_share"] = share(row["online_partial"], row["received"])
    row["on_time_rate"] = share(row["resolved_early"] + row["resolved_on_time"], row["resolved"])
    row["online_payment_share"] = share(row["paid_online"], row["with_fee"])
    row["satisfaction_rate"] = share(row["ratings"] - row["not_satisfied"], row["ratings"])
    return row


WATERMARK = "daily"


def rollup_through() -> date | None:
    from tinhso.onestop.models import StatWatermark

    return StatWatermark.objects.filter(key=WATERMARK).values_list("through", flat=True).first()


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=VN)


def refresh_rollup(*, start: date, end: date) -> int:
    """Recompute the DailyStat rows of local days [start, end] from the dossiers and move
    the watermark to `end` when the rollup is complete up to it. Idempotent."""
    from django.db import transaction
    from django.db.models.functions import TruncDate

    from tinhso.onestop.models import DailyStat, StatWatermark

    begin, finish = _day_start(start), _day_start(end + timedelta(days=1))
    keys = ("procedure_id", "agency_id", "receiving_agency_id", "field_id")
    rows: dict[tuple, dict[str, int]] = {}
    parts = [
        ("received_at", [m for m in SUMMED if m in RECEIVED_SIDE]),
        ("result_at", [m for m in SUMMED if m in RESULT_SIDE]),
        ("finished_at", ["withdrawn", "refused", "stopped"]),
    ]
    aggregates = _aggregates(begin, finish)
    for column, metrics in parts:
        qs = (
            Dossier.objects.filter(**{f"{column}__gte": begin, f"{column}__lt": finish})
            .annotate(day=TruncDate(column, tzinfo=VN))
            .values("day", *keys)
            .annotate(**{m: aggregates[m] for m in metrics})
            .order_by()
        )
        for raw in qs:
            key = (raw["day"], *(raw[k] for k in keys))
            target = rows.setdefault(key, dict.fromkeys(SUMMED, 0))
            for m in metrics:
                target[m] += raw[m] or 0
    with transaction.atomic():
        DailyStat.objects.filter(day__gte=start, day__lte=end).delete()
        DailyStat.objects.bulk_create(
            [
                DailyStat(
                    day=key[0],
                    procedure_id=key[1],
                    agency_id=key[2],
                    receiving_agency_id=key[3],
                    field_id=key[4],
                    **values,
                )
                for key, values in rows.items()
                if any(values.values())
            ],
            batch_size=2000,
        )
        current = rollup_through()
        earlier = Dossier.objects.filter(
            Q(received_at__lt=begin) | Q(finished_at__lt=begin)
        ).exists()
        if (current is None and not earlier) or (
            current is not None and current >= start - timedelta(days=1)
        ):
            new = max(end, current) if current else end
            StatWatermark.objects.update_or_create(
                key=WATERMARK, defaults={"through": new, "refreshed_at": clock_now()}
            )
    return len(rows)


RECEIVED_SIDE = {
    "received",
    "received_online",
    "received_counter",
    "received_post",
    "online_full",
    "online_partial",
    "with_fee",
    "paid_online",
}
RESULT_SIDE = {
    "resolved",
    "resolved_early",
    "resolved_on_time",
    "resolved_late",
    "ratings",
    "not_satisfied",
}


@replica_reads
def summary(
    *,
    period: Period,
    group_by: str | None = None,
    agency=None,
    field=None,
    procedure=None,
    now: datetime | None = None,
    use_rollup: bool = True,
) -> list[dict[str, Any]]:
    """Rows of figures (METRICS + shares) per group (agency / field / procedure /
    receiving_agency), or one row for everything when `group_by` is None.
    `agency` limits to that agency and the agencies below it.

    Days up to the rollup watermark are read from DailyStat (one small aggregate), later
    days from the dossiers themselves; "in progress" is always live."""
    from tinhso.onestop.models import DailyStat

    if group_by is not None and group_by not in GROUPS:
        from tinhso.core.errors import ValidationFailed

        raise ValidationFailed("Cách nhóm số liệu không hợp lệ.", code="invalid_group")
    key = GROUPS[group_by][0] if group_by else None
    as_of = min(now or clock_now(), period.end_at)
    totals: dict[Any, dict[str, int]] = {}

    def add(group: Any, values: dict[str, Any]) -> None:
        target = totals.setdefault(group, dict.fromkeys(METRICS, 0))
        for metric, value in values.items():
            if metric in target:
                target[metric] += int(value or 0)

    through = rollup_through() if use_rollup else None
    if use_rollup:
        _refresh_if_stale(through)
    live_from = period.start
    if through is not None and through >= period.start:
        roll_end = min(through, period.end)
        rolled = _filtered(
            DailyStat.objects.filter(day__gte=period.start, day__lte=roll_end),
            agency=agency,
            field=field,
            procedure=procedure,
        )
        sums = {m: Sum(m) for m in SUMMED}
        if key:
            for raw in rolled.values(key).annotate(**sums).order_by():
                add(raw[key], raw)
        else:
            add(None, rolled.aggregate(**sums))
        live_from = roll_end + timedelta(days=1)
    if live_from <= period.end:
        start, end = _day_start(live_from), period.end_at
        live = _filtered(
            Dossier.objects.filter(_live_scope(start, end)),
            agency=agency,
            field=field,
            procedure=procedure,
        )
        aggregates = _aggregates(start, end)
        if key:
            for raw in live.values(key).annotate(**aggregates).order_by():
                add(raw[key], raw)
        else:
            add(None, live.aggregate(**aggregates))
    # in progress at the end of the period (or now): accepted before then, without a
    # result, stop or withdrawal by then — open states, or resolved/finished after it
    end = period.end_at
    waiting = (S.ACCEPTED, S.PROCESSING, S.PAUSED, S.SUPPLEMENT, S.FINANCIAL)
    progress = _filtered(
        Dossier.objects.filter(
            Q(state__in=waiting) | Q(result_at__gte=end) | Q(finished_at__gte=end),
            received_at__lt=end,
        )
        .exclude(result_at__lt=end)
        .exclude(finished_at__lt=end),
        agency=agency,
        field=field,
        procedure=procedure,
    )
    progress_aggregates = {
        "in_progress": Count("pk"),
        "in_progress_on_time": Count("pk", filter=Q(due_at__gte=as_of)),
        "in_progress_overdue": Count("pk", filter=Q(due_at__lt=as_of)),
    }
    if key:
        for raw in progress.values(key).annotate(**progress_aggregates).order_by():
            add(raw[key], raw)
    else:
        add(None, progress.aggregate(**progress_aggregates))
    if not key or group_by is None:
        total: dict[str, Any] = dict(totals.get(None) or dict.fromkeys(METRICS, 0))
        total.update(key=None, name="Tổng cộng", code="")
        return [_derive(total)]
    names = _names(group_by, [k for k in totals if k is not None])
    result = []
    for group, values in totals.items():
        name, code = names.get(group, ("", ""))
        row: dict[str, Any] = {**values, "key": group, "name": name, "code": code}
        result.append(_derive(row))
    result.sort(key=lambda r: (-r["received"], vi_sort_key(r["name"])))
    return result


def _refresh_if_stale(through: date | None) -> None:
    """Self-maintaining rollup: when it is behind yesterday, ask the worker (once an hour
    per process) to run `tasks.refresh_statistics_task`; until then the live tail covers
    the gap, so figures are always complete, only slower."""
    from tinhso.core.tasks import enqueue_once
    from tinhso.onestop.tasks import refresh_statistics_task

    yesterday = clock_now().astimezone(VN).date() - timedelta(days=1)
    if through is not None and through >= yesterday:
        return
    enqueue_once("onestop:stats-refresh", refresh_statistics_task, every=3600)


def _names(group_by: str, ids: list) -> dict[Any, tuple[str, str]]:
    from tinhso.directory.models import Agency
    from tinhso.onestop.models import Field, Procedure

    model: Any = {"field": Field, "procedure": Procedure}.get(group_by, Agency)
    return {
        pk: (name, code)
        for pk, name, code in model.objects.filter(pk__in=ids).values_list("pk", "name", "code")
    }


REGISTER_COLUMNS = [
    ("index", "STT"),
    ("code", "Mã hồ sơ"),
    ("procedure", "Tên thủ tục hành chính"),
    ("applicant", "Tên người nộp hồ sơ"),
    ("address", "Địa chỉ, số điện thoại"),
    ("agency", "Cơ quan chủ trì giải quyết"),
    ("received_at", "Ngày, giờ nhận hồ sơ"),
    ("due_at", "Ngày, giờ hẹn trả kết quả"),
    ("transferred_at", "Ngày, giờ chuyển hồ sơ"),
    ("result_at", "Ngày, giờ có kết quả/yêu cầu bổ sung"),
    ("returned_at", "Ngày, giờ trả kết quả"),
    ("status", "Tình trạng"),
    ("note", "Ghi chú"),
]


def _register_qs(*, period: Period, receiving_agency=None):
    qs = Dossier.objects.filter(
        received_at__gte=period.start_at, received_at__lt=period.end_at
    ).order_by("received_at", "pk")
    if receiving_agency is not None:
        qs = qs.filter(receiving_agency=receiving_agency)
    return qs


@replica_reads
def register_count(*, period: Period, receiving_agency=None) -> int:
    """How many lines form 06 has for the period (for its pages)."""
    return _register_qs(period=period, receiving_agency=receiving_agency).count()


@replica_reads
def register_rows(
    *, period: Period, receiving_agency=None, limit: int | None = None, offset: int = 0
) -> list[dict[str, Any]]:
    """Form 06 (sổ theo dõi hồ sơ): one row per dossier received in the period
    (`offset`/`limit`: one page of it; lines keep their number in the whole register)."""
    from tinhso.onestop.models import PORTAL_STATUS, PORTAL_STATUS_LABELS, DossierEvent

    qs = _register_qs(period=period, receiving_agency=receiving_agency)
    values = qs.values(
        "pk",
        "code",
        "procedure__name",
        "applicant_name",
        "applicant_address",
        "applicant_phone",
        "agency__name",
        "received_at",
        "due_at",
        "result_at",
        "returned_at",
        "state",
        "timeliness",
        "extended_once",
    )
    if limit:
        values = values[offset : offset + limit]
    elif offset:
        values = values[offset:]
    rows = list(values)
    first_forward: dict[int, datetime] = {}
    for start in range(0, len(rows), 2000):
        chunk = [r["pk"] for r in rows[start : start + 2000]]
        events = (
            DossierEvent.objects.filter(dossier_id__in=chunk, action="forward")
            .order_by("dossier_id", "at")
            .values_list("dossier_id", "at")
        )
        for dossier_id, at in events:
            first_forward.setdefault(dossier_id, at)
    result = []
    for index, r in enumerate(rows, start=offset + 1):
        notes = []
        if r["timeliness"]:
            notes.append(str(Timeliness(r["timeliness"]).label))
        if r["extended_once"]:
            notes.append("Đã gia hạn (Mẫu 04)")
        status = PORTAL_STATUS[r["state"]]
        result.append(
            {
                "index": index,
                "code": r["code"],
                "procedure": r["procedure__name"],
                "applicant": r["applicant_name"],
                "address": ", ".join(
                    x for x in (r["applicant_address"], r["applicant_phone"]) if x
                ),
                "agency": r["agency__name"],
                "received_at": r["received_at"],
                "due_at": r["due_at"],
                "transferred_at": first_forward.get(r["pk"]),
                "result_at": r["result_at"],
                "returned_at": r["returned_at"],
                "status": str(PORTAL_STATUS_LABELS[status]),
                "note": "; ".join(notes),
            }
        )
    return result
