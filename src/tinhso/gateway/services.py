"""Write use-cases of the gateway's control plane. Each runs in one transaction, checks
permission, writes the audit trail and bumps the configuration version the data plane
watches (`ConfigVersion`)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from tinhso.accounts.rules import require
from tinhso.audit.services import record
from tinhso.core.errors import ValidationFailed
from tinhso.core.text import clean_text
from tinhso.gateway import openapi
from tinhso.gateway.errors import (
    AlreadyGranted,
    CodeTaken,
    EndpointNotOfService,
    InvalidCertificate,
    InvalidCode,
    InvalidUrl,
    NoticeRequired,
    RefreshNotConfirmed,
    RequestDecided,
    RequestPending,
    RightExists,
)
from tinhso.gateway.models import (
    AccessRequest,
    AccessRight,
    ApiKey,
    ClientCertificate,
    ConfigVersion,
    Consumer,
    ConsumerGroup,
    Endpoint,
    Provider,
    Service,
)
from tinhso.gateway.selectors import holds_right

CODE_RE = re.compile(r"^[a-z][a-z0-9-]{1,39}$")
RESERVED_CODES = {"health", "metrics", "listservices", "allowedservices", "getopenapi"}
KEY_PREFIX = "tsk"
ACCESS_REQUEST_WORKING_DAYS = 5  # Decree 47/2020: a connection account within 5 working days
MAX_RATE = 1_000_000


def _code(value: str) -> str:
    value = (value or "").strip().lower()
    if not CODE_RE.match(value) or value in RESERVED_CODES:
        raise InvalidCode()
    return value


def _url(value: str) -> str:
    value = (value or "").strip()
    if not value.startswith(("http://", "https://")) or len(value) > 500 or " " in value:
        raise InvalidUrl()
    return value


def _required(value: str, label: str, *, max_length: int = 200) -> str:
    value = clean_text(value or "")
    if not value:
        raise ValidationFailed(f"Cần nhập {label}.", details={"field": label})
    return value[:max_length]


def _bounded(value: Any, label: str, *, low: int, high: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise ValidationFailed(f"{label} phải là số nguyên.") from exc
    if not low <= number <= high:
        raise ValidationFailed(f"{label} phải từ {low} đến {high}.")
    return number


def bump_config() -> None:
    """Tell the data plane its snapshot is out of date (inside the caller's transaction)."""
    ConfigVersion.objects.bulk_create([ConfigVersion(pk=1)], ignore_conflicts=True)
    ConfigVersion.objects.filter(pk=1).update(version=F("version") + 1, changed_at=timezone.now())


# ---------------------------------------------------------------------------------------
# Providers and services


@transaction.atomic
def create_provider(
    *,
    actor: Any,
    code: str,
    name: str,
    agency: Any,
    contact_name: str,
    contact_email: str = "",
    contact_phone: str = "",
    description: str = "",
) -> Provider:
    require(actor, "gateway.publish", agency)
    code = _code(code)
    if Provider.objects.filter(code=code).exists():
        raise CodeTaken()
    provider = Provider.objects.create(
        code=code,
        name=_required(name, "tên hệ thống"),
        agency=agency,
        contact_name=_required(contact_name, "người đầu mối", max_length=150),
        contact_email=(contact_email or "").strip(),
        contact_phone=(contact_phone or "").strip()[:20],
        description=clean_text(description or "", multiline=True),
    )
    record(
        actor=actor,
        action="gateway.create_provider",
        obj=provider,
        agency=agency,
        summary={"code": code, "name": provider.name},
    )
    bump_config()
    return provider


def _description(openapi_text: str | None, openapi_url: str) -> openapi.Description | None:
    if openapi_text:
        return openapi.parse(openapi_text)
    if openapi_url:
        return openapi.parse(openapi.fetch(_url(openapi_url)))
    return None


@transaction.atomic
def publish_service(
    *,
    actor: Any,
    provider: Provider,
    code: str,
    base_url: str = "",
    openapi_text: str | None = None,
    openapi_url: str = "",
    title: str = "",
    version: str = "",
    description: str = "",
    timeout_ms: int = 10_000,
    log_bodies: bool = False,
    contact_name: str = "",
    contact_email: str = "",
) -> Service:
    """Register a service from an OpenAPI 3 description (text or URL) or a plain REST base
    URL. It starts as a draft (disabled): nobody can call it until it is enabled and a
    right is granted."""
    require(actor, "gateway.manage_provider", provider)
    code = _code(code)
    spec = _description(openapi_text, openapi_url)
    base = base_url or (spec.server if spec else "")
    base = _url(base)
    if Service.objects.filter(provider=provider, code=code).exists():
        raise CodeTaken()
    service = Service.objects.create(
        provider=provider,
        code=code,
        title=_required(title or (spec.title if spec else ""), "tên dịch vụ"),
        version=(version or (spec.version if spec else ""))[:40],
        description=clean_text(description or (spec.description if spec else ""), multiline=True),
        kind=Service.Kind.OPENAPI if spec else Service.Kind.REST,
        base_url=base,
        openapi_url=(openapi_url or "").strip(),
        openapi_text=spec.text if spec else "",
        timeout_ms=_bounded(timeout_ms, "Thời gian chờ (ms)", low=100, high=300_000),
        log_bodies=bool(log_bodies),
        contact_name=clean_text(contact_name or provider.contact_name)[:150],
        contact_email=(contact_email or provider.contact_email).strip(),
        refreshed_at=timezone.now(),
    )
    if spec:
        Endpoint.objects.bulk_create(
            [
                Endpoint(
                    service=service,
                    method=e.method,
                    path=e.path,
                    operation_id=e.operation_id,
                    summary=e.summary,
                )
                for e in spec.endpoints
            ]
        )
    record(
        actor=actor,
        action="gateway.publish_service",
        obj=service,
        object_id=service.full_code,
        agency=provider.agency,
        summary={
            "service": service.full_code,
            "kind": service.kind,
            "base_url": base,
            "endpoints": [f"{e.method} {e.path}" for e in spec.endpoints] if spec else [],
        },
    )
    bump_config()
    return service


def _specs(service: Service) -> list[openapi.EndpointSpec]:
    return [
        openapi.EndpointSpec(e.method, e.path, e.operation_id, e.summary)
        for e in service.endpoints.all()
    ]


def preview_refresh(
    *, service: Service, openapi_text: str | None = None
) -> tuple[openapi.Description, openapi.Diff]:
    """What a refresh would change (re-reads the description from its URL if no text)."""
    spec = _description(openapi_text, "" if openapi_text else service.openapi_url)
    if spec is None:
        raise ValidationFailed("Dịch vụ này không có mô tả OpenAPI để làm mới.")
    return spec, openapi.diff(_specs(service), spec, service.version)


@transaction.atomic
def refresh_service(
    *,
    actor: Any,
    service: Service,
    openapi_text: str | None = None,
    confirm: str = "",
) -> openapi.Diff:
    """Apply a new description. When endpoints change, `confirm` must be the digest of the
    description that was shown (`Description.digest`): the administrator saw and accepted
    exactly this change. Removed endpoints lose their access rights; other settings stay."""
    require(actor, "gateway.manage_service", service)
    service = Service.objects.select_for_update().get(pk=service.pk)
    spec, changes = preview_refresh(service=service, openapi_text=openapi_text)
    if not changes.empty and confirm != spec.digest:
        raise RefreshNotConfirmed(details={"digest": spec.digest})
    for e in changes.removed:
        Endpoint.objects.filter(service=service, method=e.method, path=e.path).delete()
    for e in changes.added:
        Endpoint.objects.create(
            service=service,
            method=e.method,
            path=e.path,
            operation_id=e.operation_id,
            summary=e.summary,
        )
    for _, e in changes.changed:
        Endpoint.objects.filter(service=service, method=e.method, path=e.path).update(
            operation_id=e.operation_id, summary=e.summary
        )
    service.openapi_text = spec.text
    service.version = spec.version or service.version
    service.refreshed_at = timezone.now()
    service.save(update_fields=["openapi_text", "version", "refreshed_at", "updated_at"])
    record(
        actor=actor,
        action="gateway.refresh_service",
        obj=service,
        object_id=service.full_code,
        agency=service.provider.agency,
        summary={
            "added": [f"{e.method} {e.path}" for e in changes.added],
            "removed": [f"{e.method} {e.path}" for e in changes.removed],
            "changed": [f"{b.method} {b.path}" for _, b in changes.changed],
            "version": [changes.version_from, changes.version_to],
        },
    )
    bump_config()
    return changes


@transaction.atomic
def enable_service(*, actor: Any, service: Service) -> Service:
    require(actor, "gateway.manage_service", service)
    before = service.status
    service.status = Service.Status.ENABLED
    service.disabled_notice = ""
    service.save(update_fields=["status", "disabled_notice", "updated_at"])
    record(
        actor=actor,
        action="gateway.enable_service",
        obj=service,
        object_id=service.full_code,
        agency=service.provider.agency,
        summary={"from": before},
    )
    bump_config()
    return service


@transaction.atomic
def disable_service(*, actor: Any, service: Service, notice: str) -> Service:
    """Stop a service; callers get `notice` (Decree 47: announce planned stops 7 working
    days ahead — the notice says until when)."""
    require(actor, "gateway.manage_service", service)
    notice = clean_text(notice or "")[:500]
    if not notice:
        raise NoticeRequired()
    service.status = Service.Status.DISABLED
    service.disabled_notice = notice
    service.save(update_fields=["status", "disabled_notice", "updated_at"])
    record(
        actor=actor,
        action="gateway.disable_service",
        obj=service,
        object_id=service.full_code,
        agency=service.provider.agency,
        summary={"notice": notice},
    )
    bump_config()
    return service


@transaction.atomic
def update_service(
    *,
    actor: Any,
    service: Service,
    timeout_ms: int | None = None,
    log_bodies: bool | None = None,
    base_url: str | None = None,
    upstream_headers: dict[str, str] | None = None,
) -> Service:
    """Settings of a service; `upstream_headers` are credentials the gateway adds when it
    forwards (stored encrypted, never shown again)."""
    from tinhso.gateway.crypto import encrypt

    require(actor, "gateway.manage_service", service)
    changed: dict[str, Any] = {}
    if timeout_ms is not None:
        service.timeout_ms = _bounded(timeout_ms, "Thời gian chờ (ms)", low=100, high=300_000)
        changed["timeout_ms"] = service.timeout_ms
    if log_bodies is not None:
        service.log_bodies = bool(log_bodies)
        changed["log_bodies"] = service.log_bodies
    if base_url is not None:
        service.base_url = _url(base_url)
        changed["base_url"] = service.base_url
    if upstream_headers is not None:
        clean = {str(k).strip(): str(v).strip() for k, v in upstream_headers.items() if k}
        if any(not re.match(r"^[A-Za-z0-9-]{1,64}$", k) for k in clean):
            raise ValidationFailed("Tên tiêu đề HTTP không hợp lệ.")
        if any(not v or len(v) > 4096 or not v.isprintable() for v in clean.values()):
            raise ValidationFailed(
                "Giá trị tiêu đề HTTP không hợp lệ (cần có, tối đa 4096 ký tự, một dòng)."
            )
        service.upstream_headers_encrypted = encrypt(json.dumps(clean)) if clean else ""
        changed["upstream_headers"] = sorted(clean)
    service.save()
    record(
        actor=actor,
        action="gateway.update_service",
        obj=service,
        object_id=service.full_code,
        agency=service.provider.agency,
        summary=changed,
    )
    bump_config()
    return service


# ---------------------------------------------------------------------------------------
# Consumers and credentials


@transaction.atomic
def create_consumer(
    *,
    actor: Any,
    code: str,
    name: str,
    agency: Any,
    contact_name: str,
    contact_email: str = "",
    rate_per_minute: int = 600,
    quota_per_day: int = 100_000,
) -> Consumer:
    require(actor, "gateway.publish", agency)
    code = _code(code)
    if Consumer.objects.filter(code=code).exists():
        raise CodeTaken()
    consumer = Consumer.objects.create(
        code=code,
        name=_required(name, "tên hệ thống"),
        agency=agency,
        contact_name=_required(contact_name, "người đầu mối", max_length=150),
        contact_email=(contact_email or "").strip(),
        rate_per_minute=_bounded(rate_per_minute, "Giới hạn mỗi phút", low=1, high=MAX_RATE),
        quota_per_day=_bounded(quota_per_day, "Hạn mức mỗi ngày", low=1, high=1_000_000_000),
    )
    record(
        actor=actor,
        action="gateway.create_consumer",
        obj=consumer,
        agency=agency,
        summary={"code": code, "rate_per_minute": rate_per_minute, "quota": quota_per_day},
    )
    bump_config()
    return consumer


@transaction.atomic
def set_limits(
    *, actor: Any, consumer: Consumer, rate_per_minute: int, quota_per_day: int
) -> Consumer:
    """Limits are set by whoever runs the platform for that consumer's agency."""
    require(actor, "gateway.manage_consumer", consumer)
    consumer.rate_per_minute = _bounded(rate_per_minute, "Giới hạn mỗi phút", low=1, high=MAX_RATE)
    consumer.quota_per_day = _bounded(quota_per_day, "Hạn mức mỗi ngày", low=1, high=1_000_000_000)
    consumer.save(update_fields=["rate_per_minute", "quota_per_day", "updated_at"])
    record(
        actor=actor,
        action="gateway.set_limits",
        obj=consumer,
        agency=consumer.agency,
        summary={"rate_per_minute": consumer.rate_per_minute, "quota": consumer.quota_per_day},
    )
    bump_config()
    return consumer


@transaction.atomic
def set_consumer_active(*, actor: Any, consumer: Consumer, active: bool) -> Consumer:
    require(actor, "gateway.manage_consumer", consumer)
    consumer.is_active = bool(active)
    consumer.save(update_fields=["is_active", "updated_at"])
    record(
        actor=actor,
        action="gateway.set_consumer_active",
        obj=consumer,
        agency=consumer.agency,
        summary={"active": consumer.is_active},
    )
    bump_config()
    return consumer


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def issue_key(
    *,
    actor: Any,
    consumer: Consumer,
    name: str = "",
    expires_at: dt.datetime | None = None,
) -> tuple[ApiKey, str]:
    """A new key for the consumer: returned once, only its SHA-256 is kept."""
    require(actor, "gateway.manage_consumer", consumer)
    prefix = secrets.token_hex(4)
    raw = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(
        consumer=consumer,
        name=clean_text(name or "")[:100],
        prefix=prefix,
        key_hash=hash_key(raw),
        created_by=actor if getattr(actor, "pk", None) else None,
        expires_at=expires_at,
    )
    record(
        actor=actor,
        action="gateway.issue_key",
        obj=consumer,
        agency=consumer.agency,
        summary={"prefix": prefix, "expires_at": expires_at},
    )
    bump_config()
    return key, raw


@transaction.atomic
def revoke_key(*, actor: Any, key: ApiKey) -> ApiKey:
    require(actor, "gateway.manage_consumer", key.consumer)
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        record(
            actor=actor,
            action="gateway.revoke_key",
            obj=key.consumer,
            agency=key.consumer.agency,
            summary={"prefix": key.prefix},
        )
        bump_config()
    return key


@transaction.atomic
def rotate_key(*, actor: Any, key: ApiKey, overlap_hours: int = 0) -> tuple[ApiKey, str]:
    """Issue a successor key; the old one stops at once or after `overlap_hours`."""
    require(actor, "gateway.manage_consumer", key.consumer)
    overlap_hours = _bounded(overlap_hours, "Thời gian dùng song song (giờ)", low=0, high=720)
    new_key, raw = issue_key(actor=actor, consumer=key.consumer, name=key.name)
    if overlap_hours:
        key.expires_at = timezone.now() + dt.timedelta(hours=overlap_hours)
        key.save(update_fields=["expires_at"])
    else:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    record(
        actor=actor,
        action="gateway.rotate_key",
        obj=key.consumer,
        agency=key.consumer.agency,
        summary={"old": key.prefix, "new": new_key.prefix, "overlap_hours": overlap_hours},
    )
    bump_config()
    return new_key, raw


@transaction.atomic
def add_certificate(*, actor: Any, consumer: Consumer, pem: str) -> ClientCertificate:
    """Register a TLS client certificate (the TLS terminator passes its SHA-256
    fingerprint in X-SSL-Client-Fingerprint)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    require(actor, "gateway.manage_consumer", consumer)
    try:
        cert = x509.load_pem_x509_certificate((pem or "").strip().encode())
    except ValueError as exc:
        raise InvalidCertificate() from exc
    if cert.not_valid_after_utc <= timezone.now():
        raise InvalidCertificate()
    fingerprint = cert.fingerprint(hashes.SHA256()).hex()
    if ClientCertificate.objects.filter(fingerprint=fingerprint).exists():
        raise CodeTaken("Chứng thư này đã được đăng ký.")
    certificate = ClientCertificate.objects.create(
        consumer=consumer,
        fingerprint=fingerprint,
        subject=cert.subject.rfc4514_string()[:500],
        not_after=cert.not_valid_after_utc,
        pem=pem.strip(),
    )
    record(
        actor=actor,
        action="gateway.add_certificate",
        obj=consumer,
        agency=consumer.agency,
        summary={"fingerprint": fingerprint, "subject": certificate.subject},
    )
    bump_config()
    return certificate


@transaction.atomic
def revoke_certificate(*, actor: Any, certificate: ClientCertificate) -> ClientCertificate:
    require(actor, "gateway.manage_consumer", certificate.consumer)
    certificate.revoked_at = certificate.revoked_at or timezone.now()
    certificate.save(update_fields=["revoked_at"])
    record(
        actor=actor,
        action="gateway.revoke_certificate",
        obj=certificate.consumer,
        agency=certificate.consumer.agency,
        summary={"fingerprint": certificate.fingerprint},
    )
    bump_config()
    return certificate


@transaction.atomic
def create_group(*, actor: Any, code: str, name: str) -> ConsumerGroup:
    require(actor, "gateway.manage_groups")
    code = _code(code)
    if ConsumerGroup.objects.filter(code=code).exists():
        raise CodeTaken()
    group = ConsumerGroup.objects.create(code=code, name=_required(name, "tên nhóm"))
    record(actor=actor, action="gateway.create_group", obj=group, summary={"code": code})
    return group


@transaction.atomic
def add_to_group(*, actor: Any, group: ConsumerGroup, consumer: Consumer) -> None:
    require(actor, "gateway.manage_groups")
    group.members.add(consumer)
    record(
        actor=actor,
        action="gateway.add_group_member",
        obj=group,
        summary={"consumer": consumer.code},
    )
    bump_config()


# ---------------------------------------------------------------------------------------
# Access rights and requests


def _check_endpoint(service: Service, endpoint: Endpoint | None) -> None:
    if endpoint is not None and endpoint.service_id != service.pk:
        raise EndpointNotOfService()


def _grant(
    *,
    actor: Any,
    service: Service,
    consumer: Consumer | None,
    group: ConsumerGroup | None,
    endpoint: Endpoint | None,
) -> AccessRight:
    _check_endpoint(service, endpoint)
    if consumer is None and group is None:
        raise ValidationFailed("Cần chọn hệ thống khai thác hoặc nhóm.")
    exists = AccessRight.objects.filter(
        service=service, endpoint=endpoint, consumer=consumer, group=group
    ).exists()
    if exists:
        raise RightExists()
    try:
        with transaction.atomic():
            right = AccessRight.objects.create(
                service=service,
                endpoint=endpoint,
                consumer=consumer,
                group=group,
                granted_by=actor if getattr(actor, "pk", None) else None,
            )
    except IntegrityError as exc:
        raise RightExists() from exc
    record(
        actor=actor,
        action="gateway.grant_right",
        obj=service,
        object_id=service.full_code,
        agency=service.provider.agency,
        summary={
            "consumer": consumer.code if consumer else None,
            "group": group.code if group else None,
            "endpoint": str(endpoint) if endpoint else None,
        },
    )
    bump_config()
    return right


@transaction.atomic
def grant_right(
    *,
    actor: Any,
    service: Service,
    consumer: Consumer | None = None,
    group: ConsumerGroup | None = None,
    endpoint: Endpoint | None = None,
) -> AccessRight:
    require(actor, "gateway.manage_service", service)
    return _grant(actor=actor, service=service, consumer=consumer, group=group, endpoint=endpoint)


@transaction.atomic
def revoke_right(*, actor: Any, right: AccessRight) -> None:
    service = right.service
    require(actor, "gateway.manage_service", service)
    summary = {
        "consumer": right.consumer.code if right.consumer else None,
        "group": right.group.code if right.group else None,
        "endpoint": str(right.endpoint) if right.endpoint else None,
    }
    if right.endpoint is None and right.consumer is not None:
        # removing the service-level right removes the endpoint rights too (X-Road)
        AccessRight.objects.filter(service=service, consumer=right.consumer).delete()
    else:
        right.delete()
    record(
        actor=actor,
        action="gateway.revoke_right",
        obj=service,
        object_id=service.full_code,
        agency=service.provider.agency,
        summary=summary,
    )
    bump_config()


@transaction.atomic
def request_access(
    *,
    actor: Any,
    consumer: Consumer,
    service: Service,
    reason: str,
    endpoint: Endpoint | None = None,
) -> AccessRequest:
    """A consumer's administrator asks; the provider's administrator has 5 working days."""
    from tinhso.workdays.services import add_working_days

    require(actor, "gateway.manage_consumer", consumer)
    _check_endpoint(service, endpoint)
    reason = _required(reason, "mục đích sử dụng", max_length=2000)
    if AccessRequest.objects.filter(
        consumer=consumer, service=service, status=AccessRequest.Status.ASKED
    ).exists():
        raise RequestPending()
    if holds_right(consumer, service, endpoint):
        raise AlreadyGranted()
    now = timezone.now()
    request = AccessRequest.objects.create(
        consumer=consumer,
        service=service,
        endpoint=endpoint,
        reason=reason,
        asked_by=actor if getattr(actor, "pk", None) else None,
        due_at=add_working_days(now, ACCESS_REQUEST_WORKING_DAYS),
    )
    record(
        actor=actor,
        action="gateway.request_access",
        obj=request,
        agency=consumer.agency,
        summary={"consumer": consumer.code, "service": service.full_code, "reason": reason},
    )
    if service.contact_email:
        from tinhso.notify.services import enqueue

        enqueue(
            channel="email",
            address=service.contact_email,
            template="gateway/access_requested",
            context={"request": request, "consumer": consumer, "service": service},
            related_object=f"gateway.accessrequest:{request.uid}",
        )
    return request


@transaction.atomic
def decide_request(
    *, actor: Any, request: AccessRequest, approve: bool, note: str = ""
) -> AccessRequest:
    require(actor, "gateway.decide_request", request)
    request = AccessRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != AccessRequest.Status.ASKED:
        raise RequestDecided()
    note = clean_text(note or "")[:500]
    if not approve and not note:
        raise ValidationFailed("Cần ghi lý do từ chối.", details={"field": "note"})
    request.status = AccessRequest.Status.APPROVED if approve else AccessRequest.Status.REFUSED
    request.decided_by = actor if getattr(actor, "pk", None) else None
    request.decided_at = timezone.now()
    request.decision_note = note
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    if (
        approve
        and not AccessRight.objects.filter(
            service=request.service, consumer=request.consumer, endpoint=request.endpoint
        ).exists()
    ):
        _grant(
            actor=actor,
            service=request.service,
            consumer=request.consumer,
            group=None,
            endpoint=request.endpoint,
        )
    record(
        actor=actor,
        action="gateway.approve_access" if approve else "gateway.refuse_access",
        obj=request,
        agency=request.service.provider.agency,
        summary={"note": note, "on_time": request.decided_at <= request.due_at},
    )
    if request.consumer.contact_email:
        from tinhso.notify.services import enqueue

        enqueue(
            channel="email",
            address=request.consumer.contact_email,
            template="gateway/access_decided",
            context={"request": request},
            related_object=f"gateway.accessrequest:{request.uid}",
        )
    return request
