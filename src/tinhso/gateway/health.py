"""Health of services from the message log (X-Road's health data: success and failure
counts, min/avg/max duration, last success and failure) and alerts when a service keeps
failing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Avg, Count, Max, Min, Q
from django.utils import timezone

from tinhso.gateway.models import HealthAlert, MessageLog, Service


@dataclass
class Health:
    key: str
    calls: int
    ok: int
    failed: int
    min_ms: float | None
    avg_ms: float | None
    max_ms: float | None
    last_call: dt.datetime | None
    last_failure: dt.datetime | None

    @property
    def failure_rate(self) -> float:
        return (self.failed / self.calls) if self.calls else 0.0


def stats(*, by: str = "service", since: dt.datetime | None = None, **filters: Any) -> list[Health]:
    """Per service (`provider/service`) or per consumer, over the log since `since`."""
    since = since or timezone.now() - dt.timedelta(hours=24)
    keys = ["provider_code", "service_code"] if by == "service" else ["consumer_code"]
    rows = (
        MessageLog.objects.filter(started_at__gte=since, **filters)
        .values(*keys)
        .annotate(
            calls=Count("seq"),
            ok=Count("seq", filter=Q(result="ok")),
            min_ms=Min("duration_ms"),
            avg_ms=Avg("duration_ms"),
            max_ms=Max("duration_ms"),
            last_call=Max("started_at"),
            last_failure=Max("started_at", filter=~Q(result="ok")),
        )
        .order_by(*keys)
    )
    result = []
    for row in rows:
        key = "/".join(row[k] or "-" for k in keys)
        result.append(
            Health(
                key=key,
                calls=row["calls"],
                ok=row["ok"],
                failed=row["calls"] - row["ok"],
                min_ms=row["min_ms"],
                avg_ms=row["avg_ms"],
                max_ms=row["max_ms"],
                last_call=row["last_call"],
                last_failure=row["last_failure"],
            )
        )
    return result


def alert_threshold() -> int:
    return int(getattr(settings, "GATEWAY_ALERT_FAILURES", 5))


def check_alerts() -> list[HealthAlert]:
    """Open an alert (and tell the provider's contact and the platform admins) when the
    last N calls of an enabled service all failed on the provider's side; close it on
    the next success."""
    threshold = alert_threshold()
    raised = []
    services = Service.objects.filter(status=Service.Status.ENABLED).select_related("provider")
    for service in services:
        last = list(
            MessageLog.objects.filter(
                provider_code=service.provider.code, service_code=service.code
            )
            .exclude(error_source__in=["consumer"])
            .order_by("-seq")
            .values_list("result", "error_source")[:threshold]
        )
        if not last:
            continue
        open_alert = service.alerts.filter(closed_at__isnull=True).first()
        failing = len(last) >= threshold and all(src == "provider" for _, src in last)
        if failing and open_alert is None:
            with transaction.atomic():
                alert = HealthAlert.objects.create(
                    service=service, failures=len(last), last_error=last[0][0]
                )
                _notify(service, alert)
            raised.append(alert)
        elif not failing and last[0][0] == "ok" and open_alert is not None:
            open_alert.closed_at = timezone.now()
            open_alert.save(update_fields=["closed_at"])
    return raised


def _notify(service: Service, alert: HealthAlert) -> None:
    from tinhso.accounts.models import Role, User
    from tinhso.notify.services import enqueue

    addresses = {service.contact_email or service.provider.contact_email}
    admins = User.objects.filter(
        Q(is_superuser=True) | Q(role_grants__role=Role.PLATFORM_ADMIN), is_active=True
    ).exclude(email="")
    addresses |= set(admins.values_list("email", flat=True))
    for address in sorted(a for a in addresses if a):
        enqueue(
            channel="email",
            address=address,
            template="gateway/service_failing",
            context={"service": service, "alert": alert},
            related_object=f"gateway.service:{service.uid}",
        )
