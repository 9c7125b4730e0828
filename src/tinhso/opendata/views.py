"""Pages of the open data portal (thin: parse, call a selector or service, render)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tinhso.accounts.rules import can
from tinhso.core.errors import DomainError
from tinhso.core.files import attachment_response
from tinhso.core.pagination import paginate
from tinhso.directory.models import Agency
from tinhso.opendata import datastore, schema, selectors, services
from tinhso.opendata.ckan import ACTIONS, READ_ONLY
from tinhso.opendata.forms import ContributionForm, DatasetForm, ResourceForm, ReviewForm
from tinhso.opendata.models import (
    Contribution,
    Dataset,
    DatasetState,
    DatastoreTable,
    LoadJob,
    Resource,
)
from tinhso.opendata.rules import managed_agency_ids
from tinhso.opendata.workflow import allowed

PER_PAGE = 20
QUALITY_LABELS = {
    "description": gettext_lazy("mô tả đủ rõ (từ 40 ký tự)"),
    "open_licence": gettext_lazy("giấy phép mở"),
    "machine_readable": gettext_lazy("có tệp máy đọc được (CSV, JSON, XLSX...)"),
    "datastore": gettext_lazy("xem trước, truy vấn được qua API"),
    "tags": gettext_lazy("có từ khóa"),
    "groups": gettext_lazy("thuộc nhóm chủ đề"),
    "contact": gettext_lazy("có thư điện tử liên hệ"),
    "up_to_date": gettext_lazy("cập nhật đúng lịch"),
}
PREVIEW_ROWS = 25
XLSX_MAX_ROWS = 1_048_575


def _error(request: HttpRequest, err: DomainError) -> HttpResponse:
    return render(request, "opendata/error.html", {"error": err}, status=err.status)


# ---------------------------------------------------------------------------------------
# browsing


class _Facets:
    """What the search page's facet links need: chosen values and toggling URLs."""

    def __init__(self, request: HttpRequest) -> None:
        self.request = request
        self.chosen = {
            name: [v for v in request.GET.getlist(name) if v][:10]
            for name in selectors.FACET_FIELDS
        }

    def toggle_url(self, name: str, value: str) -> str:
        params = self.request.GET.copy()
        params.pop("page", None)
        values = [v for v in params.getlist(name) if v]
        if value in values:
            values.remove(value)
        else:
            values.append(value)
        params.setlist(name, values)
        return "?" + params.urlencode()


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    from tinhso.opendata.platform import refresh_if_stale

    refresh_if_stale()
    q = request.GET.get("q", "")[:200]
    facets = _Facets(request)
    sort = request.GET.get("sort", "")
    if sort not in ("", "metadata_modified desc", "title_string asc", "views_recent desc"):
        sort = ""
    page_number = request.GET.get("page", "1")
    page_index = int(page_number) if page_number.isdigit() and len(page_number) < 6 else 1
    start = (max(page_index, 1) - 1) * PER_PAGE
    try:
        result = selectors.search(
            q=q,
            filters={k: v for k, v in facets.chosen.items() if v},
            sort=sort,
            rows=PER_PAGE,
            start=min(start, selectors.MAX_START),
            facet_fields=selectors.FACET_FIELDS,
            facet_limit=10,
        )
    except DomainError as err:
        return _error(request, err)
    facet_blocks = []
    titles = {
        "organization": _("Cơ quan"),
        "groups": _("Nhóm chủ đề"),
        "tags": _("Từ khóa"),
        "res_format": _("Định dạng"),
        "license_id": _("Giấy phép"),
    }
    for name in selectors.FACET_FIELDS:
        items = [
            {
                **item,
                "url": facets.toggle_url(name, item["name"]),
                "active": item["name"] in facets.chosen[name],
            }
            for item in result.facets.get(name, [])
        ]
        facet_blocks.append({"name": name, "title": titles[name], "items": items})
    chosen = [
        {"name": name, "value": value, "url": facets.toggle_url(name, value)}
        for name, values in facets.chosen.items()
        for value in values
    ]
    page = paginate(request, _CountOnly(result.count), PER_PAGE)
    return render(
        request,
        "opendata/home.html",
        {
            "q": q,
            "sort": sort,
            "result": result,
            "datasets": result.datasets,
            "facet_blocks": facet_blocks,
            "chosen": chosen,
            "page": page,
            "groups": selectors.groups_with_counts() if not q and not chosen else [],
            "can_manage": bool(
                request.user.is_authenticated and managed_agency_ids(request.user) != set()
            ),
        },
    )


