"""Reads of the security monitoring centre: what a user may see, the dashboards, statistics
per agency / system / category / period, and the report to the national centre."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from tinhso.accounts.rules import is_platform_admin, visible_agency_filter
from tinhso.core.text import vi_sort_key
from tinhso.directory.models import Agency
from tinhso.security.models import (
    SEVERITY_RANK,
    Alert,
    Event,
    Incident,
    InformationSystem,
    LevelCriterion,
    RejectedInput,
    Rule,
    Severity,
    Source,
)
from tinhso.security.rules import VIEWER_ROLES


def _scope(user, qs: QuerySet, agency_field: str = "agency") -> QuerySet:
    if is_platform_admin(user):
        return qs
    agencies = Agency.objects.filter(visible_agency_filter(user, roles=VIEWER_ROLES))
    return qs.filter(**{f"{agency_field}__in": agencies})


def events_for(user) -> QuerySet[Event]:
    return _scope(user, Event.objects.select_related("agency", "system", "source"))


def alerts_for(user) -> QuerySet[Alert]:
    return _scope(user, Alert.objects.select_related("agency", "system", "rule", "incident"))


def incidents_for(user) -> QuerySet[Incident]:
    return _scope(user, Incident.objects.select_related("agency", "system", "assignee"))


def systems_for(user) -> QuerySet[InformationSystem]:
    return _scope(
        user, InformationSystem.objects.select_related("owner", "security_contact"), "owner"
    )


@dataclass
class AlertFilter:
    status: str = ""
    severity: str = ""
    agency: str = ""
    q: str = ""


def filter_alerts(qs: QuerySet[Alert], f: AlertFilter) -> QuerySet[Alert]:
    if f.status == "open":
        qs = qs.filter(status__in=[Alert.Status.NEW, Alert.Status.ACKNOWLEDGED])
    elif f.status in Alert.Status.values:
        qs = qs.filter(status=f.status)
    if f.severity in Severity.values:
        qs = qs.filter(severity=f.severity)
    if f.agency:
        qs = qs.filter(agency__code=f.agency)
    if f.q:
        qs = qs.filter(title__icontains=f.q[:100])
    return qs


def sort_systems(rows: list[InformationSystem]) -> list[InformationSystem]:
    return sorted(rows, key=lambda s: (vi_sort_key(s.owner.name), vi_sort_key(s.name)))


def dashboard(user, *, days: int = 7) -> dict[str, Any]:
    now = timezone.now()
    since = now - dt.timedelta(days=days)
    events = events_for(user).filter(received_at__gte=since)
    alerts = alerts_for(user)
    incidents = incidents_for(user)
    open_incidents = incidents.exclude(
        status__in=[Incident.Status.RESOLVED, Incident.Status.CLOSED]
    )
    by_severity = {
        row["severity"]: row["n"]
        for row in events.values("severity").annotate(n=Count("id")).order_by()
    }
    alert_severity = {
        row["severity"]: row["n"]
        for row in alerts.filter(status__in=[Alert.Status.NEW, Alert.Status.ACKNOWLEDGED])
        .values("severity")
        .annotate(n=Count("id"))
        .order_by()
    }
    top_agencies = list(
        alerts.filter(first_seen__gte=since, agency__isnull=False)
        .values("agency__name", "agency__code")
        .annotate(n=Count("id"))
        .order_by("-n", "agency__code")[:10]
    )
    top_rules = list(
        alerts.filter(first_seen__gte=since)
        .values("rule__name")
        .annotate(n=Count("id"))
        .order_by("-n", "rule__name")[:10]
    )
    per_day = list(
        events.annotate(day=TruncDate("received_at"))
        .values("day")
        .annotate(n=Count("id"))
        .order_by("day")
    )
    systems = systems_for(user)
    level_counts = {
        row["approved_level"]: row["n"]
        for row in systems.values("approved_level").annotate(n=Count("id")).order_by()
    }
    sources = list(Source.objects.order_by("name")) if is_platform_admin(user) else []
    severities = [(s.value, s.label) for s in Severity]
    return {
        "days": days,
        "events_total": events.count(),
        "events_by_severity": [(v, label, by_severity.get(v, 0)) for v, label in severities],
        "open_alerts_by_severity": [
            (v, label, alert_severity.get(v, 0)) for v, label in severities
        ],
        "open_alerts": sum(alert_severity.values()),
        "open_incidents": open_incidents.count(),
        "overdue_incidents": open_incidents.filter(deadline__lt=now).count(),
        "to_report": incidents.filter(must_report=True, reported_at__isnull=True).count(),
        "top_agencies": top_agencies,
        "top_rules": top_rules,
        "per_day": per_day,
        "per_day_max": max([row["n"] for row in per_day] or [1]),
        "systems_total": systems.count(),
        "systems_by_level": [(lvl, level_counts.get(lvl, 0)) for lvl in (1, 2, 3, 4, 5)],
        "systems_unapproved": systems.exclude(status=InformationSystem.Status.APPROVED).count(),
        "systems_review_due": systems.filter(
            next_review_on__lte=timezone.localdate() + dt.timedelta(days=30)
        ).count(),
        "systems_full_layers": systems.filter(
            layer_onsite=True, layer_monitoring=True, layer_assessment=True, layer_national=True
        ).count(),
        "sources": sources,
        "rejected_recent": RejectedInput.objects.filter(received_at__gte=since).count()
        if is_platform_admin(user)
        else 0,
        "agencies_monitored": events_for(user)
        .filter(received_at__gte=since, agency__isnull=False)
        .values("agency")
        .distinct()
        .count(),
    }


def statistics(user, *, start: dt.date, end: dt.date, by: str = "agency") -> list[dict[str, Any]]:
    """Alerts and incidents per agency | system | category | severity in [start, end]."""
    tz = timezone.get_current_timezone()
    lo = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    field = {
        "agency": "agency__name",
        "system": "system__name",
        "category": "category",
        "severity": "severity",
    }.get(by, "agency__name")
    rows: dict[str, dict[str, Any]] = {}
    events = events_for(user).filter(received_at__gte=lo, received_at__lt=hi)
    for row in events.values(field).annotate(n=Count("id")).order_by():
        rows.setdefault(row[field] or "", {"key": row[field] or ""})["events"] = row["n"]
    alerts = alerts_for(user).filter(first_seen__gte=lo, first_seen__lt=hi)
    for row in alerts.values(field).annotate(n=Count("id")).order_by():
        rows.setdefault(row[field] or "", {"key": row[field] or ""})["alerts"] = row["n"]
    incidents = incidents_for(user).filter(created_at__gte=lo, created_at__lt=hi)
    for row in (
        incidents.values(field)
        .annotate(
            n=Count("id"),
            closed=Count("id", filter=Q(status=Incident.Status.CLOSED)),
        )
        .order_by()
    ):
        entry = rows.setdefault(row[field] or "", {"key": row[field] or ""})
        entry["incidents"] = row["n"]
        entry["closed"] = row["closed"]
    result = []
    labels = dict(Severity.choices)
    for entry in rows.values():
        entry.setdefault("events", 0)
        entry.setdefault("alerts", 0)
        entry.setdefault("incidents", 0)
        entry.setdefault("closed", 0)
        if by == "severity":
            entry["label"] = str(labels.get(entry["key"], entry["key"]))
        else:
            entry["label"] = entry["key"] or "—"
        result.append(entry)
    if by == "severity":
        result.sort(key=lambda e: -SEVERITY_RANK.get(e["key"], 0))
    else:
        result.sort(key=lambda e: (not e["key"], vi_sort_key(e["label"])))
    return result


def overdue_incidents(user) -> QuerySet[Incident]:
    return incidents_for(user).filter(
        status__in=[Incident.Status.NEW, Incident.Status.INVESTIGATING, Incident.Status.CONTAINED],
        deadline__lt=timezone.now(),
    )


def to_report(user) -> QuerySet[Incident]:
    """Incidents that must be reported to the national centre and have not been yet."""
    return incidents_for(user).filter(must_report=True, reported_at__isnull=True)


def national_report_data(start: dt.date, end: dt.date) -> dict[str, Any]:
    """The period's figures and its reportable incidents, as plain data for an adapter."""
    from django.conf import settings

    tz = timezone.get_current_timezone()
    lo = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    events = Event.objects.filter(received_at__gte=lo, received_at__lt=hi)
    alerts = Alert.objects.filter(first_seen__gte=lo, first_seen__lt=hi)
    incidents = (
        Incident.objects.filter(must_report=True)
        .filter(Q(created_at__gte=lo, created_at__lt=hi) | Q(reported_at__isnull=True))
        .filter(created_at__lt=hi)
        .select_related("agency", "system")
        .annotate(n_alerts=Count("alerts"))
        .order_by("created_at")
    )
    systems = InformationSystem.objects.exclude(status=InformationSystem.Status.RETIRED)
    agencies = events.filter(agency__isnull=False).values("agency").distinct().count()
    rows = []
    for incident in incidents:
        rows.append(
            {
                "_pk": incident.pk,
                "code": incident.code,
                "title": incident.title,
                "severity": incident.severity,
                "category": incident.category,
                "status": incident.status,
                "agency_code": incident.agency.code if incident.agency else "",
                "agency": incident.agency.name if incident.agency else "",
                "system_code": incident.system.code if incident.system else "",
                "system_level": (incident.system.approved_level or incident.system.proposed_level)
                if incident.system
                else None,
                "opened_at": incident.created_at.isoformat(),
                "deadline": incident.deadline.isoformat(),
                "resolved_at": incident.resolved_at.isoformat() if incident.resolved_at else "",
                "overdue": incident.is_overdue,
                "alerts": incident.n_alerts,
            }
        )
    return {
        "reporter": {
            "name": getattr(settings, "TINHSO_PROVINCE_NAME", ""),
            "system": "tinhso",
        },
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "generated_at": timezone.now().isoformat(),
        "summary": {
            "events": events.count(),
            "alerts": alerts.count(),
            "alerts_by_severity": {
                row["severity"]: row["n"]
                for row in alerts.values("severity").annotate(n=Count("id")).order_by()
            },
            "agencies_with_events": agencies,
            "incidents_reported": len(rows),
            "systems": systems.count(),
            "systems_by_approved_level": {
                str(row["approved_level"] or "chua_phe_duyet"): row["n"]
                for row in systems.values("approved_level").annotate(n=Count("id")).order_by()
            },
            "sensors": [
                {"name": s.name, "kind": s.kind, "last_event_at": s.last_event_at}
                for s in Source.objects.order_by("name")
            ],
        },
        "incidents": rows,
    }


def criteria() -> list[LevelCriterion]:
    return list(LevelCriterion.objects.order_by("order", "code"))


def rules() -> QuerySet[Rule]:
    return Rule.objects.annotate(alerts_n=Count("alert"), last_alert=Max("alert__first_seen"))


def analysts_for(agency) -> list[Any]:
    """People who may be assigned an incident of `agency` (platform admins, its admins)."""
    from tinhso.accounts.models import Role, RoleGrant, User

    ids = set(RoleGrant.objects.filter(role=Role.PLATFORM_ADMIN).values_list("user_id", flat=True))
    if agency is not None:
        paths = [p for p in agency.path.strip("/").split("/") if p]
        ids |= set(
            RoleGrant.objects.filter(role=Role.AGENCY_ADMIN, agency_id__in=paths).values_list(
                "user_id", flat=True
            )
        )
    users = list(User.objects.filter(pk__in=ids, is_active=True))
    return sorted(users, key=lambda u: vi_sort_key(u.full_name or u.username))
