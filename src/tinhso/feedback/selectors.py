"""Read queries of the feedback app, used by pages, the API, Open311 and the IOC."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Avg, Count, F, Q, QuerySet
from django.utils import timezone

from tinhso.accounts.rules import can, visible_agency_filter
from tinhso.core.errors import NotFound
from tinhso.core.replica import replica_reads
from tinhso.directory.models import Agency
from tinhso.feedback import geo
from tinhso.feedback.models import (
    OPEN_STATES,
    Category,
    Photo,
    Report,
    ReportState,
    Update,
)
from tinhso.feedback.rules import HANDLER_ROLES, is_centre
from tinhso.workdays.services import VN

S = ReportState
CLOSED_STATES = (S.ANSWERED, S.REJECTED, S.DUPLICATE)


def categories() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True).select_related("tier").order_by("order", "code")


def _base() -> QuerySet[Report]:
    return Report.objects.select_related("category", "admin_unit", "agency")


def public_reports() -> QuerySet[Report]:
    """What everyone may see: not hidden, not rejected."""
    return _base().filter(hidden=False).exclude(state=S.REJECTED)


def get_public(code: str) -> Report:
    report = public_reports().filter(code=str(code)[:20]).first()
    if report is None:
        raise NotFound()
    return report


def can_view(user: Any, report: Report) -> bool:
    if not report.hidden and report.state != S.REJECTED:
        return True
    return (
        is_centre(user)
        or can(user, "feedback.reporter", report)
        or can(user, "feedback.handle", report)
    )


def get_for(user: Any, code: str) -> Report:
    code = str(code)[:20]
    if not code.isascii() or not code.isalnum():  # codes are letters and digits (no NUL)
        raise NotFound()
    report = _base().filter(code=code).first()
    if report is None or not can_view(user, report):
        raise NotFound()
    return report


_NEARBY_COLUMNS = (
    "id, code, uid, description, lat, lng, state, created_at, follower_count, category_id"
)


def nearby(
    *,
    category: Category,
    lat: float,
    lng: float,
    radius_m: float | None = None,
    limit: int = 10,
    exclude_pk: int | None = None,
) -> list[tuple[Report, float]]:
    """Open, public reports of the same category within the category's duplicate radius,
    nearest first: one range scan of (category, state, lat) then exact distances."""
    radius = float(category.duplicate_radius_m if radius_m is None else radius_m)
    if radius <= 0:
        return []
    lat0, lat1, lng0, lng1 = geo.box(lat, lng, radius)
    # Plain SQL: every report's intake asks this first, and composing the ORM query cost
    # more than running it (one range scan of the (category, state, lat) index).
    states = ", ".join(["%s"] * len(OPEN_STATES))
    rows = Report.objects.raw(
        f"SELECT {_NEARBY_COLUMNS} FROM feedback_report "  # noqa: S608 - no value in the text
        f"WHERE category_id = %s AND state IN ({states}) AND hidden = %s "
        "AND lat BETWEEN %s AND %s AND lng BETWEEN %s AND %s LIMIT 500",
        [category.pk, *OPEN_STATES, False, lat0, lat1, lng0, lng1],
    )
    found = []
    for r in rows:
        if r.pk == exclude_pk:
            continue
        d = geo.distance_m(lat, lng, r.lat, r.lng)
        if d <= radius:
            found.append((r, d))
    found.sort(key=lambda item: item[1])
    return found[:limit]


def agency_handlers(agency: Agency | None):
    from tinhso.accounts.models import RoleGrant, User

    if agency is None:
        return User.objects.none()
    ids = RoleGrant.objects.filter(agency=agency, role__in=HANDLER_ROLES).values("user_id")
    return User.objects.filter(pk__in=ids, is_active=True).order_by("full_name", "username")


def work_queue(user: Any, name: str = "") -> QuerySet[Report]:
    """Reports for an official: the centre sees everything; an agency its own."""
    qs = _base()
    if is_centre(user):
        if name == "triage":
            qs = qs.filter(state=S.NEW)
        elif name == "overdue":
            qs = qs.filter(escalated_at__isnull=False, state__in=[S.ROUTED, S.IN_PROGRESS])
    else:
        agencies = Agency.objects.filter(visible_agency_filter(user, HANDLER_ROLES))
        qs = qs.filter(agency__in=agencies)
        if name != "all":
            qs = qs.filter(state__in=[S.ROUTED, S.IN_PROGRESS, S.INFO_REQUESTED])
    if name == "open":
        qs = qs.filter(state__in=OPEN_STATES)
    return qs.order_by("deadline", "created_at")


def my_reports(user: Any) -> QuerySet[Report]:
    return _base().filter(reporter_id=user.pk).order_by("-created_at")


def followed(user: Any) -> QuerySet[Report]:
    return _base().filter(followers__user_id=user.pk).exclude(reporter_id=user.pk)


def timeline(report: Report, user: Any) -> QuerySet[Update]:
    qs = report.updates.select_related("agency").order_by("created_at", "id")
    if not (is_centre(user) or can(user, "feedback.handle", report)):
        qs = qs.filter(public=True)
    return qs


def photos(report: Report) -> QuerySet[Photo]:
    return report.photos.all()


def identity(user: Any, report: Report) -> dict[str, str] | None:
    """Who reported: for the coordinating centre only (never the handling agency)."""
    if not can(user, "feedback.see_identity", report):
        return None
    reporter = report.reporter
    return {
        "name": report.reporter_name or (getattr(reporter, "full_name", "") if reporter else ""),
        "phone": report.reporter_phone,
        "email": report.reporter_email,
        "username": getattr(reporter, "username", "") if reporter else "",
        "device_id": report.device_id,
    }


def public_name(report: Report) -> str:
    """How the reporter is shown publicly: never named."""
    from django.utils.translation import gettext as _

    return _("Người dân")


# ---------------------------------------------------------------------------------------
# Figures: the statistics page and its XLSX (the IOC wall: `wallscreen`)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=VN)


@replica_reads
def figures(*, start: date, end: date, now: datetime | None = None) -> dict[str, Any]:
    """Per agency and per category: received, open, overdue, answered on time, ratings."""
    now = now or timezone.now()
    scope = Report.objects.filter(
        created_at__gte=_day_start(start), created_at__lt=_day_start(end + timedelta(days=1))
    )
    metrics = dict(
        received=Count("id"),
        open=Count("id", filter=Q(state__in=OPEN_STATES)),
        overdue=Count("id", filter=Q(state__in=OPEN_STATES, deadline__lt=now)),
        answered=Count("id", filter=Q(answered_at__isnull=False)),
        on_time=Count(
            "id",
            filter=Q(answered_at__isnull=False, deadline__isnull=False)
            & Q(answered_at__lte=F("deadline")),
        ),
        rated=Count("rating"),
        satisfied=Count("id", filter=Q(rating__gte=4)),
        rating_avg=Avg("rating"),
    )

    def rows(key: str, name: str) -> list[dict[str, Any]]:
        out = []
        for row in scope.values(key, name).annotate(**metrics).order_by("-received"):
            out.append(with_rates({"name": row[name] or "—", **row}))
        return out

    total = with_rates({"name": "", **scope.aggregate(**metrics)})
    return {
        "total": total,
        "by_agency": rows("agency_id", "agency__name"),
        "by_category": rows("category_id", "category__name"),
    }


def with_rates(row: dict[str, Any]) -> dict[str, Any]:
    """`row` with its on-time and satisfied percentages (of the answered, of the rated)."""
    answered = row.get("answered") or 0
    rated = row.get("rated") or 0
    row["on_time_pct"] = round(100 * (row.get("on_time") or 0) / answered, 1) if answered else None
    row["satisfied_pct"] = round(100 * (row.get("satisfied") or 0) / rated, 1) if rated else None
    if row.get("rating_avg") is not None:
        row["rating_avg"] = round(float(row["rating_avg"]), 2)
    return row
