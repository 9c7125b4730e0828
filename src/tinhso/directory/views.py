"""Directory pages: tree, search, agency, people, CSV import/export (thin views)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from tinhso.accounts.models import Role, User
from tinhso.accounts.rules import can, holds_role, is_platform_admin, visible_agency_filter
from tinhso.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from tinhso.core.pagination import paginate
from tinhso.directory import selectors, services
from tinhso.directory.csvio import (
    CsvImportFailed,
    export_admin_units,
    export_agencies,
    import_admin_units,
    import_agencies,
)
from tinhso.directory.forms import (
    AgencyEditForm,
    AppointForm,
    ImportForm,
    OrgUnitForm,
    ReorganiseForm,
    SearchForm,
)
from tinhso.directory.models import Agency


def _error(request: HttpRequest, err: DomainError) -> HttpResponse:
    return render(request, "directory/error.html", {"error": err}, status=err.status)


@require_GET
def tree(request: HttpRequest) -> HttpResponse:
    include_closed = request.GET.get("closed") == "1"
    root = None
    if request.GET.get("root"):
        try:
            root = selectors.get_agency(request.GET["root"])
        except DomainError as err:
            return _error(request, err)
    nodes = selectors.tree(root, depth=2, include_closed=include_closed)
    return render(
        request,
        "directory/tree.html",
        {
            "nodes": nodes,
            "root": root,
            "ancestors": selectors.ancestors(root) if root else [],
            "include_closed": include_closed,
            "can_admin": holds_role(request.user, [Role.AGENCY_ADMIN]),
        },
    )


@require_GET
def tree_children(request: HttpRequest, code: str) -> HttpResponse:
    """HTMX fragment: the next two levels under one agency."""
    include_closed = request.GET.get("closed") == "1"
    try:
        agency = selectors.get_agency(code)
    except DomainError as err:
        return HttpResponse(err.message, status=err.status)
    nodes = selectors.tree(agency, depth=2, include_closed=include_closed)
    children = nodes[0].children if nodes else []
    return render(
        request,
        "directory/_tree_nodes.html",
        {"nodes": children, "include_closed": include_closed},
    )


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    q = ""
    if form.is_valid():
        q = form.cleaned_data["q"].strip()
    agencies = selectors.search_agencies(q, limit=None) if q else Agency.objects.none()
    people = selectors.people_matching(q if request.user.is_authenticated else "")
    agency_page = paginate(request, agencies, 30)
    people_page = paginate(request, people, 30, param="page_people")
    return render(
        request,
        "directory/search.html",
        {
            "form": form,
            "q": q,
            "agencies": agency_page,
            "agency_page": agency_page,
            "people": people_page,
            "people_page": people_page,
        },
    )


@require_GET
def agency(request: HttpRequest, code: str) -> HttpResponse:
    try:
        obj = selectors.get_agency(code)
    except DomainError as err:
        return _error(request, err)
    show_people = request.user.is_authenticated
    return render(
        request,
        "directory/agency.html",
        {
            "agency": obj,
            "ancestors": selectors.ancestors(obj),
            "children": selectors.children(obj, include_closed=True).order_by("status", "code"),
            "org_units": selectors.agency_org_units(obj) if show_people else [],
            "people": selectors.agency_people(obj) if show_people else [],
            "show_people": show_people,
            "show_contact": can(request.user, "directory.view_personal_contact")
            if request.user.is_authenticated
            else False,
            "events": selectors.history(obj),
            "predecessors": selectors.predecessors(obj),
            "can_manage": request.user.is_authenticated
            and can(request.user, "directory.manage_agency", obj),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def agency_edit(request: HttpRequest, code: str) -> HttpResponse:
    try:
        obj = selectors.get_agency(code)
    except DomainError as err:
        return _error(request, err)
    if not can(request.user, "directory.manage_agency", obj):
        return _error(
            request,
            PermissionDenied(f"Bạn không có quyền quản lý cơ quan '{obj.name}'."),
        )
    fields = ["name", "short_name", "kind", "address", "phone", "email", "website"]
    form = AgencyEditForm(request.POST or None, initial={f: getattr(obj, f) for f in fields})
    if request.method == "POST" and form.is_valid():
        try:
            services.edit_agency(actor=request.user, agency=obj, **form.cleaned_data)
        except DomainError as err:
            form.add_error(None, err.message)
        else:
            messages.success(request, _("Đã lưu thông tin cơ quan."))
            return redirect("directory:agency", code=obj.code)
    return render(request, "directory/agency_edit.html", {"agency": obj, "form": form})


@login_required
@require_GET
def people(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    q = form.cleaned_data["q"].strip() if form.is_valid() else ""
    results = selectors.people_matching(q)
    page = paginate(request, results, 30)
    return render(
        request, "directory/people.html", {"form": form, "q": q, "results": page, "page": page}
    )


@login_required
@require_GET
def person(request: HttpRequest, uid) -> HttpResponse:
    user = User.objects.filter(uid=uid, kind=User.Kind.OFFICIAL).first()
    if user is None:
        raise Http404
    posts = selectors.person_posts(user)
    if not posts:
        return _error(request, NotFound(_("Không tìm thấy cán bộ này trong danh bạ.")))
    return render(
        request,
        "directory/person.html",
        {
            "person": user,
            "posts": posts,
            "show_contact": can(request.user, "directory.view_personal_contact"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def import_view(request: HttpRequest) -> HttpResponse:
    if not can(request.user, "directory.import_agencies"):
        return _error(request, PermissionDenied(_("Chỉ quản trị nền tảng được nhập bảng cơ quan.")))
    form = ImportForm(request.POST or None, request.FILES or None)
    errors: list = []
    report = None
    if request.method == "POST" and form.is_valid():
        try:
            importer = (
                import_admin_units
                if form.cleaned_data["table"] == "admin_units"
                else import_agencies
            )
            report = importer(actor=request.user, data=form.cleaned_data["file"].read())
        except CsvImportFailed as err:
            errors = err.errors
        except DomainError as err:
            form.add_error(None, err.message)
    return render(
        request,
        "directory/import.html",
        {"form": form, "errors": errors, "report": report},
        status=400 if errors else 200,
    )


@login_required
@require_GET
def export_view(request: HttpRequest) -> HttpResponse:
    if not can(request.user, "directory.import_agencies"):
        return _error(request, PermissionDenied(_("Chỉ quản trị nền tảng được xuất bảng cơ quan.")))
    units = request.GET.get("table") == "admin_units"
    text = export_admin_units() if units else export_agencies()
    response = HttpResponse(
        b"\xef\xbb\xbf" + text.encode("utf-8"), content_type="text/csv; charset=utf-8"
    )
    name = "don-vi-hanh-chinh.csv" if units else "co-quan.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _manageable(request: HttpRequest, code: str):
    """(agency, None) when the user may manage it, else (None, error response)."""
    try:
        obj = selectors.get_agency(code)
    except DomainError as err:
        return None, _error(request, err)
    if not can(request.user, "directory.manage_agency", obj):
        return None, _error(
            request, PermissionDenied(f"Bạn không có quyền quản lý cơ quan '{obj.name}'.")
        )
    return obj, None


@login_required
@require_GET
def admin(request: HttpRequest) -> HttpResponse:
    """Directory administration: the agencies this user administers and the tools."""
    platform = is_platform_admin(request.user)
    if platform:
        agencies = Agency.objects.active().filter(depth__lte=1)
    else:
        agencies = Agency.objects.active().filter(
            visible_agency_filter(request.user, roles={Role.AGENCY_ADMIN})
        )
    agencies = agencies.select_related("parent").order_by("code")
    if not platform and not agencies.exists():
        return _error(
            request,
            PermissionDenied(_("Bạn không phải quản trị cơ quan nào trong danh bạ.")),
        )
    page = paginate(request, agencies, 50)
    return render(
        request, "directory/admin.html", {"agencies": page, "page": page, "platform": platform}
    )


@login_required
@require_http_methods(["GET", "POST"])
def reorganise(request: HttpRequest, code: str) -> HttpResponse:
    obj, denied = _manageable(request, code)
    if denied:
        return denied
    form = ReorganiseForm(request.POST or None, initial={"effective_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            target = selectors.get_agency(data["target"]) if data["target"] else None
            common = {
                "actor": request.user,
                "effective_on": data["effective_on"],
                "note": data["note"],
            }
            if data["action"] == "move":
                if target is None:
                    raise ValidationFailed(
                        _("Hãy nhập mã cơ quan chủ quản mới."), code="target_required"
                    )
                services.move_agency(agency=obj, new_parent=target, **common)
                done = _("Đã chuyển cơ quan.")
            elif data["action"] == "merge":
                if target is None:
                    raise ValidationFailed(
                        _("Hãy nhập mã cơ quan tiếp nhận."), code="target_required"
                    )
                services.merge_agencies(
                    predecessors=[obj],
                    successor=target,
                    move_children=data["move_children"],
                    move_members=data["move_members"],
                    **common,
                )
                done = _("Đã sáp nhập cơ quan.")
            else:
                services.close_agency(
                    agency=obj,
                    successor=target,
                    move_children=data["move_children"] and target is not None,
                    move_members=data["move_members"] and target is not None,
                    **common,
                )
                done = _("Đã giải thể cơ quan.")
        except DomainError as err:
            form.add_error(None, err.message)
        else:
            messages.success(request, done)
            return redirect("directory:agency", code=obj.code)
    return render(
        request,
        "directory/reorganise.html",
        {"agency": obj, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def org_unit_create(request: HttpRequest, code: str) -> HttpResponse:
    obj, denied = _manageable(request, code)
    if denied:
        return denied
    form = OrgUnitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.create_org_unit(actor=request.user, agency=obj, **form.cleaned_data)
        except DomainError as err:
            form.add_error(None, err.message)
        else:
            messages.success(request, _("Đã thêm phòng, ban."))
            return redirect("directory:agency", code=obj.code)
    return render(
        request,
        "directory/org_unit_form.html",
        {"agency": obj, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def appoint(request: HttpRequest, code: str) -> HttpResponse:
    """Add a person (existing or new official) to the agency, with post and roles."""
    obj, denied = _manageable(request, code)
    if denied:
        return denied
    form = AppointForm(request.POST or None, agency=obj)
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.appoint_official(
                actor=request.user, agency=obj, **form.cleaned_data
            )
        except DomainError as err:
            form.add_error(None, err.message)
        else:
            messages.success(
                request,
                _("Đã thêm %(name)s vào cơ quan.")
                % {"name": membership.user.full_name or membership.user.username},
            )
            return redirect("directory:agency", code=obj.code)
    return render(
        request,
        "directory/appoint.html",
        {"agency": obj, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["POST"])
def end_post(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    obj, denied = _manageable(request, code)
    if denied:
        return denied
    membership = obj.memberships.filter(pk=pk, ended_on__isnull=True).first()
    if membership is None:
        return _error(request, NotFound(_("Không tìm thấy vị trí công tác này.")))
    services.end_membership(actor=request.user, membership=membership)
    messages.success(request, _("Đã kết thúc vị trí công tác."))
    return redirect("directory:agency", code=obj.code)
