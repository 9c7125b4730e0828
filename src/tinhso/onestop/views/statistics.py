"""Statistics and the form-06 register, as pages and XLSX.

Thin: writes go through `tinhso.onestop.services`, reads through `selectors`.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from tinhso.accounts.models import Role
from tinhso.accounts.rules import can, is_platform_admin, visible_agency_filter
from tinhso.core.pagination import paginate
from tinhso.directory.models import Agency
from tinhso.onestop import forms
from tinhso.onestop.views.common import (
    _forbidden,
    _official_required,
    _xlsx_response,
)


def _stats_agencies(user):
    if is_platform_admin(user):
        return (
            Agency.objects.filter(status=Agency.Status.ACTIVE)
            .exclude(kind=Agency.Kind.PEOPLES_COUNCIL)
            .order_by("path")
        )
    return Agency.objects.filter(
        visible_agency_filter(user, [Role.LEADER, Role.AGENCY_ADMIN])
    ).order_by("path")


def _refused(form) -> bool:
    """A period typed by hand that the form refuses (e.g. `end=9999-12-31`): the page
    answers 400 and shows why, with the default period's figures."""
    return form.is_bound and not form.is_valid()


def _stats_params(request: HttpRequest):
    user = request.user
    agencies = _stats_agencies(user)
    start, end = forms.default_period()
    initial = {"start": start, "end": end, "group_by": "agency"}
    form = forms.PeriodForm(request.GET or None, initial=initial, agencies=agencies)
    data: dict[str, Any] = dict(initial)
    if form.is_bound and form.is_valid():
        data.update({k: v for k, v in form.cleaned_data.items() if v})
    agency = None
    if data.get("agency"):
        agency = agencies.filter(code=data["agency"]).first()
    if agency is None and not is_platform_admin(user):
        # Leaders see only their own agencies: default to the first (highest) one.
        agency = agencies.first()
    from tinhso.onestop.statistics import Period

    return form, Period(data["start"], data["end"]), data.get("group_by") or "agency", agency


def _figures(request: HttpRequest) -> HttpResponse | dict[str, Any]:
    """The statistics a page or an export shows, or the refusal to show them."""
    denied = _official_required(request)
    if denied:
        return denied
    if not can(request.user, "onestop.view_statistics", None):
        return _forbidden(request, _("Thống kê dành cho lãnh đạo và quản trị cơ quan."))
    from tinhso.onestop import statistics

    form, period, group_by, agency = _stats_params(request)
    if agency is not None and not can(request.user, "onestop.view_statistics", agency):
        return _forbidden(request, _("Bạn không được xem số liệu của cơ quan này."))
    return {
        "form": form,
        "period": period,
        "agency": agency,
        "group_by": group_by,
        "total": statistics.summary(period=period, agency=agency)[0],
        "rows": statistics.summary(period=period, group_by=group_by, agency=agency),
    }


@require_GET
def statistics_page(request: HttpRequest) -> HttpResponse:
    figures = _figures(request)
    if isinstance(figures, HttpResponse):
        return figures
    from tinhso.onestop import exports, statistics

    context = {
        **figures,
        "rules": statistics.RULES,
        "rules_vi": exports.RULES_VI,
        "query": request.GET.urlencode(),
    }
    status = 400 if _refused(figures["form"]) else 200
    return render(request, "onestop/statistics.html", context, status=status)


@require_GET
def statistics_xlsx(request: HttpRequest) -> HttpResponse:
    figures = _figures(request)
    if isinstance(figures, HttpResponse):
        return figures
    if _refused(figures["form"]):
        return statistics_page(request)
    from tinhso.onestop import exports

    period = figures["period"]
    data = exports.statistics_xlsx(
        rows=figures["rows"],
        total=figures["total"],
        period=period,
        group_by=figures["group_by"],
        agency=figures["agency"],
    )
    return _xlsx_response(data, f"thong-ke-ho-so-{period.start:%Y%m%d}-{period.end:%Y%m%d}.xlsx")


def _register_params(request: HttpRequest):
    form, period, _group, agency = _stats_params(request)
    return form, period, agency


REGISTER_PAGE = 100


@require_GET
def register_page(request: HttpRequest) -> HttpResponse:
    denied = _official_required(request)
    if denied:
        return denied
    if not can(request.user, "onestop.view_statistics", None):
        return _forbidden(request, _("Sổ theo dõi dành cho lãnh đạo và quản trị cơ quan."))
    from tinhso.onestop import statistics

    form, period, agency = _register_params(request)
    total = statistics.register_count(period=period, receiving_agency=agency)
    # a page of the register's line numbers; the rows of that page only are read
    page = paginate(request, range(total), REGISTER_PAGE)
    rows = statistics.register_rows(
        period=period,
        receiving_agency=agency,
        limit=REGISTER_PAGE,
        offset=page.start_index() - 1 if total else 0,
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "period": period,
        "agency": agency,
        "rows": rows,
        "page": page,
        "columns": statistics.REGISTER_COLUMNS,
        "query": query.urlencode(),
    }
    return render(request, "onestop/register.html", context, status=400 if _refused(form) else 200)


@require_GET
def register_xlsx(request: HttpRequest) -> HttpResponse:
    denied = _official_required(request)
    if denied:
        return denied
    if not can(request.user, "onestop.view_statistics", None):
        return _forbidden(request, _("Sổ theo dõi dành cho lãnh đạo và quản trị cơ quan."))
    from tinhso.onestop import exports, statistics

    form, period, agency = _register_params(request)
    if _refused(form):
        return register_page(request)
    rows = statistics.register_rows(period=period, receiving_agency=agency)
    data = exports.register_xlsx(rows=rows, period=period, agency=agency)
    return _xlsx_response(data, f"so-theo-doi-ho-so-{period.start:%Y%m%d}-{period.end:%Y%m%d}.xlsx")
