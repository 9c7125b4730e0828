"""Public pages: the home, the procedure catalogue, a procedure, the e-form PDF and the lookup.

Thin: writes go through `tinhso.onestop.services`, reads through `selectors`.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from tinhso.accounts.rules import can
from tinhso.core.errors import DomainError, NotFound
from tinhso.core.pagecache import public_page
from tinhso.core.pagination import paginate
from tinhso.directory.models import Agency
from tinhso.onestop import eforms, forms, pdf, selectors
from tinhso.onestop.models import (
    Procedure,
)
from tinhso.onestop.views.common import (
    QUEUE_TITLES,
    _is_official,
    _officer_agencies,
    _pdf_response,
    _procedure_agencies,
)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    context: dict[str, Any] = {"search_form": forms.CatalogSearchForm(fields=(), agencies=())}
    context["fields"] = selectors.fields_with_counts(in_use=True)
    context["procedure_count"] = Procedure.objects.filter(is_active=True).count()
    if _is_official(user):
        context["queue_counts"] = [
            (name, QUEUE_TITLES[name], count)
            for name, count in selectors.queue_counts(user).items()
        ]
        context["can_stats"] = can(user, "onestop.view_statistics", None)
        context["can_catalog"] = can(user, "onestop.manage_catalog", None)
    elif user.is_authenticated:
        context["my_count"] = selectors.my_dossiers(user).count()
    return render(request, "onestop/home.html", context)


@require_GET
@public_page(citizens=True)
def catalog(request: HttpRequest) -> HttpResponse:
    fields = selectors.fields_with_counts(in_use=True)
    agencies = _procedure_agencies()
    form = forms.CatalogSearchForm(request.GET or None, fields=fields, agencies=agencies)
    procedures = Procedure.objects.none()
    if form.is_valid() or not request.GET:
        data = form.cleaned_data if form.is_bound else {}
        agency = None
        if data.get("agency"):
            agency = Agency.objects.filter(code=data["agency"]).first()
        procedures = selectors.search_procedures(
            q=data.get("q", ""),
            field=data.get("field") or None,
            agency=agency,
            level=data.get("level", ""),
            online_type=data.get("online_type", ""),
        )
    page = paginate(request, procedures, 20)
    query = request.GET.copy()
    query.pop("page", None)
    filters = ("field", "agency", "level", "online_type")
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "filters_active": sum(1 for name in filters if request.GET.get(name)),
    }
    if request.headers.get("HX-Request"):
        return render(request, "onestop/_catalog_results.html", context)
    return render(request, "onestop/catalog.html", context)


@require_GET
@public_page(citizens=True)
def procedure_detail(request: HttpRequest, code: str) -> HttpResponse:
    try:
        procedure = selectors.get_procedure(code=code)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    context = {
        "procedure": procedure,
        "papers": procedure.papers.all(),
        "steps": selectors.active_steps(procedure),
        "legal_basis": [x for x in procedure.legal_basis.splitlines() if x.strip()],
        "fee_lines": [x for x in procedure.fee_note.splitlines() if x.strip()],
        "eform_fields": [
            (path, prop.get("title") or path)
            for path, prop in eforms.iter_fields(procedure.form_schema or {})
        ],
        "can_submit": procedure.is_active,
        "can_counter": _is_official(request.user) and _officer_agencies(request.user).exists(),
    }
    return render(request, "onestop/procedure.html", context)


@require_GET
def eform_pdf(request: HttpRequest, code: str) -> HttpResponse:
    """The procedure's blank e-form as a printable PDF (the paper template)."""
    try:
        procedure = selectors.get_procedure(code=code)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return _pdf_response(pdf.blank_form_pdf(procedure), f"to-khai-{procedure.code}.pdf")


@require_http_methods(["GET", "POST"])
def lookup(request: HttpRequest) -> HttpResponse:
    if request.method == "GET" and "secret" not in request.GET:
        # a link from a message carries the code only: fill it in, ask for the 4 digits
        form = forms.LookupForm(initial={"code": request.GET.get("code", "")[:40]})
    else:
        form = forms.LookupForm(request.POST or request.GET or None)
    result = None
    error = None
    status = 200
    if form.is_bound and form.is_valid():
        # The same limits as the API's lookup (per client IP and per dossier code).
        from tinhso.onestop.api import LookupThrottle, limited_lookup

        if not LookupThrottle().allow_request(request, None):
            error = _("Bạn đã tra cứu quá nhiều lần. Vui lòng thử lại sau ít phút.")
            status = 429
        else:
            try:
                result = limited_lookup(
                    code=form.cleaned_data["code"], secret=form.cleaned_data["secret"]
                )
            except DomainError as exc:
                error = exc.message
                status = 429 if exc.status == 429 else status
    context = {"form": form, "result": result, "error": error}
    return render(request, "onestop/lookup.html", context, status=status)
