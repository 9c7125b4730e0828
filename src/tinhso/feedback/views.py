"""Pages of the feedback app: the public map and list, a report's page (with the actions the
person may take, from the workflow table), the officials' queue, the IOC wall screen,
statistics with XLSX, and the citizen app (PWA: shell, manifest, service worker)."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST

from tinhso.accounts.rules import can
from tinhso.core.errors import DomainError, NotFound
from tinhso.core.pagination import paginate
from tinhso.feedback import selectors, services, wallscreen, workflow
from tinhso.feedback.models import OPEN_STATES, Area, Photo
from tinhso.feedback.rules import is_centre, is_handler_somewhere

STATIC_DIR = Path(__file__).resolve().parent / "static" / "feedback"


def map_config() -> dict:
    return {
        "areas": reverse("feedback:areas"),
        "points": "/api/v1/feedback/points/",
        "tiles": getattr(settings, "FEEDBACK_TILE_URL", ""),
        "tilesAttribution": getattr(settings, "FEEDBACK_TILE_ATTRIBUTION", ""),
    }


def home(request: HttpRequest) -> HttpResponse:
    qs = selectors.public_reports().order_by("-created_at")
    state = request.GET.get("trang_thai", "")
    category = request.GET.get("linh_vuc", "")
    if state == "mo":
        qs = qs.filter(state__in=OPEN_STATES)
    elif state == "dong":
        qs = qs.exclude(state__in=OPEN_STATES)
    if category:
        qs = qs.filter(category__code=category[:40])
    page = paginate(request, qs, 20)
    return render(
        request,
        "feedback/home.html",
        {
            "page": page,
            "categories": selectors.categories(),
            "state": state,
            "category": category,
            "map_json": json.dumps(map_config()),
            "is_official": is_centre(request.user) or is_handler_somewhere(request.user),
        },
    )


def areas(request: HttpRequest) -> JsonResponse:
    """The communes' polygons as GeoJSON (drawn without tiles)."""
    features = [
        {
            "type": "Feature",
            "properties": {"code": a.admin_unit.code, "name": a.admin_unit.name},
            "geometry": a.geometry,
        }
        for a in Area.objects.select_related("admin_unit").order_by("admin_unit__code")
    ]
    response = JsonResponse({"type": "FeatureCollection", "features": features})
    response["Cache-Control"] = "public, max-age=3600"
    return response


def report(request: HttpRequest, code: str) -> HttpResponse:
    try:
        obj = selectors.get_for(request.user, code)
    except NotFound as exc:
        raise Http404 from exc
    forms = []
    for action in workflow.available(request.user, obj):
        forms.append((action, action.form(report=obj, user=request.user, prefix=action.name)))
    following = (
        request.user.is_authenticated and obj.followers.filter(user_id=request.user.pk).exists()
    )
    return render(
        request,
        "feedback/report.html",
        {
            "report": obj,
            "photos": selectors.photos(obj),
            "timeline": selectors.timeline(obj, request.user),
            "identity": selectors.identity(request.user, obj),
            "public_name": selectors.public_name(obj),
            "actions": forms,
            "following": following,
            "can_follow": request.user.is_authenticated and obj.is_open and not following,
            "duplicates": obj.duplicates.all()[:20] if is_centre(request.user) else [],
            "nearby": selectors.nearby(
                category=obj.category, lat=obj.lat, lng=obj.lng, exclude_pk=obj.pk, limit=5
            )
            if is_centre(request.user) and obj.state == "new"
            else [],
            "map_json": json.dumps(map_config()),
        },
    )


@require_POST
@login_required
def act(request: HttpRequest, code: str, action: str) -> HttpResponse:
    try:
        obj = selectors.get_for(request.user, code)
    except NotFound as exc:
        raise Http404 from exc
    spec = workflow.get(action)
    form = spec.form(request.POST, request.FILES, report=obj, user=request.user, prefix=action)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, str(message))
        return redirect("feedback:report", code=obj.code)
    data = dict(form.cleaned_data)
    try:
        services.act(actor=request.user, report=obj, action=action, **data)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Đã thực hiện: %(action)s.") % {"action": spec.label})
    return redirect("feedback:report", code=obj.code)


@require_POST
@login_required
def follow(request: HttpRequest, code: str) -> HttpResponse:
    try:
        obj = selectors.get_public(code)
        services.follow(actor=request.user, report=obj)
    except NotFound as exc:
        raise Http404 from exc
    messages.success(request, _("Bạn sẽ nhận thông báo khi phản ánh có cập nhật."))
    return redirect("feedback:report", code=obj.code)


