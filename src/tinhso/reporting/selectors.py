"""Read queries of the reporting app: definitions, who reports, submissions with last
period's values, the submission board of a period, and the roll-up up the agency tree."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from tinhso.core.errors import NotFound
from tinhso.core.replica import replica_reads
from tinhso.core.text import vi_sort_key
from tinhso.directory import selectors as directory
from tinhso.reporting import periods
from tinhso.reporting.errors import ReportingError as E
from tinhso.reporting.models import (
    Aggregation,
    Indicator,
    ReportDefinition,
    ReporterLevel,
    Submission,
    SubmissionState,
    SubmissionValue,
)


def definitions(*, active_only: bool = True) -> QuerySet[ReportDefinition]:
    qs = ReportDefinition.objects.select_related("receiver")
    return qs.filter(is_active=True) if active_only else qs


def get_definition(*, code: str | None = None, uid: Any = None) -> ReportDefinition:
    qs = ReportDefinition.objects.select_related("receiver")
    item = None
    try:
        if code is not None:
            item = qs.filter(code=str(code).upper()[:40]).first()
        elif uid is not None:
            item = qs.filter(uid=uid).first()
    except (ValueError, TypeError):
        item = None
    if item is None:
        raise NotFound("Không tìm thấy chế độ báo cáo.", code=E.DEFINITION_NOT_FOUND)
    return item


def get_submission(uid: Any) -> Submission:
    try:
        item = (
            Submission.objects.select_related("definition", "agency", "template", "signed_by")
            .filter(uid=uid)
            .first()
        )
    except (ValueError, TypeError):
        item = None
    if item is None:
        raise NotFound("Không tìm thấy báo cáo.")
    return item


# ---------------------------------------------------------------------------------------
# Agency levels


@dataclass
class AgencyNode:
    id: int
    code: str
    name: str
    kind: str
    parent_id: int | None
    path: str
    admin_level: str | None
    level: str = ""  # province / district / commune: the level the agency works at
    is_department: bool = False

    @property
    def ancestor_ids(self) -> list[int]:
        return [int(p) for p in self.path.strip("/").split("/") if p]


def agency_nodes(root=None) -> dict[int, AgencyNode]:
    """Every active agency (of `root`'s subtree) with its level: a People's Committee or
    Council takes its administrative unit's level; any other agency the level of the
    nearest committee above it (a department of the province works at province level)."""
    qs = directory.subtree(root) if root is not None else _all_agencies()
    rows = qs.values_list("pk", "code", "name", "kind", "parent_id", "path", "admin_unit__level")
    nodes = {
        pk: AgencyNode(pk, code, name, kind, parent, path, level)
        for pk, code, name, kind, parent, path, level in rows
    }
    committee = {"peoples_committee", "peoples_council"}
    for node in nodes.values():
        for ancestor_id in reversed(node.ancestor_ids):
            ancestor = nodes.get(ancestor_id)
            if ancestor is not None and ancestor.kind in committee and ancestor.admin_level:
                node.level = ancestor.admin_level
                break
        if not node.level:
            node.level = node.admin_level or "province"
        parent = nodes.get(node.parent_id) if node.parent_id else None
        node.is_department = node.kind == "department" or (
            node.kind in ("service_centre", "other")
            and parent is not None
            and parent.kind == "peoples_committee"
            and parent.admin_level == "province"
        )
    return nodes


def _all_agencies():
    from functools import reduce
    from operator import or_

    root_list = list(directory.roots())
    if not root_list:
        return directory.roots()
    return reduce(or_, (directory.subtree(r) for r in root_list))


def reporting_agencies(definition: ReportDefinition) -> list[Any]:
    """Who reports: agencies below the receiver at the definition's levels, and the
    agencies listed by name; sorted in Vietnamese order."""
    nodes = agency_nodes(definition.receiver)
    wanted: set[int] = set()
    for node in nodes.values():
        if node.id == definition.receiver_id:
            continue
        levels = definition.level_list
        if ReporterLevel.DEPARTMENT in levels and node.is_department and node.level == "province":
            wanted.add(node.id)
        if node.kind == "peoples_committee" and node.admin_level in levels:
            wanted.add(node.id)
    wanted |= set(definition.reporters.values_list("pk", flat=True))
    agencies = list(directory.agencies_by_ids(sorted(wanted)))
    agencies.sort(key=lambda a: vi_sort_key(a.name))
    return agencies


# ---------------------------------------------------------------------------------------
# One submission


@dataclass
class ValueRow:
    indicator: Indicator
    value: Decimal | None
    previous: Decimal | None


def value_rows(submission: Submission) -> list[ValueRow]:
    """Each indicator of the submission's template with its value and last period's."""
    current = {v.indicator_id: v.value for v in submission.values.all()}
    previous = previous_values(submission.definition, submission.agency, submission.period_key)
    return [
        ValueRow(i, current.get(i.pk), previous.get(i.code)) for i in submission.template.rows.all()
    ]


def previous_values(definition: ReportDefinition, agency, period_key: str) -> dict[str, Decimal]:
    """{indicator code: value} of the agency's report of the previous period (matched by
    code: a new template keeps the codes that carried over)."""
    prev = periods.previous_key(definition.frequency, period_key)
    return dict(
        SubmissionValue.objects.filter(
            submission__definition=definition,
            submission__agency=agency,
            submission__period_key=prev,
        ).values_list("indicator__code", "value")
    )


def blank_rows(definition: ReportDefinition, agency, period_key: str) -> list[ValueRow]:
    """The form of a period not yet started by the agency."""
    from tinhso.reporting.services import template_for

    start, _end, _label = periods.cutoff(definition.frequency, period_key)
    template = template_for(definition, start)
    previous = previous_values(definition, agency, period_key)
    return [ValueRow(i, None, previous.get(i.code)) for i in template.rows.all()]


# ---------------------------------------------------------------------------------------
# A period of a definition: who has reported, and the roll-up


@dataclass
class BoardRow:
    agency: Any
    submission: Submission | None

    @property
    def status(self) -> str:
        if self.submission is None:
            return "Chưa báo cáo"
        return str(SubmissionState(self.submission.state).label)


@replica_reads
def board(definition: ReportDefinition, period_key: str) -> list[BoardRow]:
    subs = {
        s.agency_id: s
        for s in Submission.objects.filter(definition=definition, period_key=period_key)
    }
    return [BoardRow(a, subs.get(a.pk)) for a in reporting_agencies(definition)]


@dataclass
class AggregateRow:
    indicator: Indicator
    total: Decimal | None
    count: int
    method: str
    by_agency: list[tuple[Any, Decimal | None]] = field(default_factory=list)


def _combine(indicator: Indicator, values: list[tuple[Decimal, Decimal | None]]) -> Decimal | None:
    """values: [(value, weight)]."""
    if not values:
        return None
    if indicator.aggregation == Aggregation.SUM:
        return sum((v for v, _w in values), Decimal("0"))
    if indicator.aggregation == Aggregation.AVERAGE:
        return (sum((v for v, _w in values), Decimal("0")) / len(values)).quantize(
            Decimal("0.0001")
        )
    if indicator.aggregation == Aggregation.WEIGHTED:
        pairs = [(v, w) for v, w in values if w is not None]
        weight = sum((w for _v, w in pairs), Decimal("0"))
        if not weight:
            return None
        return (sum((v * w for v, w in pairs), Decimal("0")) / weight).quantize(Decimal("0.0001"))
    return None  # not additive


@replica_reads
def aggregate(
    definition: ReportDefinition, period_key: str, *, root=None, include_all: bool = False
) -> list[AggregateRow]:
    """The receiver's (or `root`'s subtree's) report assembled from the submitted reports
    of the agencies below it, indicator by indicator with each indicator's method; the
    template is the one of the period. `include_all` also counts reports not yet
    submitted (a preview)."""
    from tinhso.reporting.services import template_for

    root = root or definition.receiver
    start, _end, _label = periods.cutoff(definition.frequency, period_key)
    template = template_for(definition, start)
    subs = Submission.objects.filter(
        definition=definition, period_key=period_key, agency__path__startswith=root.path
    )
    if not include_all:
        subs = subs.filter(state=SubmissionState.SUBMITTED)
    values: dict[int, dict[str, Decimal]] = {}
    agencies: dict[int, Any] = {}
    for sub in subs.select_related("agency"):
        agencies[sub.agency_id] = sub.agency
    for agency_id, code, value in SubmissionValue.objects.filter(submission__in=subs).values_list(
        "submission__agency_id", "indicator__code", "value"
    ):
        values.setdefault(agency_id, {})[code] = value
    ordered = sorted(agencies.values(), key=lambda a: vi_sort_key(a.name))
    rows = []
    for indicator in template.rows.all():
        pairs: list[tuple[Decimal, Decimal | None]] = []
        by_agency: list[tuple[Any, Decimal | None]] = []
        for agency in ordered:
            got = values.get(agency.pk, {})
            cell: Decimal | None = got.get(indicator.code)
            by_agency.append((agency, cell))
            if cell is not None:
                weight = got.get(indicator.weight_code) if indicator.weight_code else None
                pairs.append((cell, weight))
        rows.append(
            AggregateRow(
                indicator=indicator,
                total=_combine(indicator, pairs),
                count=len(pairs),
                method=str(Aggregation(indicator.aggregation).label),
                by_agency=by_agency,
            )
        )
    return rows


def history(submission: Submission):
    return submission.events.select_related("actor").order_by("at", "pk")
