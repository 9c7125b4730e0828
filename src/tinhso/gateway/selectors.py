"""Reads of the gateway's control plane (pages and API)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from tinhso.accounts.models import Role
from tinhso.accounts.rules import is_platform_admin, visible_agency_filter
from tinhso.directory.models import Agency
from tinhso.gateway.errors import ConsumerNotFound, ProviderNotFound, ServiceNotFound
from tinhso.gateway.models import (
    AccessRequest,
    AccessRight,
    Consumer,
    Endpoint,
    MessageLog,
    Provider,
    Service,
)


def get_provider(code: str) -> Provider:
    provider = Provider.objects.select_related("agency").filter(code=code).first()
    if provider is None:
        raise ProviderNotFound()
    return provider


def get_service(provider_code: str, code: str) -> Service:
    service = (
        Service.objects.select_related("provider", "provider__agency")
        .filter(provider__code=provider_code, code=code)
        .first()
    )
    if service is None:
        raise ServiceNotFound()
    return service


def get_consumer(code: str) -> Consumer:
    consumer = Consumer.objects.select_related("agency").filter(code=code).first()
    if consumer is None:
        raise ConsumerNotFound()
    return consumer


def admin_agencies(user) -> QuerySet[Agency]:
    return Agency.objects.filter(visible_agency_filter(user, {Role.AGENCY_ADMIN}))


def catalogue(*, q: str = "") -> QuerySet[Service]:
    """Services callers can discover: everything not a draft."""
    qs = Service.objects.exclude(status=Service.Status.DRAFT).select_related(
        "provider", "provider__agency"
    )
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(code__icontains=q) | Q(provider__code=q))
    return qs.order_by("provider__code", "code")


def providers_for(user) -> QuerySet[Provider]:
    qs = Provider.objects.select_related("agency")
    if is_platform_admin(user):
        return qs
    return qs.filter(agency__in=admin_agencies(user))


def consumers_for(user) -> QuerySet[Consumer]:
    qs = Consumer.objects.select_related("agency")
    if is_platform_admin(user):
        return qs
    return qs.filter(agency__in=admin_agencies(user))


def upstream_header_names(service: Service) -> list[str]:
    """The names of the credentials the gateway adds for the provider (never the values)."""
    import json

    from tinhso.gateway.crypto import decrypt

    if not service.upstream_headers_encrypted:
        return []
    try:
        return sorted(json.loads(decrypt(service.upstream_headers_encrypted)))
    except ValueError:
        return []


def covering_rights(service: Service, endpoint: Endpoint | None = None) -> Q:
    """The rights of a service that already cover `endpoint` (or the whole service): the
    whole service's, and the endpoint's own when one is named. Filter AccessRight by it."""
    covering = Q(service=service, endpoint__isnull=True)
    if endpoint is not None:
        covering |= Q(service=service, endpoint=endpoint)
    return covering


def holds_right(consumer: Consumer, service: Service, endpoint: Endpoint | None = None) -> bool:
    """Whether the consumer, directly or through one of its groups, may already call it."""
    return (
        AccessRight.objects.filter(covering_rights(service, endpoint))
        .filter(Q(consumer=consumer) | Q(group__members=consumer))
        .exists()
    )


def consumers_that_may_ask(user, service: Service) -> list[Consumer]:
    """The user's consumers that can still ask for the whole service: not those that may
    already call it, nor those with a request waiting for the provider."""
    waiting = AccessRequest.objects.filter(
        service=service, status=AccessRequest.Status.ASKED
    ).values("consumer_id")
    granted = AccessRight.objects.filter(covering_rights(service))
    direct = granted.filter(consumer__isnull=False).values("consumer_id")
    # (never a NULL in NOT IN: it would exclude every consumer)
    via_group = granted.filter(group__members__isnull=False).values("group__members")
    return list(
        consumers_for(user)
        .exclude(pk__in=waiting)
        .exclude(pk__in=direct)
        .exclude(pk__in=via_group)
        .order_by("code")
    )


def requests_for(user) -> QuerySet[AccessRequest]:
    qs = AccessRequest.objects.select_related(
        "consumer", "service", "service__provider", "endpoint"
    )
    if is_platform_admin(user):
        return qs
    agencies = admin_agencies(user)
    return qs.filter(Q(service__provider__agency__in=agencies) | Q(consumer__agency__in=agencies))


def log_for(user) -> QuerySet[MessageLog]:
    """Records a user may see: all for platform admins; otherwise the calls of their
    agencies' consumers and to their agencies' providers (X-Road: owner sees own)."""
    qs = MessageLog.objects.all()
    if is_platform_admin(user):
        return qs
    agencies = admin_agencies(user)
    providers = list(Provider.objects.filter(agency__in=agencies).values_list("code", flat=True))
    consumers = list(Consumer.objects.filter(agency__in=agencies).values_list("code", flat=True))
    return qs.filter(Q(provider_code__in=providers) | Q(consumer_code__in=consumers))


def search_log(
    qs: QuerySet[MessageLog],
    *,
    consumer: str = "",
    service: str = "",
    result: str = "",
    request_id: str = "",
    issue: str = "",
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> QuerySet[MessageLog]:
    if consumer:
        qs = qs.filter(consumer_code=consumer)
    if service:
        provider, _, code = service.partition("/")
        qs = qs.filter(provider_code=provider)
        if code:
            qs = qs.filter(service_code=code)
    if result == "ok":
        qs = qs.filter(result="ok")
    elif result == "failed":
        qs = qs.exclude(result="ok")
    elif result:
        qs = qs.filter(result=result)
    if request_id:
        qs = qs.filter(request_id=request_id)
    if issue:
        qs = qs.filter(issue=issue)
    if since:
        qs = qs.filter(started_at__gte=since)
    if until:
        qs = qs.filter(started_at__lt=until)
    return qs.order_by("-seq")


def overview() -> dict[str, Any]:
    since = timezone.now() - dt.timedelta(hours=24)
    return {
        "providers": Provider.objects.count(),
        "services": Service.objects.count(),
        "enabled": Service.objects.filter(status=Service.Status.ENABLED).count(),
        "consumers": Consumer.objects.count(),
        "pending_requests": AccessRequest.objects.filter(status=AccessRequest.Status.ASKED).count(),
        "calls_24h": MessageLog.objects.filter(started_at__gte=since).count(),
        "failed_24h": MessageLog.objects.filter(started_at__gte=since).exclude(result="ok").count(),
    }