class _CountOnly:
    """A sequence of `count` items for the paginator (the page itself comes from search)."""

    def __init__(self, count: int) -> None:
        self._count = count

    def count(self) -> int:
        return self._count

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, item: Any) -> list[Any]:
        return []


@require_GET
def organization(request: HttpRequest, name: str) -> HttpResponse:
    try:
        agency = selectors.agency_by_ckan(name)
    except DomainError:
        raise Http404 from None
    return redirect(reverse("opendata:home") + f"?organization={selectors.org_name(agency)}")


def _dataset_or_404(request: HttpRequest, name: str) -> Dataset:
    try:
        return selectors.get_dataset(name, user=request.user)
    except DomainError:
        raise Http404 from None


@require_GET
def dataset(request: HttpRequest, name: str) -> HttpResponse:
    ds = _dataset_or_404(request, name)
    manage = can(request.user, "opendata.manage_dataset", ds.agency)
    quality = selectors.quality(ds)
    extras = [
        {"label": spec["label"], "value": ds.extras.get(spec["key"])}
        for spec in schema.extra_fields()
        if ds.extras.get(spec["key"])
    ]
    return render(
        request,
        "opendata/dataset.html",
        {
            "dataset": ds,
            "resources": ds.resources.select_related("datastore").order_by("position", "id"),
            "extras": extras,
            "manage": manage,
            "transitions": allowed(ds.state) if manage else [],
            "usage": selectors.usage(ds) if manage else [],
            "quality": quality,
            "quality_failed": [QUALITY_LABELS[name] for name in quality["failed"]],
            "contributors": ds.contributions.filter(
                status=Contribution.Status.ACCEPTED
            ).select_related("contributor"),
        },
    )


def _resource_or_404(request: HttpRequest, name: str, uid: Any) -> Resource:
    ds = _dataset_or_404(request, name)
    resource = ds.resources.filter(uid=uid).select_related("datastore").first()
    if resource is None:
        raise Http404
    resource.dataset = ds
    return resource


def _preview_params(request: HttpRequest, table: DatastoreTable) -> dict[str, Any]:
    names = [f["id"] for f in table.fields]
    column = request.GET.get("col", "")
    value = request.GET.get("val", "")[:200]
    filters = {column: value} if column in names and value != "" else None
    sort_column = request.GET.get("sort", "")
    direction = "desc" if request.GET.get("dir") == "desc" else "asc"
    sort = f'"{sort_column}" {direction}' if sort_column in names else None
    return {
        "filters": filters,
        "query": request.GET.get("q", "")[:200] or None,
        "sort": sort,
        "column": column,
        "value": value,
        "sort_column": sort_column,
        "direction": direction,
    }


@require_GET
def resource(request: HttpRequest, name: str, uid: Any) -> HttpResponse:
    res = _resource_or_404(request, name, uid)
    context: dict[str, Any] = {"dataset": res.dataset, "resource": res}
    table = DatastoreTable.objects.filter(resource=res).first()
    context["job"] = res.load_jobs.first()
    if table is not None:
        params = _preview_params(request, table)
        raw_page = request.GET.get("page", "1")
        number = int(raw_page) if raw_page.isdigit() and len(raw_page) < 7 else 1
        offset = (max(number, 1) - 1) * PREVIEW_ROWS
        try:
            found = datastore.search(
                table=table.table_name,
                fields=table.fields,
                cached_total=table.total,
                filters=params["filters"],
                query=params["query"],
                sort=params["sort"],
                limit=PREVIEW_ROWS,
                offset=min(offset, datastore.MAX_OFFSET),
            )
        except DomainError as err:
            messages.error(request, err.message)
            found = {"fields": [], "records": [], "total": 0}
        names = [f["id"] for f in found["fields"]]
        page = paginate(request, _CountOnly(found["total"] or 0), PREVIEW_ROWS)
        export_query = request.GET.copy()
        export_query.pop("page", None)
        context.update(
            table=table,
            params=params,
            columns=[f for f in table.fields],
            names=names,
            rows=[[r[n] for n in names] for r in found["records"]],
            total=found["total"],
            page=page,
            export_query=export_query.urlencode(),
        )
    return render(request, "opendata/resource.html", context)


