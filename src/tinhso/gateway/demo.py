"""Demo data of the gateway app, loaded by `tinhso demo` through the app's services.

The province's IT department (Sở Khoa học và Công nghệ after the 2025 reform) runs the
platform and publishes tinhso's own APIs as provider `tinhso`; the finance department's
accounting system asks for the one-stop and directory services, the provider approves,
and the consumer gets a key (printed once, as the pages show it once).
"""

from __future__ import annotations

from tinhso.accounts.models import User
from tinhso.core.site import site_url
from tinhso.directory.models import Agency
from tinhso.gateway import ownapi, services
from tinhso.gateway.models import AccessRequest, Provider


def _user(username: str) -> User | None:
    return User.objects.filter(username=username).first()


def load(step) -> None:
    if Provider.objects.filter(code="tinhso").exists():
        step.write("  LGSP: đã nạp từ trước")
        return
    it_admin = _user("quantri.skhcn") or _user("admin")
    finance_admin = _user("quantri.stc") or _user("admin")
    if it_admin is None or finance_admin is None:
        step.write("  LGSP: không có tài khoản quản trị mẫu; bỏ qua")
        return
    it_agency = Agency.objects.filter(role_grants__user=it_admin).first()
    finance = Agency.objects.filter(role_grants__user=finance_admin).first()
    site = site_url() or "http://127.0.0.1:8000"
    provider = services.create_provider(
        actor=it_admin,
        code="tinhso",
        name="Nền tảng chính quyền số tinhso",
        agency=it_agency,
        contact_name="Quản trị hệ thống",
        contact_email=it_agency.email if it_agency else "",
        description="Các API của chính nền tảng, công bố qua LGSP như mọi hệ thống khác.",
    )
    schema = ownapi.project_schema()
    published = []
    for app in ownapi.OWN_APIS:
        text = ownapi.app_description(schema, app, site)
        if text is None:
            continue
        service = services.publish_service(
            actor=it_admin, provider=provider, code=app, openapi_text=text, timeout_ms=15_000
        )
        services.enable_service(actor=it_admin, service=service)
        published.append(service)
    consumer = services.create_consumer(
        actor=finance_admin,
        code="ketoan-stc",
        name="Phần mềm kế toán ngân sách Sở Tài chính",
        agency=finance,
        contact_name="Quản trị hệ thống Sở Tài chính",
        contact_email=finance.email if finance else "",
        rate_per_minute=600,
        quota_per_day=50_000,
    )
    for service in published[:2]:
        request = services.request_access(
            actor=finance_admin,
            consumer=consumer,
            service=service,
            reason="Đối chiếu hồ sơ, cơ quan khi lập chứng từ thu phí, lệ phí.",
        )
        services.decide_request(actor=it_admin, request=request, approve=True)
    if len(published) > 2:
        services.request_access(
            actor=finance_admin,
            consumer=consumer,
            service=published[2],
            reason="Tổng hợp số liệu văn bản phục vụ báo cáo.",
        )
    _, key = services.issue_key(actor=finance_admin, consumer=consumer, name="demo")
    pending = AccessRequest.objects.filter(status=AccessRequest.Status.ASKED).count()
    step.write(
        f"  LGSP: {len(published)} dịch vụ của tinhso, 1 hệ thống khai thác, "
        f"{pending} đề nghị chờ duyệt; khóa API mẫu của ketoan-stc: {key}"
    )
