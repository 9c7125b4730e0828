"""The data plane's view of the configuration: one immutable snapshot read from the
database in a few queries, swapped whole when `ConfigVersion` moves.

The data plane never reads the database on a call: if the database is unavailable it
keeps serving with the last snapshot and says so in `/health`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count
from django.utils import timezone

from tinhso.gateway import models as m


@dataclass(frozen=True)
class EndpointConf:
    id: int
    method: str
    template: str
    regex: re.Pattern[str]


@dataclass(frozen=True)
class ServiceConf:
    id: int
    provider: str
    code: str
    title: str
    version: str
    status: str
    notice: str
    base_url: str
    timeout_s: float
    log_bodies: bool
    extra_headers: tuple[tuple[bytes, bytes], ...]  # as sent to the provider
    endpoints: tuple[EndpointConf, ...]
    openapi_text: str
    # derived once per snapshot for the data plane's calls
    label: str = field(init=False)  # "provider/service", as in the metrics
    header: tuple[bytes, bytes] = field(init=False)  # X-Tinhso-Service on the answer

    def __post_init__(self) -> None:
        label = f"{self.provider}/{self.code}"
        object.__setattr__(self, "label", label)
        object.__setattr__(self, "header", (b"x-tinhso-service", label.encode()))

    def match(self, method: str, path: str) -> EndpointConf | None:
        for endpoint in self.endpoints:
            if endpoint.method == method and endpoint.regex.match(path):
                return endpoint
        return None


@dataclass(frozen=True)
class ConsumerConf:
    id: int
    code: str
    active: bool
    rate_per_minute: int
    quota_per_day: int


@dataclass
class Snapshot:
    version: int = -1
    loaded_at: dt.datetime | None = None
    services: dict[tuple[str, str], ServiceConf] = field(default_factory=dict)
    consumers: dict[str, ConsumerConf] = field(default_factory=dict)
    keys: dict[str, tuple[str, float | None]] = field(default_factory=dict)  # hash → code, exp
    certificates: dict[str, str] = field(default_factory=dict)  # fingerprint → consumer code
    # (consumer code, service id, endpoint id or 0 for the whole service)
    rights: frozenset[tuple[str, int, int]] = frozenset()
    calls_today: dict[str, int] = field(default_factory=dict)

    def allowed(self, consumer: str, service: ServiceConf, endpoint: EndpointConf | None) -> bool:
        if (consumer, service.id, 0) in self.rights:
            return True
        return endpoint is not None and (consumer, service.id, endpoint.id) in self.rights


def template_regex(template: str) -> re.Pattern[str]:
    """`/dossiers/{code}/events` → a regex matching one segment per parameter."""
    parts = re.split(r"(\{[^/{}]+\})", template)
    pattern = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(f"^{pattern}/?$")


def current_version() -> int:
    row = m.ConfigVersion.objects.filter(pk=1).values_list("version", flat=True).first()
    return int(row or 0)


def load_snapshot(*, with_counts: bool = True) -> Snapshot:
    from tinhso.gateway.crypto import decrypt

    version = current_version()
    endpoints: dict[int, list[EndpointConf]] = {}
    for e in m.Endpoint.objects.values("id", "service_id", "method", "path"):
        endpoints.setdefault(e["service_id"], []).append(
            EndpointConf(e["id"], e["method"], e["path"], template_regex(e["path"]))
        )
    services = {}
    for s in m.Service.objects.select_related("provider"):
        headers: tuple[tuple[bytes, bytes], ...] = ()
        if s.upstream_headers_encrypted:
            try:
                headers = tuple(
                    (str(k).encode(), str(v).encode())
                    for k, v in json.loads(decrypt(s.upstream_headers_encrypted)).items()
                )
            except ValueError:
                headers = ()
        services[(s.provider.code, s.code)] = ServiceConf(
            id=s.pk,
            provider=s.provider.code,
            code=s.code,
            title=s.title,
            version=s.version,
            status=s.status,
            notice=s.disabled_notice,
            base_url=s.base_url.rstrip("/"),
            timeout_s=s.timeout_ms / 1000,
            log_bodies=s.log_bodies,
            extra_headers=headers,
            endpoints=tuple(
                sorted(
                    endpoints.get(s.pk, []),
                    key=lambda e: (e.template.count("{"), -len(e.template)),
                )
            ),
            openapi_text=s.openapi_text,
        )
    consumers = {
        c.code: ConsumerConf(c.pk, c.code, c.is_active, c.rate_per_minute, c.quota_per_day)
        for c in m.Consumer.objects.all()
    }
    code_of = {c.id: c.code for c in consumers.values()}
    keys = {}
    for k in m.ApiKey.objects.filter(revoked_at__isnull=True).values(
        "key_hash", "consumer_id", "expires_at"
    ):
        expires = k["expires_at"].timestamp() if k["expires_at"] else None
        keys[k["key_hash"]] = (code_of[k["consumer_id"]], expires)
    now = timezone.now()
    certificates = {
        fp: code_of[cid]
        for fp, cid in m.ClientCertificate.objects.filter(
            revoked_at__isnull=True, not_after__gt=now
        ).values_list("fingerprint", "consumer_id")
    }
    members: dict[int, list[int]] = {}
    for group_id, consumer_id in m.ConsumerGroup.members.through.objects.values_list(
        "consumergroup_id", "consumer_id"
    ):
        members.setdefault(group_id, []).append(consumer_id)
    rights = set()
    for r in m.AccessRight.objects.values("service_id", "endpoint_id", "consumer_id", "group_id"):
        subjects = [r["consumer_id"]] if r["consumer_id"] else members.get(r["group_id"], [])
        for consumer_id in subjects:
            rights.add((code_of[consumer_id], r["service_id"], r["endpoint_id"] or 0))
    calls_today: dict[str, int] = {}
    if with_counts:
        start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
        calls_today = dict(
            m.MessageLog.objects.filter(started_at__gte=start, result="ok")
            .values("consumer_code")
            .annotate(n=Count("seq"))
            .values_list("consumer_code", "n")
        )
    return Snapshot(
        version=version,
        loaded_at=now,
        services=services,
        consumers=consumers,
        keys=keys,
        certificates=certificates,
        rights=frozenset(rights),
        calls_today=calls_today,
    )


def describe(snapshot: Snapshot) -> dict[str, Any]:
    return {
        "version": snapshot.version,
        "services": len(snapshot.services),
        "consumers": len(snapshot.consumers),
        "loaded_at": snapshot.loaded_at.isoformat() if snapshot.loaded_at else None,
    }
