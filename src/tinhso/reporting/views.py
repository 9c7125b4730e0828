"""Pages of the reporting app: report definitions and their periods, the report form with
its actions, the assembled report, the Decision 766 index with its drill-down, the
digital-transformation KPIs and the chairman's page (thin: services and selectors do
the work)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tinhso.accounts.rules import can
from tinhso.core.errors import DomainError, NotFound
from tinhso.core.files import attachment_response
from tinhso.core.pagination import paginate
from tinhso.directory import selectors as directory
from tinhso.reporting import exports, index766, kpis, periods, selectors, services
from tinhso.reporting.models import Submission

MONTHS = list(range(1, 13))


def _require_view(request: HttpRequest) -> None:
    if not can(request.user, "reporting.view_dashboards"):
        raise PermissionDenied


def _int(value: Any, default: int, low: int, high: int) -> int:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return default
    return number if low <= number <= high else default


def _period_params(request: HttpRequest) -> tuple[int, int, date, date, str]:
    """?year=&month= (month 0: the whole year up to today)."""
    today = timezone.localdate()
    year = _int(request.GET.get("year"), today.year, 2000, 2099)
    month = _int(request.GET.get("month"), 0, 0, 12)
    if month:
        start, end = kpis.month_bounds(year, month)
        label = _("Tháng %(m)s/%(y)s") % {"m": f"{month:02d}", "y": year}
    else:
        start, end = kpis.year_bounds(year)
        label = _("Năm %(y)s") % {"y": year}
    return year, month, start, end, label


def _visible_root(request: HttpRequest):
    """The highest agency the user sees (the province for its leaders and the platform
    administrator)."""
    visible = directory.visible_agencies(request.user).order_by("depth", "path")
    root = visible.first()
    if root is None:
        raise PermissionDenied
    return root


def _agency_param(request: HttpRequest):
    code = (request.GET.get("agency") or "").strip()
    root = _visible_root(request)
    if not code:
        return root
    try:
        agency = directory.get_agency(code[:40])
    except DomainError as exc:
        raise Http404 from exc
    if not directory.visible_agencies(request.user).filter(pk=agency.pk).exists():
        raise PermissionDenied
    return agency


# ---------------------------------------------------------------------------------------
# Home and definitions


@login_required
def home(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    today = timezone.localdate()
    due = []
    for definition in selectors.definitions():
        key = periods.period_containing(definition.frequency, today)
        key = periods.previous_key(definition.frequency, key)  # the period to report now
        period = periods.period(
            definition.frequency, key, deadline_working_days=definition.deadline_working_days
        )
        mine = [
            a
            for a in selectors.reporting_agencies(definition)
            if can(request.user, "reporting.prepare_report", a)
            or can(request.user, "reporting.approve_report", a)
        ]
        due.append({"definition": definition, "period": period, "agencies": mine})
    return render(request, "reporting/home.html", {"due": due})


@login_required
def definitions(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    page = paginate(request, list(selectors.definitions()), 50)
    return render(request, "reporting/definitions.html", {"page": page})


@login_required
def definition(request: HttpRequest, code: str) -> HttpResponse:
    _require_view(request)
    try:
        item = selectors.get_definition(code=code)
    except NotFound as exc:
        raise Http404 from exc
    year = _int(request.GET.get("year"), timezone.localdate().year, 2000, 2099)
    schedule = periods.schedule(
        item.frequency, year, deadline_working_days=item.deadline_working_days
    )
    key = request.GET.get("period") or periods.previous_key(
        item.frequency, periods.period_containing(item.frequency, timezone.localdate())
    )
    try:
        current = periods.period(
            item.frequency, key, deadline_working_days=item.deadline_working_days
        )
    except DomainError:
        current = schedule[0]
    template = item.templates.order_by("-valid_from").first()
    return render(
        request,
        "reporting/definition.html",
        {
            "definition": item,
            "year": year,
            "years": [year - 1, year, year + 1],
            "schedule": schedule,
            "current": current,
            "board": selectors.board(item, current.key),
            "templates": item.templates.prefetch_related("rows"),
            "template": template,
            "can_receive": can(request.user, "reporting.receive_report", item),
            "locked": services.is_locked(item, current.key),
        },
    )


# ---------------------------------------------------------------------------------------
# One agency's report of one period


def _report_context(request, item, key: str, agency) -> dict[str, Any]:
    period = periods.period(item.frequency, key, deadline_working_days=item.deadline_working_days)
    submission = Submission.objects.filter(definition=item, agency=agency, period_key=key).first()
    if submission is not None:
        rows = selectors.value_rows(submission)
        actions = services.allowed_actions(request.user, submission)
        history = list(selectors.history(submission))
    else:
        rows = selectors.blank_rows(item, agency, key)
        can_fill = can(request.user, "reporting.prepare_report", agency) and not services.is_locked(
            item, key
        )
        actions = [services.ACTIONS["save"]] if can_fill else []
        history = []
    return {
        "definition": item,
        "period": period,
        "agency": agency,
        "submission": submission,
        "rows": rows,
        "actions": actions,
        "action_names": [a.name for a in actions],
        "editable": any(a.name == "save" for a in actions),
        "history": history,
        "locked": services.is_locked(item, key),
        "now": timezone.now(),
    }


def _report_objects(request, code: str, key: str, agency_code: str):
    _require_view(request)
    try:
        item = selectors.get_definition(code=code)
        agency = directory.get_agency(agency_code)
        periods.cutoff(item.frequency, key)
    except DomainError as exc:
        raise Http404 from exc
    visible = directory.visible_agencies(request.user).filter(pk=agency.pk).exists()
    if not visible and not can(request.user, "reporting.receive_report", item):
        raise PermissionDenied
    return item, agency


@login_required
def report(request: HttpRequest, code: str, key: str, agency_code: str) -> HttpResponse:
    item, agency = _report_objects(request, code, key, agency_code)
    context = _report_context(request, item, key, agency)
    if request.method == "POST":
        action = request.POST.get("action", "")
        submission = context["submission"]
        version = _int(request.POST.get("version"), 0, 0, 2**31 - 1) or None
        try:
            if action == "save":
                values = {
                    row.indicator.code: request.POST.get(f"v_{row.indicator.code}", "")
                    for row in context["rows"]
                }
                services.save_report(
                    actor=request.user,
                    definition=item,
                    agency=agency,
                    period_key=key,
                    values=values,
                    narrative=request.POST.get("narrative", ""),
                    narrative_file=request.FILES.get("narrative_file"),
                    version=version,
                )
                messages.success(request, _("Đã lưu số liệu báo cáo."))
            elif submission is None:
                raise PermissionDenied
            elif action == "send_for_approval":
                services.send_for_approval(
                    actor=request.user, submission=submission, version=version
                )
                messages.success(request, _("Đã trình lãnh đạo ký duyệt."))
            elif action == "approve":
                services.approve_and_submit(
                    actor=request.user, submission=submission, version=version
                )
                messages.success(request, _("Đã ký số và gửi báo cáo."))
            elif action == "send_back":
                services.send_back(
                    actor=request.user,
                    submission=submission,
                    reason=request.POST.get("reason", ""),
                    version=version,
                )
                messages.success(request, _("Đã trả lại người soạn."))
            elif action == "return":
                services.return_for_correction(
                    actor=request.user,
                    submission=submission,
                    reason=request.POST.get("reason", ""),
                    version=version,
                )
                messages.success(request, _("Đã trả lại báo cáo để chỉnh sửa."))
            else:
                raise PermissionDenied
        except DomainError as exc:
            messages.error(request, exc.message)
            context = _report_context(request, item, key, agency)
            context["posted"] = request.POST
            return render(request, "reporting/report.html", context, status=400)
        return redirect(request.path)
    return render(request, "reporting/report.html", context)


@login_required
def report_file(
    request: HttpRequest, code: str, key: str, agency_code: str, kind: str
) -> HttpResponseBase:
    item, agency = _report_objects(request, code, key, agency_code)
    submission = Submission.objects.filter(definition=item, agency=agency, period_key=key).first()
    if submission is None:
        raise Http404
    name = f"{item.code}-{key}-{agency.code}"
    if kind == "pdf":
        if not submission.signed_pdf:
            raise Http404
        return attachment_response(submission.signed_pdf.open("rb"), filename=f"{name}.pdf")
    if kind == "xlsx":
        return attachment_response(exports.submission_xlsx(submission), filename=f"{name}.xlsx")
    if kind == "json":
        return JsonResponse(exports.national_adapter().submission(submission))
    raise Http404


@login_required
def aggregate(request: HttpRequest, code: str, key: str) -> HttpResponse:
    _require_view(request)
    try:
        item = selectors.get_definition(code=code)
        period = periods.period(
            item.frequency, key, deadline_working_days=item.deadline_working_days
        )
    except DomainError as exc:
        raise Http404 from exc
    rows = selectors.aggregate(item, key)
    fmt = request.GET.get("format", "")
    if fmt == "xlsx":
        return attachment_response(
            exports.aggregate_xlsx(item, key, rows, item.receiver),
            filename=f"{item.code}-{key}-tong-hop.xlsx",
        )
    if fmt == "json":
        return JsonResponse(exports.national_adapter().aggregate(item, key, rows, item.receiver))
    return render(
        request,
        "reporting/aggregate.html",
        {
            "definition": item,
            "period": period,
            "rows": rows,
            "agencies": [a for a, _v in rows[0].by_agency] if rows else [],
            "can_receive": can(request.user, "reporting.receive_report", item),
            "locked": services.is_locked(item, key),
        },
    )


@login_required
@require_POST
def lock(request: HttpRequest, code: str, key: str) -> HttpResponse:
    try:
        item = selectors.get_definition(code=code)
        services.lock_period(actor=request.user, definition=item, period_key=key)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Đã khóa sổ kỳ báo cáo."))
    return redirect(reverse("reporting:aggregate", args=[code, key]))


# ---------------------------------------------------------------------------------------
# The Decision 766 index


def _index_context(request: HttpRequest) -> dict[str, Any]:
    year, month, start, end, label = _period_params(request)
    agency = _agency_param(request)
    index = index766.cached_compute(start=start, end=end, root=agency)
    return {
        "year": year,
        "month": month,
        "months": MONTHS,
        "years": [year - 1, year, year + 1],
        "start": start,
        "end": end,
        "period_label": label,
        "agency": agency,
        "result": index.for_agency(agency.pk),
        "departments": index.agencies(departments=True),
        "communes": index.agencies(level="commune"),
        "on_time_rule": index766.ON_TIME_RULE,
        "computed_in_ms": round(index.computed_in * 1000),
    }


@login_required
def index_page(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    return render(request, "reporting/index766.html", _index_context(request))


@login_required
def index_drilldown(request: HttpRequest, code: str) -> HttpResponse:
    _require_view(request)
    year, month, start, end, label = _period_params(request)
    agency = _agency_param(request)
    try:
        indicator = index766.get_indicator(code)
    except DomainError as exc:
        raise Http404 from exc
    items = index766.cached_drilldown(code=code, agency=agency, start=start, end=end)
    page = paginate(request, items, 50)
    if indicator.source != index766.CATALOGUE:
        from tinhso.onestop import selectors as onestop

        uids = {d.pk: d.uid for d in onestop.dossiers_by_ids([i.id for i in page])}
        for item in page:
            item.uid = uids.get(item.id)
    return render(
        request,
        "reporting/index_drilldown.html",
        {
            "indicator": indicator,
            "agency": agency,
            "page": page,
            "year": year,
            "month": month,
            "period_label": label,
            "is_catalogue": indicator.source == index766.CATALOGUE,
        },
    )


# ---------------------------------------------------------------------------------------
# KPIs and the chairman's page


def _kpi_context(request: HttpRequest) -> dict[str, Any]:
    year, month, start, end, label = _period_params(request)
    agency = _agency_param(request)
    values = kpis.cached("kpis", kpis.compute, end=end, root=agency, start=start, end_day=end)
    rows = [v for v in values.values() if v.node.id != agency.pk and v.node.parent_id == agency.pk]
    rows.sort(key=lambda v: v.node.name)
    return {
        "year": year,
        "month": month,
        "months": MONTHS,
        "years": [year - 1, year, year + 1],
        "start": start,
        "end": end,
        "period_label": label,
        "agency": agency,
        "mine": values[agency.pk],
        "rows": rows,
        "kpi_defs": kpis.KPIS,
        "trend": (trend := kpis.cached("trend", kpis.trend, end=end, root=agency, year=year)),
        "trend_chart": {
            "trend": {
                k: [float(x) if x is not None else None for x in v] for k, v in trend.items()
            },
            "labels": [f"{m:02d}" for m in MONTHS],
        },
    }


@login_required
def kpi_page(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    return render(request, "reporting/kpis.html", _kpi_context(request))


@login_required
def kpi_drilldown(request: HttpRequest, code: str) -> HttpResponse:
    _require_view(request)
    year, month, start, end, label = _period_params(request)
    agency = _agency_param(request)
    try:
        kpi = kpis.get_kpi(code)
    except DomainError as exc:
        raise Http404 from exc
    qs = kpis.drilldown(code=code, agency=agency, start=start, end=end)
    page = paginate(request, qs if qs is not None else [], 50)
    return render(
        request,
        "reporting/kpi_drilldown.html",
        {
            "kpi": kpi,
            "agency": agency,
            "page": page,
            "period_label": label,
            "year": year,
            "month": month,
        },
    )


@login_required
def leadership(request: HttpRequest) -> HttpResponse:
    """The chairman's page: the index, the KPIs, overdue dossiers and documents by agency."""
    from tinhso.documents import selectors as documents
    from tinhso.onestop import selectors as onestop

    _require_view(request)
    context = _index_context(request)
    context.update(_kpi_context(request))
    agency = context["agency"]
    nodes = selectors.agency_nodes(agency)
    dossiers = onestop.overdue_by_agency(agency_ids=list(nodes))
    docs = documents.overdue_incoming_by_agency(agency_ids=list(nodes))
    overdue: dict[int, dict[str, int]] = {}
    for source, counts in (("dossiers", dossiers), ("documents", docs)):
        for agency_id, n in counts.items():
            node = nodes[agency_id]
            # count at the child of the viewed agency that holds it
            ids = node.ancestor_ids
            top = ids[ids.index(agency.pk) + 1] if agency.pk in ids[:-1] else agency.pk
            bucket = overdue.setdefault(top, {"dossiers": 0, "documents": 0})
            bucket[source] += n
    overdue_rows: list[dict[str, Any]] = [
        {"node": nodes[k], "dossiers": v["dossiers"], "documents": v["documents"]}
        for k, v in overdue.items()
        if k in nodes
    ]
    overdue_rows.sort(key=lambda r: -(r["dossiers"] + r["documents"]))
    context["overdue_rows"] = overdue_rows
    context["chart"] = {
        "groups": [
            {
                "name": g.name,
                "points": float(g.points),
                "computable": float(g.computable_max),
                "max": g.max_points,
            }
            for g in context["result"].groups
        ],
        "trend": {
            k: [float(x) if x is not None else None for x in v] for k, v in context["trend"].items()
        },
        "labels": [f"{m:02d}" for m in MONTHS],
        "overdue": {
            "labels": [r["node"].name for r in overdue_rows[:10]],
            "dossiers": [r["dossiers"] for r in overdue_rows[:10]],
            "documents": [r["documents"] for r in overdue_rows[:10]],
        },
    }
    return render(request, "reporting/leadership.html", context)
