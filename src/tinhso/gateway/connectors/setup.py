"""Registering the national systems as providers and tinhso as their consumer, through
the same services an administrator uses (URLs and credentials are configuration)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from tinhso.gateway import services
from tinhso.gateway.connectors import docaxis, population, portal
from tinhso.gateway.models import AccessRight, Consumer, Provider, Service

CONSUMER = "tinhso-connectors"


def _service(*, actor, agency, provider_code, provider_name, code, title, url, token) -> Service:
    provider = Provider.objects.filter(code=provider_code).first() or services.create_provider(
        actor=actor,
        code=provider_code,
        name=provider_name,
        agency=agency,
        contact_name="Đầu mối kỹ thuật hệ thống quốc gia",
    )
    service = Service.objects.filter(provider=provider, code=code).first()
    if service is None:
        service = services.publish_service(
            actor=actor, provider=provider, code=code, base_url=url, title=title, timeout_ms=10_000
        )
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    services.update_service(actor=actor, service=service, base_url=url, upstream_headers=headers)
    if service.status != Service.Status.ENABLED:
        services.enable_service(actor=actor, service=service)
    return service


@transaction.atomic
def connect_national(
    *,
    actor: Any,
    agency: Any,
    portal_url: str = "",
    portal_token: str = "",
    population_url: str = "",
    population_token: str = "",
    axis_url: str = "",
    axis_token: str = "",
) -> str:
    """Publish the national systems given a URL as services (a stub contract each, see
    their modules) and give tinhso's consumer a right and a new key, returned once: set
    it as GATEWAY_CONNECTOR_KEY."""
    national = [  # (its connector module, provider, service title, URL, credential)
        (portal, "Cổng Dịch vụ công quốc gia", "Đồng bộ hồ sơ thủ tục hành chính",
         portal_url, portal_token),
        (population, "Cơ sở dữ liệu quốc gia về dân cư", "Tra cứu thông tin công dân",
         population_url, population_token),
        (docaxis, "Trục liên thông văn bản quốc gia", "Gửi gói tin văn bản điện tử (edXML)",
         axis_url, axis_token),
    ]  # fmt: skip
    made = [
        _service(
            actor=actor,
            agency=agency,
            provider_code=module.PROVIDER,
            provider_name=provider_name,
            code=module.SERVICE,
            title=title,
            url=url,
            token=token,
        )
        for module, provider_name, title, url, token in national
        if url
    ]
    consumer = Consumer.objects.filter(code=CONSUMER).first() or services.create_consumer(
        actor=actor,
        code=CONSUMER,
        name="Kết nối quốc gia của tinhso",
        agency=agency,
        contact_name="Quản trị nền tảng",
        rate_per_minute=6000,
        quota_per_day=10_000_000,
    )
    for service in made:
        if not AccessRight.objects.filter(service=service, consumer=consumer).exists():
            services.grant_right(actor=actor, service=service, consumer=consumer)
    _, key = services.issue_key(actor=actor, consumer=consumer, name="connectors")
    return key