@require_GET
def job_progress(request: HttpRequest, name: str, uid: Any) -> HttpResponse:
    res = _resource_or_404(request, name, uid)
    return render(
        request,
        "opendata/_job.html",
        {"job": res.load_jobs.first(), "dataset": res.dataset, "resource": res},
    )


@require_GET
def resource_download(request: HttpRequest, name: str, uid: Any, filename: str) -> HttpResponseBase:
    res = _resource_or_404(request, name, uid)
    if not res.file:
        raise Http404
    services.record_usage(dataset_id=res.dataset.pk, downloads=1)
    return attachment_response(res.file.open("rb"), filename=res.filename)


def _all_rows(table: DatastoreTable, params: dict[str, Any], names: list[str]):
    offset = 0
    while True:
        found = datastore.search(
            table=table.table_name,
            fields=table.fields,
            cached_total=table.total,
            filters=params["filters"],
            query=params["query"],
            sort=params["sort"],
            columns=names,
            limit=5000,
            offset=offset,
            include_total=False,
        )
        if not found["records"]:
            return
        for record in found["records"]:
            yield [record[n] for n in names]
        offset += 5000


@require_GET
def resource_export(request: HttpRequest, name: str, uid: Any, fmt: str) -> HttpResponseBase:
    """The datastore table (with the preview's filter and sort) as CSV, XLSX or JSON."""
    res = _resource_or_404(request, name, uid)
    table = DatastoreTable.objects.filter(resource=res).first()
    if table is None or fmt not in ("csv", "xlsx", "json"):
        raise Http404
    params = _preview_params(request, table)
    names = [f["id"] for f in table.fields]
    services.record_usage(dataset_id=res.dataset.pk, downloads=1)
    base = f"{res.dataset.name}-{str(res.uid)[:8]}"
    if fmt == "csv":

        def lines():
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            buffer.write("\ufeff")  # Excel opens UTF-8 with a BOM correctly
            writer.writerow(names)
            for row in _all_rows(table, params, names):
                writer.writerow(["" if v is None else v for v in row])
                if buffer.tell() > 64 * 1024:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
            yield buffer.getvalue()

        response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{base}.csv"'
        response["X-Content-Type-Options"] = "nosniff"
        return response
    if fmt == "json":

        def chunks():
            yield "["
            first = True
            for row in _all_rows(table, params, names):
                yield ("" if first else ",") + json.dumps(
                    dict(zip(names, row, strict=True)), ensure_ascii=False
                )
                first = False
            yield "]"

        response = StreamingHttpResponse(chunks(), content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{base}.json"'
        response["X-Content-Type-Options"] = "nosniff"
        return response
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    from tinhso.core.sheets import cell_text

    count = (
        datastore.search(
            table=table.table_name,
            fields=table.fields,
            cached_total=table.total,
            filters=params["filters"],
            query=params["query"],
            limit=0,
        )["total"]
        or 0
    )
    if count > XLSX_MAX_ROWS:
        messages.error(
            request,
            _("Bảng có %(n)s dòng, vượt giới hạn của Excel (1.048.575); hãy tải CSV hoặc lọc bớt.")
            % {"n": count},
        )
        return redirect(reverse("opendata:resource", args=[res.dataset.name, res.uid]))
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("data")
    sheet.append(names)
    for row in _all_rows(table, params, names):
        cells = []
        for value in row:
            if isinstance(value, str):  # always text, never a formula (core.sheets' rule)
                cell = WriteOnlyCell(sheet, value=cell_text(value))
                cell.data_type = "s"
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return attachment_response(out.getvalue(), filename=f"{base}.xlsx")


@require_GET
def api_docs(request: HttpRequest) -> HttpResponse:
    base = request.build_absolute_uri("/").rstrip("/")
    actions = [
        {"name": name, "doc": (function.__doc__ or "").strip(), "get": name in READ_ONLY}
        for name, function in sorted(ACTIONS.items())
    ]
    return render(
        request,
        "opendata/api_docs.html",
        {
            "base": base,
            "actions": actions,
            "rows_max": selectors.MAX_ROWS,
            "limit_max": datastore.MAX_LIMIT,
            "records_max": datastore.MAX_RECORDS_PER_CALL,
            "upload_mb": services.MAX_UPLOAD_BYTES // (1024 * 1024),
            "list_max": 1000,
            "example": Dataset.objects.filter(state=DatasetState.PUBLISHED).first(),
        },
    )


# ---------------------------------------------------------------------------------------
# contributions


@login_required
@require_http_methods(["GET", "POST"])
def contribute(request: HttpRequest) -> HttpResponse:
    agencies = Agency.objects.filter(datasets__isnull=False).distinct().order_by("path")
    target = None
    if request.GET.get("dataset") or request.POST.get("dataset"):
        try:
            target = selectors.get_dataset(
                request.GET.get("dataset") or request.POST.get("dataset")
            )
        except DomainError:
            target = None
    initial: dict[str, Any] = {
        "kind": Contribution.Kind.CORRECTION if target else Contribution.Kind.NEW_DATASET
    }
    if target:
        initial["dataset"] = target.name
        initial["title"] = _("Góp ý cho: %(title)s") % {"title": target.title}
    form = ContributionForm(
        request.POST or None, request.FILES or None, agencies=agencies, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        agency = Agency.objects.filter(code=form.cleaned_data["agency"]).first()
        try:
            services.propose(
                actor=request.user,
                kind=form.cleaned_data["kind"],
                title=form.cleaned_data["title"],
                agency=agency,
                dataset=target,
                comment=form.cleaned_data["comment"],
                link=form.cleaned_data["link"],
                upload=form.cleaned_data.get("upload"),
            )
        except DomainError as err:
            form.add_error(None, err.message)
        else:
            messages.success(request, _("Cảm ơn bạn! Đóng góp đã được gửi tới cơ quan."))
            return redirect("opendata:my_contributions")
    return render(request, "opendata/contribute.html", {"form": form, "target": target})


@login_required
@require_GET
def my_contributions(request: HttpRequest) -> HttpResponse:
    qs = Contribution.objects.filter(contributor_id=request.user.pk).select_related(
        "agency", "dataset"
    )
    return render(
        request, "opendata/my_contributions.html", {"page": paginate(request, qs, PER_PAGE)}
    )


# ---------------------------------------------------------------------------------------
# data officers


def _managed(request: HttpRequest):
    ids = managed_agency_ids(request.user)
    agencies = Agency.objects.all() if ids is None else Agency.objects.filter(pk__in=ids)
    return ids, agencies.order_by("path")


@login_required
@require_GET
def manage(request: HttpRequest) -> HttpResponse:
    ids, agencies = _managed(request)
    if ids is not None and not ids:
        return _error(request, services.OpendataNotAuthorized())
    datasets = Dataset.objects.select_related("agency").order_by("state", "-metadata_modified")
    contributions = Contribution.objects.filter(status=Contribution.Status.PENDING).select_related(
        "agency", "contributor", "dataset"
    )
    if ids is not None:
        datasets = datasets.filter(agency_id__in=ids)
        contributions = contributions.filter(agency_id__in=ids)
    return render(
        request,
        "opendata/manage.html",
        {
            "page": paginate(request, datasets, PER_PAGE),
            "today": timezone.localdate(),
            "contributions": contributions[:50],
            "jobs": LoadJob.objects.filter(resource__dataset__in=datasets).select_related(
                "resource__dataset"
            )[:10],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def dataset_new(request: HttpRequest) -> HttpResponse:
    ids, agencies = _managed(request)
    if ids is not None and not ids:
        return _error(request, services.OpendataNotAuthorized())
    form = DatasetForm(request.POST or None, agencies=agencies)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ds = services.create_dataset(
                actor=request.user,
                agency=agencies.get(code=data["agency"]),
                title=data["title"],
                notes=data["notes"],
                licence_id=data["licence_id"],
                groups=data["groups"],
                tags=data["tags"],
                frequency=data["frequency"],
                next_update_on=data["next_update_on"],
                extras=form.extras(),
                maintainer=data["maintainer"],
                maintainer_email=data["maintainer_email"],
            )
        except DomainError as err:
            form.add_error(None, err.message)
        else:
            messages.success(
                request, _("Đã tạo bộ dữ liệu (bản nháp). Hãy thêm tài nguyên rồi gửi duyệt.")
            )
            return redirect("opendata:dataset", ds.name)
    return render(request, "opendata/dataset_form.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def dataset_edit(request: HttpRequest, name: str) -> HttpResponse:
    ds = _dataset_or_404(request, name)
    initial = {
        "title": ds.title,
        "notes": ds.notes,
        "licence_id": ds.licence_id,
        "groups": list(ds.groups.values_list("name", flat=True)),
        "tags": ", ".join(ds.tags.values_list("name", flat=True)),
        "frequency": ds.frequency,
        "next_update_on": ds.next_update_on,
        "maintainer": ds.maintainer,
        "maintainer_email": ds.maintainer_email,
        **{f"extra_{k}": v for k, v in ds.extras.items()},
    }
    form = DatasetForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.update_dataset(
                actor=request.user,
                dataset=ds,
                title=data["title"],
                notes=data["notes"],
                licence_id=data["licence_id"],
                groups=data["groups"],
                tags=data["tags"],
                frequency=data["frequency"],
                next_update_on=data["next_update_on"],
                extras=form.extras(),
                maintainer=data["maintainer"],
                maintainer_email=data["maintainer_email"],
            )
        except DomainError as err:
            form.add_error(None, err.message)
        else:
            messages.success(request, _("Đã lưu."))
            return redirect("opendata:dataset", ds.name)
    return render(request, "opendata/dataset_form.html", {"form": form, "dataset": ds})


@login_required
@require_POST
def dataset_transition(request: HttpRequest, name: str) -> HttpResponse:
    ds = _dataset_or_404(request, name)
    try:
        services.transition(
            actor=request.user,
            dataset=ds,
            action=request.POST.get("action", ""),
            reason=request.POST.get("reason", ""),
        )
    except DomainError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, _("Đã cập nhật trạng thái bộ dữ liệu."))
    return redirect("opendata:dataset", ds.name)


@login_required
@require_http_methods(["GET", "POST"])
def resource_new(request: HttpRequest, name: str) -> HttpResponse:
    ds = _dataset_or_404(request, name)
    form = ResourceForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            res = services.add_resource(
                actor=request.user,
                dataset=ds,
                name=data["name"],
                url=data["url"],
                upload=data.get("upload"),
                format=data["format"],
                description=data["description"],
                encoding=data["encoding"],
            )
        except DomainError as err:
            form.add_error(None, err.message)
        else:
            messages.success(request, _("Đã thêm tài nguyên."))
            return redirect("opendata:resource", ds.name, res.uid)
    return render(request, "opendata/resource_form.html", {"form": form, "dataset": ds})


@login_required
@require_http_methods(["GET", "POST"])
def review(request: HttpRequest, uid: Any) -> HttpResponse:
    contribution = (
        Contribution.objects.filter(uid=uid)
        .select_related("agency", "dataset", "contributor")
        .first()
    )
    if contribution is None or not can(
        request.user, "opendata.review_contribution", contribution.agency
    ):
        raise Http404
    form = ReviewForm(request.POST or None, initial={"title": contribution.title})
    if request.method == "POST" and form.is_valid():
        try:
            if form.cleaned_data["decision"] == "accept":
                contribution = services.accept_contribution(
                    actor=request.user,
                    contribution=contribution,
                    title=form.cleaned_data["title"],
                    note=form.cleaned_data["reason"],
                )
            else:
                services.decline_contribution(
                    actor=request.user,
                    contribution=contribution,
                    reason=form.cleaned_data["reason"],
                )
        except DomainError as err:
            form.add_error(None, err.message)
        else:
            messages.success(request, _("Đã xử lý đóng góp; người đóng góp được thông báo."))
            return redirect("opendata:manage")
    return render(request, "opendata/review.html", {"form": form, "contribution": contribution})


@login_required
@require_GET
def contribution_file(request: HttpRequest, uid: Any) -> HttpResponseBase:
    contribution = Contribution.objects.filter(uid=uid).select_related("agency").first()
    if contribution is None or not contribution.file:
        raise Http404
    if contribution.contributor_id != request.user.pk and not can(
        request.user, "opendata.review_contribution", contribution.agency
    ):
        raise Http404
    return attachment_response(contribution.file.open("rb"), filename=contribution.filename)
