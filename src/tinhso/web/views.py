"""Home pages: one per kind of visitor (public, citizen, official, administrator)."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.views import defaults

from tinhso.accounts import selectors as account_selectors
from tinhso.accounts.models import Role
from tinhso.accounts.rules import can, is_platform_admin
from tinhso.core.api import api_error_response, is_api_path
from tinhso.core.pagecache import public_page
from tinhso.web.navigation import first_url, url_or_none


@dataclass
class Link:
    title: str | Promise
    url: str | None
    description: str | Promise = ""


def _citizen_links(user=None) -> list[Link]:
    links = [
        Link(
            _("Dịch vụ công trực tuyến"),
            first_url("onestop:catalog", "onestop:home"),
            _("Tìm thủ tục hành chính và nộp hồ sơ trực tuyến."),
        ),
        Link(
            _("Tra cứu hồ sơ"),
            url_or_none("onestop:lookup"),
            _("Xem tình trạng hồ sơ theo mã hồ sơ."),
        ),
    ]
    if getattr(user, "is_authenticated", False):
        links += [
            Link(
                _("Hồ sơ của tôi"),
                url_or_none("onestop:my_dossiers"),
                _("Hồ sơ bạn đã nộp, yêu cầu bổ sung, kết quả."),
            ),
            Link(
                _("Kho giấy tờ"),
                url_or_none("onestop:wallet"),
                _("Giấy tờ và kết quả đã lưu để dùng lại."),
            ),
        ]
    links.append(
        Link(
            _("Danh bạ cơ quan"),
            url_or_none("directory:tree"),
            _("Địa chỉ, điện thoại các cơ quan của tỉnh."),
        )
    )
    return links


# What each role works on, as (title, url names tried in order, description).
ROLE_LINKS: dict[str, list[tuple]] = {
    Role.ONESTOP_OFFICER: [
        (
            _("Tiếp nhận hồ sơ tại quầy"),
            ("onestop:counter",),
            _("Nhận hồ sơ giấy, in phiếu tiếp nhận và hẹn trả kết quả."),
        ),
        (
            _("Hồ sơ cần xử lý"),
            ("onestop:queue",),
            _("Hồ sơ trực tuyến chờ tiếp nhận, hồ sơ chờ trả kết quả."),
        ),
    ],
    Role.SPECIALIST: [
        (_("Hồ sơ cần xử lý"), ("onestop:queue",), _("Hồ sơ được giao cho bạn.")),
        (_("Văn bản điều hành"), ("documents:home",), _("Văn bản được giao xử lý.")),
    ],
    Role.LEADER: [
        (
            _("Văn bản điều hành"),
            ("documents:home",),
            _("Phân công, duyệt, ký số văn bản."),
        ),
        (_("Hồ sơ cần xử lý"), ("onestop:queue",), _("Hồ sơ chờ phê duyệt.")),
        (
            _("Thống kê dịch vụ công"),
            ("onestop:statistics",),
            _("Tỷ lệ đúng hạn, hồ sơ trễ hạn."),
        ),
    ],
    Role.CLERK: [
        (
            _("Sổ văn bản"),
            ("documents:registers",),
            _("Vào sổ văn bản đến, cấp số và phát hành văn bản đi."),
        ),
        (_("Vào sổ văn bản đến"), ("documents:incoming_new",), _("Đăng ký văn bản mới đến.")),
    ],
    Role.AGENCY_ADMIN: [
        (
            _("Vai trò trong cơ quan"),
            ("accounts:roles",),
            _("Cấp, thu hồi vai trò của cán bộ."),
        ),
        (
            _("Cơ cấu tổ chức"),
            ("directory:tree",),
            _("Đơn vị, cán bộ và vai trò trong cơ quan."),
        ),
        (
            _("Danh mục thủ tục"),
            ("onestop:catalog_admin",),
            _("Thủ tục hành chính, biểu mẫu, quy trình."),
        ),
    ],
}


def _official_links(role_codes: set[str]) -> list[Link]:
    links: list[Link] = []
    seen: set[str] = set()
    for role in Role.values:
        if role not in role_codes:
            continue
        for title, names, description in ROLE_LINKS.get(role, []):
            if str(title) in seen:
                continue
            seen.add(str(title))
            links.append(Link(title, first_url(*names), description))
    links.append(
        Link(
            _("Chứng thư số của tôi"),
            url_or_none("signing:certificates"),
            _("Chứng thư số, USB token và hình chữ ký dùng để ký văn bản."),
        )
    )
    return links


def _admin_links(user) -> list[Link]:
    links = [
        Link(
            _("Nhật ký hệ thống"),
            url_or_none("audit:trail"),
            _("Ai đã làm gì, khi nào (chuỗi băm không sửa được)."),
        ),
        Link(
            _("Quản trị danh bạ"),
            first_url("directory:admin", "directory:tree"),
            _("Cơ quan, đơn vị, sáp nhập, đổi tên, nhập/xuất CSV."),
        ),
    ]
    if is_platform_admin(user):  # the workdays.manage_calendar rule
        links.append(
            Link(
                _("Lịch ngày làm việc"),
                url_or_none("workdays:exceptions"),
                _("Ngày nghỉ lễ, Tết, ngày làm bù dùng để tính hạn xử lý."),
            )
        )
        links.append(
            Link(
                _("Vai trò của cán bộ"),
                url_or_none("accounts:roles"),
                _("Cấp, thu hồi vai trò của cán bộ các cơ quan."),
            )
        )
    if is_platform_admin(user) and user.is_staff:
        links.append(
            Link(_("Trang quản trị Django"), url_or_none("admin:index"), _("Dữ liệu nền tảng."))
        )
    return links


def _portal_front(request: HttpRequest) -> HttpResponse | None:
    """The web portal's front page when this host has one (component portals' hosts always)."""
    from tinhso.portal.selectors import portal_for_request

    portal = portal_for_request(request)
    if portal is None:
        return None
    from wagtail.models import Site

    site = Site.find_for_request(request)
    if request.user.is_authenticated and site is not None and site.is_default_site:
        return None  # signed in on the main host: the person's own page
    from wagtail.views import serve

    return serve(request, "")


def _portal_content_version() -> str:
    from tinhso.portal.selectors import content_version

    return content_version()


@public_page(version=_portal_content_version)
def home(request: HttpRequest) -> HttpResponse:
    """Visitors see the web portal; citizens their services; officials their agencies, roles
    and work (each with a link to the portal)."""
    front = _portal_front(request)
    if front is not None:
        return front
    user = request.user
    context: dict = {"citizen_links": _citizen_links(user)}
    if user.is_authenticated and (user.is_official or user.is_superuser):
        grants = account_selectors.grants_by_agency(user)
        role_codes = {code for entry in grants for code, _label in entry["roles"]}
        for entry in grants:
            entry["url"] = url_or_none("directory:agency", code=entry["agency"].code)
        context.update(
            {
                "view": "official",
                "grants": grants,
                "work_links": _official_links(role_codes),
                "admin_links": _admin_links(user) if can(user, "audit.view_trail") else [],
                "password_change_url": url_or_none("accounts:password_change"),
            }
        )
    elif user.is_authenticated:
        context["view"] = "citizen"
    else:
        context["view"] = "public"
    return render(request, "web/home.html", context)


def health(request: HttpRequest) -> HttpResponse:
    """Liveness and database check for load balancers (plain http allowed, no login).

    The read replica's state is reported but does not fail the check: when it is down or
    behind, reads fall back to the primary (`replica.serving_reads` false)."""
    from django.db import connection
    from django.http import JsonResponse

    from tinhso.core import replica

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # the point of a health check is to report, not to raise
        return JsonResponse({"status": "error", "database": False}, status=503)
    return JsonResponse({"status": "ok", "database": True, "replica": replica.state().as_health()})


# Error handlers of the root URLconf: the API answers `{"code", "message"}` JSON, pages
# answer the platform's HTML error pages (templates 400/403/404/500.html).


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api_path(request.path):
        return api_error_response(400)
    return defaults.bad_request(request, exception or Exception())


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api_path(request.path):
        return api_error_response(403)
    return defaults.permission_denied(request, exception or Exception())


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api_path(request.path):
        return api_error_response(404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    import sys

    from tinhso.core.faults import fault_response

    # A database or disk fault raised in a middleware (session, user) comes here, not
    # to FaultMiddleware: it is a 503/507, not a 500 (see tinhso.core.faults).
    fault = fault_response(request, sys.exc_info()[1])
    if fault is not None:
        return fault
    if is_api_path(request.path):
        return api_error_response(500)
    return defaults.server_error(request)
