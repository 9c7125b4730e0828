"""Pages of the gateway's control plane (thin: forms → services, selectors → templates)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from tinhso.accounts.rules import can, is_platform_admin
from tinhso.core.errors import DomainError, PermissionDenied
from tinhso.core.pagination import paginate
from tinhso.core.text import vi_sort_key
from tinhso.gateway import forms, health, selectors, services
from tinhso.gateway.models import AccessRequest, Service


def _error_page(request: HttpRequest, err: DomainError) -> HttpResponse:
    return render(request, "gateway/error.html", {"error": err}, status=err.status)


def page(view: Callable) -> Callable:
    """Officials only; a domain error (not found, permission) is a page, not a 500."""

    @login_required
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            if not can(request.user, "gateway.view"):
                raise PermissionDenied(
                    _("Nền tảng tích hợp dành cho cán bộ quản trị hệ thống thông tin.")
                )
            return view(request, *args, **kwargs)
        except DomainError as err:
            return _error_page(request, err)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def _run(request: HttpRequest, fn: Callable[[], Any], success: str) -> Any:
    try:
        result = fn()
    except DomainError as err:
        messages.error(request, err.message)
        return None
    messages.success(request, success)
    return result if result is not None else True


def gateway_url() -> str:
    configured = getattr(settings, "GATEWAY_URL", "")
    if configured:
        return configured.rstrip("/")
    import os

    port = int(os.environ.get("PORT", "8000")) + 1
    return f"http://127.0.0.1:{port}"


@require_GET
@page
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "gateway/home.html",
        {
            "overview": selectors.overview(),
            "health": health.stats(by="service"),
            "is_admin": can(request.user, "gateway.view_log"),
            "gateway_url": gateway_url(),
        },
    )


@require_GET
@page
def catalogue(request: HttpRequest) -> HttpResponse:
    q = (request.GET.get("q") or "").strip()[:100]
    items = sorted(selectors.catalogue(q=q), key=lambda s: vi_sort_key(s.title))
    return render(
        request,
        "gateway/catalogue.html",
        {"page": paginate(request, items, 25), "q": q},
    )


@page
def service_detail(request: HttpRequest, provider: str, service: str) -> HttpResponse:
    svc = selectors.get_service(provider, service)
    manage = can(request.user, "gateway.manage_service", svc)
    if svc.status == Service.Status.DRAFT and not manage:
        raise selectors.ServiceNotFound()
    my_consumers = list(selectors.consumers_for(request.user)) if request.user else []
    may_ask = selectors.consumers_that_may_ask(request.user, svc) if my_consumers else []
    endpoints = list(svc.endpoints.all())
    grant_form = forms.GrantForm(endpoints=endpoints)
    request_form = forms.RequestAccessForm(consumers=may_ask)
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "enable":
            _run(
                request,
                lambda: services.enable_service(actor=request.user, service=svc),
                _("Đã mở dịch vụ."),
            )
        elif action == "disable":
            notice = str(request.POST.get("notice", ""))
            _run(
                request,
                lambda: services.disable_service(actor=request.user, service=svc, notice=notice),
                _("Đã tạm ngừng dịch vụ."),
            )
        elif action == "settings":
            settings_form = forms.ServiceSettingsForm(request.POST)
            if settings_form.is_valid():
                data = settings_form.cleaned_data
                headers = {} if data["clear_upstream_headers"] else data["upstream_headers"]
                _run(
                    request,
                    lambda: services.update_service(
                        actor=request.user,
                        service=svc,
                        timeout_ms=data["timeout_ms"],
                        log_bodies=data["log_bodies"],
                        upstream_headers=headers,
                    ),
                    _("Đã lưu thiết lập."),
                )
            else:
                messages.error(
                    request,
                    _("Thiết lập không hợp lệ: %(errors)s")
                    % {
                        "errors": " ".join(
                            str(e) for es in settings_form.errors.values() for e in es
                        )
                    },
                )
        elif action == "grant":
            grant_form = forms.GrantForm(request.POST, endpoints=endpoints)
            if grant_form.is_valid():
                data = grant_form.cleaned_data

                def grant():
                    consumer = selectors.get_consumer(data["consumer"].strip())
                    endpoint = next((e for e in endpoints if e.pk == data["endpoint"]), None)
                    return services.grant_right(
                        actor=request.user, service=svc, consumer=consumer, endpoint=endpoint
                    )

                _run(request, grant, _("Đã cấp quyền truy cập."))
        elif action == "revoke":
            right = svc.rights.filter(pk=_int(request.POST.get("right"))).first()
            if right is not None:
                _run(
                    request,
                    lambda: services.revoke_right(actor=request.user, right=right),
                    _("Đã thu hồi quyền."),
                )
        elif action == "request":
            request_form = forms.RequestAccessForm(request.POST, consumers=may_ask)
            if request_form.is_valid():
                data = request_form.cleaned_data
                _run(
                    request,
                    lambda: services.request_access(
                        actor=request.user,
                        consumer=selectors.get_consumer(data["consumer"]),
                        service=svc,
                        reason=data["reason"],
                    ),
                    _("Đã gửi đề nghị; hệ thống cung cấp trả lời trong 5 ngày làm việc."),
                )
            else:
                messages.error(request, _("Cần chọn hệ thống và ghi mục đích sử dụng."))
        return redirect("gateway:service", provider=provider, service=service)
    since = timezone.now() - dt.timedelta(hours=24)
    stats = health.stats(by="service", since=since, provider_code=provider, service_code=service)
    return render(
        request,
        "gateway/service.html",
        {
            "service": svc,
            "endpoints": endpoints,
            "rights": svc.rights.select_related("consumer", "group", "endpoint"),
            "manage": manage,
            "grant_form": grant_form,
            "request_form": request_form,
            "my_consumers": my_consumers,
            "may_ask": may_ask,
            # the call shown: one a plain curl can make as it is (a GET without parameters)
            "example": next(
                (e for e in endpoints if e.method == "GET" and "{" not in e.path),
                endpoints[0] if endpoints else None,
            ),
            "settings_form": forms.ServiceSettingsForm(
                initial={"timeout_ms": svc.timeout_ms, "log_bodies": svc.log_bodies}
            ),
            "upstream_header_names": selectors.upstream_header_names(svc) if manage else [],
            "stats": stats,
            "alerts": svc.alerts.filter(closed_at__isnull=True),
            "gateway_url": gateway_url(),
        },
    )


def _uuid(value: Any) -> str:
    import uuid

    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return "00000000-0000-0000-0000-000000000000"


def _int(value: Any) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return 0


@require_GET
@page
def service_openapi(request: HttpRequest, provider: str, service: str) -> HttpResponse:
    svc = selectors.get_service(provider, service)
    if svc.status == Service.Status.DRAFT and not can(request.user, "gateway.manage_service", svc):
        raise selectors.ServiceNotFound()
    response = HttpResponse(svc.openapi_text or "{}", content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{provider}-{service}-openapi.json"'
    return response


@page
def service_refresh(request: HttpRequest, provider: str, service: str) -> HttpResponse:
    svc = selectors.get_service(provider, service)
    if not can(request.user, "gateway.manage_service", svc):
        raise PermissionDenied()
    text = request.POST.get("openapi_text") or None
    if request.method == "POST" and request.POST.get("confirm"):
        done = _run(
            request,
            lambda: services.refresh_service(
                actor=request.user, service=svc, openapi_text=text, confirm=request.POST["confirm"]
            ),
            _("Đã cập nhật mô tả dịch vụ."),
        )
        if done:
            return redirect("gateway:service", provider=provider, service=service)
    try:
        spec, diff = services.preview_refresh(service=svc, openapi_text=text)
    except DomainError as err:
        messages.error(request, err.message)
        return redirect("gateway:service", provider=provider, service=service)
    if diff.empty and request.method == "POST":
        _run(
            request,
            lambda: services.refresh_service(actor=request.user, service=svc, openapi_text=text),
            _("Mô tả không thay đổi điểm cuối nào; đã cập nhật."),
        )
        return redirect("gateway:service", provider=provider, service=service)
    return render(
        request,
        "gateway/refresh.html",
        {"service": svc, "spec": spec, "diff": diff, "openapi_text": text or ""},
    )


@page
def providers(request: HttpRequest) -> HttpResponse:
    agencies = selectors.admin_agencies(request.user)
    form = forms.ProviderForm(request.POST or None, agencies=agencies)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        created = _run(
            request,
            lambda: services.create_provider(actor=request.user, **data),
            _("Đã đăng ký hệ thống cung cấp."),
        )
        if created:
            return redirect("gateway:provider", code=created.code)
    items = selectors.providers_for(request.user)
    return render(
        request,
        "gateway/providers.html",
        {
            "page": paginate(request, items.order_by("code"), 25),
            "form": form,
            "can_create": agencies.exists(),
        },
    )


@page
def provider_detail(request: HttpRequest, code: str) -> HttpResponse:
    provider = selectors.get_provider(code)
    manage = can(request.user, "gateway.manage_provider", provider)
    form = forms.PublishForm(request.POST or None)
    if request.method == "POST":
        if not manage:
            raise PermissionDenied()
        if form.is_valid():
            data = form.cleaned_data
            created = _run(
                request,
                lambda: services.publish_service(
                    actor=request.user,
                    provider=provider,
                    code=data["code"],
                    openapi_url=data["openapi_url"],
                    openapi_text=data["openapi_text"] or None,
                    base_url=data["base_url"],
                    title=data["title"],
                    timeout_ms=data["timeout_ms"],
                ),
                _("Đã công bố dịch vụ (đang ở trạng thái nháp, chưa ai gọi được)."),
            )
            if created:
                return redirect("gateway:service", provider=code, service=created.code)
    services_qs = provider.services.all()
    if not manage:
        services_qs = services_qs.exclude(status=Service.Status.DRAFT)
    return render(
        request,
        "gateway/provider.html",
        {"provider": provider, "services": services_qs, "form": form, "manage": manage},
    )


@page
def consumers(request: HttpRequest) -> HttpResponse:
    agencies = selectors.admin_agencies(request.user)
    form = forms.ConsumerForm(request.POST or None, agencies=agencies)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        data.pop("contact_phone", None)
        created = _run(
            request,
            lambda: services.create_consumer(actor=request.user, **data),
            _("Đã đăng ký hệ thống khai thác."),
        )
        if created:
            return redirect("gateway:consumer", code=created.code)
    items = selectors.consumers_for(request.user).order_by("code")
    return render(
        request,
        "gateway/consumers.html",
        {"page": paginate(request, items, 25), "form": form, "can_create": agencies.exists()},
    )


@page
def consumer_detail(request: HttpRequest, code: str) -> HttpResponse:
    consumer = selectors.get_consumer(code)
    if not can(request.user, "gateway.manage_consumer", consumer):
        raise PermissionDenied()
    new_key = None
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "issue":
            name = str(request.POST.get("name", ""))
            issued = _run(
                request,
                lambda: services.issue_key(actor=request.user, consumer=consumer, name=name),
                _("Đã cấp khóa API. Hãy sao chép ngay: khóa chỉ hiện một lần."),
            )
            if issued:
                new_key = issued[1]
        elif action in ("revoke", "rotate"):
            key = consumer.keys.filter(uid=_uuid(request.POST.get("key"))).first()
            if key is not None and action == "revoke":
                _run(
                    request,
                    lambda: services.revoke_key(actor=request.user, key=key),
                    _("Đã thu hồi khóa."),
                )
            elif key is not None:
                rotated = _run(
                    request,
                    lambda: services.rotate_key(
                        actor=request.user, key=key, overlap_hours=_int(request.POST.get("overlap"))
                    ),
                    _("Đã thay khóa. Hãy sao chép khóa mới ngay: khóa chỉ hiện một lần."),
                )
                if rotated:
                    new_key = rotated[1]
        elif action == "limits":
            form = forms.LimitsForm(request.POST)
            if form.is_valid():
                _run(
                    request,
                    lambda: services.set_limits(
                        actor=request.user, consumer=consumer, **form.cleaned_data
                    ),
                    _("Đã lưu giới hạn."),
                )
            else:
                messages.error(request, _("Giới hạn không hợp lệ."))
        elif action == "certificate":
            pem = request.POST.get("pem", "")
            _run(
                request,
                lambda: services.add_certificate(actor=request.user, consumer=consumer, pem=pem),
                _("Đã đăng ký chứng thư."),
            )
        if new_key is None:
            return redirect("gateway:consumer", code=code)
    return render(
        request,
        "gateway/consumer.html",
        {
            "consumer": consumer,
            "keys": consumer.keys.all(),
            "certificates": consumer.certificates.all(),
            "rights": consumer.rights.select_related("service", "service__provider", "endpoint"),
            "requests": consumer.requests.select_related("service", "service__provider"),
            "limits_form": forms.LimitsForm(
                initial={
                    "rate_per_minute": consumer.rate_per_minute,
                    "quota_per_day": consumer.quota_per_day,
                }
            ),
            "new_key": new_key,
            "gateway_url": gateway_url(),
            # the data plane reads keys with the rest of its configuration, this often
            "refresh_seconds": max(1, round(settings.GATEWAY_CONFIG_REFRESH_SECONDS)),
        },
    )


@page
def requests_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        item = (
            selectors.requests_for(request.user)
            .filter(uid=_uuid(request.POST.get("request")))
            .first()
        )
        form = forms.DecideForm(request.POST)
        if item is not None and form.is_valid():
            approve = form.cleaned_data["decision"] == "approve"
            _run(
                request,
                lambda: services.decide_request(
                    actor=request.user,
                    request=item,
                    approve=approve,
                    note=form.cleaned_data["note"],
                ),
                _("Đã chấp thuận; quyền truy cập đã được cấp.") if approve else _("Đã từ chối."),
            )
        return redirect("gateway:requests")
    items = selectors.requests_for(request.user)
    rows = [
        (
            r,
            can(request.user, "gateway.decide_request", r)
            and r.status == AccessRequest.Status.ASKED,
        )
        for r in items
    ]
    return render(
        request,
        "gateway/requests.html",
        {"page": paginate(request, rows, 25), "now": timezone.now()},
    )


@require_GET
@page
def log_search(request: HttpRequest) -> HttpResponse:
    if not can(request.user, "gateway.view_log"):
        raise PermissionDenied()
    form = forms.LogSearchForm(request.GET or None)
    qs = selectors.log_for(request.user)
    if form.is_valid():
        data = form.cleaned_data
        tz = timezone.get_current_timezone()
        qs = selectors.search_log(
            qs,
            consumer=data["consumer"].strip(),
            service=data["service"].strip(),
            result=data["result"],
            request_id=data["request_id"].strip(),
            issue=data["issue"].strip(),
            since=dt.datetime.combine(data["since"], dt.time(), tz) if data["since"] else None,
            until=(
                dt.datetime.combine(data["until"] + dt.timedelta(days=1), dt.time(), tz)
                if data["until"]
                else None
            ),
        )
    else:
        qs = qs.order_by("-seq")
    return render(request, "gateway/log.html", {"form": form, "page": paginate(request, qs, 50)})


@require_GET
@page
def monitoring(request: HttpRequest) -> HttpResponse:
    if not can(request.user, "gateway.view_log"):
        raise PermissionDenied()
    hours = 24 if request.GET.get("window") != "7d" else 24 * 7
    since = timezone.now() - dt.timedelta(hours=hours)
    visible = selectors.log_for(request.user)
    filters: dict[str, Any] = {}
    if not is_platform_admin(request.user):
        filters["seq__in"] = visible.values("seq")
    from tinhso.gateway.models import HealthAlert

    return render(
        request,
        "gateway/monitoring.html",
        {
            "by_service": health.stats(by="service", since=since, **filters),
            "by_consumer": health.stats(by="consumer", since=since, **filters),
            "alerts": HealthAlert.objects.filter(closed_at__isnull=True).select_related(
                "service", "service__provider"
            ),
            "window": "7d" if hours > 24 else "24h",
            "gateway_url": gateway_url(),
        },
    )