def photo(request: HttpRequest, uid: str) -> FileResponse:
    item = Photo.objects.select_related("report").filter(uid=services._uuid(uid)).first()
    if item is None or not selectors.can_view(request.user, item.report):
        raise Http404
    response = FileResponse(item.file.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=300"
    return response


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    centre = is_centre(request.user)
    if not (centre or is_handler_somewhere(request.user)):
        return render(request, "feedback/forbidden.html", status=403)
    tabs = ["triage", "open", "overdue", "all"] if centre else ["", "all"]
    name = request.GET.get("q", tabs[0])
    if name not in tabs:
        name = tabs[0]
    page = paginate(request, selectors.work_queue(request.user, name), 25)
    labels = {
        "triage": _("Chờ tiếp nhận"),
        "open": _("Đang mở"),
        "overdue": _("Quá hạn"),
        "all": _("Tất cả"),
        "": _("Cần xử lý"),
    }
    return render(
        request,
        "feedback/queue.html",
        {
            "page": page,
            "tabs": [(t, labels[t]) for t in tabs],
            "current": name,
            "centre": centre,
            "now": timezone.now(),
        },
    )


@login_required
def ioc(request: HttpRequest) -> HttpResponse:
    if not can(request.user, "feedback.view_statistics"):
        return render(request, "feedback/forbidden.html", status=403)
    return render(
        request,
        "feedback/ioc.html",
        {"data": wallscreen.figures(), "map_json": json.dumps(map_config())},
    )


@login_required
def ioc_figures(request: HttpRequest) -> HttpResponse:
    """The wall's figures (HTMX refreshes this fragment every 30 seconds)."""
    if not can(request.user, "feedback.view_statistics"):
        return HttpResponse(status=403)
    return render(request, "feedback/_ioc_figures.html", {"data": wallscreen.figures()})


@login_required
def ioc_heat(request: HttpRequest) -> JsonResponse:
    if not can(request.user, "feedback.view_statistics"):
        return JsonResponse({}, status=403)
    return JsonResponse({"heat": wallscreen.heat()})


def _period(request: HttpRequest) -> tuple[date, date]:
    from tinhso.core.dates import in_range

    today = timezone.localdate()
    try:
        start = date.fromisoformat(request.GET.get("tu", ""))
    except ValueError:
        start = today - timedelta(days=29)
    try:
        end = date.fromisoformat(request.GET.get("den", ""))
    except ValueError:
        end = today
    if not (in_range(start) and in_range(end)) or start > end or (end - start).days > 1100:
        start, end = today - timedelta(days=29), today
    return start, end


@login_required
def statistics(request: HttpRequest) -> HttpResponse:
    if not can(request.user, "feedback.view_statistics"):
        return render(request, "feedback/forbidden.html", status=403)
    start, end = _period(request)
    data = selectors.figures(start=start, end=end)
    if request.GET.get("xuat") == "xlsx":
        return _xlsx(data, start, end)
    return render(request, "feedback/statistics.html", {"data": data, "start": start, "end": end})


def _xlsx(data: dict, start: date, end: date) -> HttpResponse:
    from openpyxl import Workbook

    from tinhso.core.files import attachment_response

    book = Workbook()
    head = [
        _("Tên"),
        _("Tiếp nhận"),
        _("Đang mở"),
        _("Quá hạn"),
        _("Đã trả lời"),
        _("Đúng hạn"),
        _("Tỷ lệ đúng hạn (%)"),
        _("Lượt đánh giá"),
        _("Tỷ lệ hài lòng (%)"),
    ]
    sheets = [(_("Theo cơ quan"), data["by_agency"]), (_("Theo lĩnh vực"), data["by_category"])]
    for i, (title, rows) in enumerate(sheets):
        sheet = book.active if i == 0 else book.create_sheet()
        assert sheet is not None
        sheet.title = str(title)[:31]
        sheet.append([f"{start.isoformat()} – {end.isoformat()}"])
        sheet.append([str(h) for h in head])
        for r in [*rows, {**data["total"], "name": _("Tổng cộng")}]:
            sheet.append(
                [
                    str(r["name"]),
                    r["received"],
                    r["open"],
                    r["overdue"],
                    r["answered"],
                    r["on_time"],
                    r["on_time_pct"],
                    r["rated"],
                    r["satisfied_pct"],
                ]
            )
    out = io.BytesIO()
    book.save(out)
    return attachment_response(out.getvalue(), filename=f"phan-anh-{start}-{end}.xlsx")


# ---------------------------------------------------------------------------------------
# The citizen app (PWA)


def app(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "feedback/app.html",
        {"map_json": json.dumps(map_config()), "app_config": json.dumps(map_config())},
    )


@cache_control(no_cache=True)
def manifest(request: HttpRequest) -> HttpResponse:
    from django.templatetags.static import static

    data = {
        "name": _("Phản ánh hiện trường — %(province)s") % {"province": _province()},
        "short_name": _("Phản ánh"),
        "lang": "vi",
        "start_url": reverse("feedback:app"),
        "scope": reverse("feedback:app"),
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0b5394",
        "icons": [
            {"src": static("feedback/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("feedback/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": static("feedback/icon-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    return HttpResponse(
        json.dumps(data, ensure_ascii=False), content_type="application/manifest+json"
    )


def _province() -> str:
    return str(getattr(settings, "TINHSO_PROVINCE_NAME", "tinhso"))


@cache_control(no_cache=True)
def service_worker(request: HttpRequest) -> HttpResponse:
    """Served from /feedback/app/ so that its scope covers the app."""
    from django.templatetags.static import static

    shell = [
        reverse("feedback:app"),
        static("feedback/app.js"),
        static("feedback/app.css"),
        static("feedback/map.js"),
        static("vendor/leaflet/leaflet.js"),
        static("vendor/leaflet/leaflet.css"),
        static("vendor/bootstrap/bootstrap.min.css"),
        reverse("feedback:areas"),
    ]
    body = (STATIC_DIR / "sw.js").read_text().replace("__SHELL__", json.dumps(shell))
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = reverse("feedback:app")
    return response
