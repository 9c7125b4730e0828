"""Write use-cases of the security monitoring centre.

Each runs in one transaction, checks permission with `require`, records the audit entry
inside it and sends messages on commit (through the notify outbox).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from tinhso.accounts.rules import can, require
from tinhso.audit.services import record
from tinhso.core.errors import InvalidTransition, NotFound, ValidationFailed
from tinhso.core.text import clean_text
from tinhso.security import intake
from tinhso.security.errors import IntakeRefused, SecurityError, SecurityErrorCode
from tinhso.security.models import (
    SEVERITY_RANK,
    Alert,
    Assessment,
    AssetRange,
    DossierDocument,
    Event,
    Evidence,
    Incident,
    IncidentDeadline,
    IncidentEntry,
    InformationSystem,
    LevelCriterion,
    NationalReport,
    RejectedInput,
    Rule,
    Severity,
    Source,
)
from tinhso.security.parsing import Parsed
from tinhso.security.workflow import TRANSITIONS

MAX_EVIDENCE_BYTES = 20 * 1024 * 1024
INTERNAL_SOURCE = "tinhso"

# ---------------------------------------------------------------------------------------
# Sources and intake


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_source(
    *, actor: Any, name: str, kind: str, addresses: str = "", rate_per_minute: int = 120_000
) -> tuple[Source, str]:
    """A sensor; returns it with its intake token (shown once, only its hash is kept)."""
    require(actor, "security.configure")
    name = clean_text(name)[:120]
    if not name:
        raise ValidationFailed("Cần nhập tên nguồn.")
    if kind not in Source.Kind.values:
        raise ValidationFailed("Loại nguồn không hợp lệ.")
    token = "soc_" + secrets.token_urlsafe(30)
    with transaction.atomic():
        if Source.objects.filter(name=name).exists():
            raise ValidationFailed("Đã có nguồn sự kiện cùng tên.")
        source = Source.objects.create(
            name=name,
            kind=kind,
            addresses=clean_text(addresses)[:500],
            rate_per_minute=max(1, min(int(rate_per_minute), 10_000_000)),
            token_hash=_hash(token),
            token_prefix=token[:8],
        )
        record(actor=actor, action="security.source_created", obj=source, summary={"kind": kind})
    return source, token


def rotate_token(*, actor: Any, source: Source) -> str:
    require(actor, "security.configure")
    token = "soc_" + secrets.token_urlsafe(30)
    with transaction.atomic():
        Source.objects.filter(pk=source.pk).update(token_hash=_hash(token), token_prefix=token[:8])
        record(actor=actor, action="security.source_token_rotated", obj=source)
    return token


def source_for_token(token: str) -> Source:
    token = (token or "").strip()
    source = None
    if token:
        source = Source.objects.filter(token_hash=_hash(token), is_active=True).first()
    if source is None:
        raise IntakeRefused(
            "Mã xác thực nguồn sự kiện không hợp lệ.",
            code=SecurityErrorCode.INTAKE_TOKEN_INVALID,
            status=401,
        )
    return source


def source_for_peer(ip: str) -> Source:
    """The syslog source whose addresses contain `ip`; else the catch-all 'syslog' one."""
    import ipaddress

    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        address = None
    fallback = None
    for source in Source.objects.filter(kind=Source.Kind.SYSLOG, is_active=True):
        networks = source.networks()
        if not networks:
            fallback = fallback or source
        elif address is not None and any(
            address.version == n.version and address in n for n in networks
        ):
            return source
    if fallback is None:
        fallback, _ = Source.objects.get_or_create(
            name="syslog", defaults={"kind": Source.Kind.SYSLOG}
        )
    return fallback


def charge_rate(source: Source, events: int) -> None:
    """Count `events` against the source's per-minute budget (fixed window, shared cache);
    over it, the whole request is refused (429) and nothing is stored."""
    window = int(time_now() // 60)
    key = f"security:intake:{source.pk}:{window}"
    if cache.add(key, events, timeout=130):
        used = events
    else:
        try:
            used = int(cache.incr(key, events))
        except ValueError:
            cache.add(key, events, timeout=130)
            used = events
    if used > source.rate_per_minute:
        raise IntakeRefused(
            "Nguồn sự kiện gửi quá giới hạn mỗi phút; hãy gửi lại sau.",
            code=SecurityErrorCode.INTAKE_RATE_LIMITED,
            status=429,
        )


def time_now() -> float:
    import time

    return time.time()


def reject(
    *, channel: str, code: str, reason: str, sample: str | bytes = "", peer: str = "", source=None
) -> None:
    """Keep a sample of refused input with the reason (at most 600 per minute)."""
    window = int(time_now() // 60)
    key = f"security:rejects:{window}"
    try:
        if not cache.add(key, 1, timeout=130) and int(cache.incr(key)) > 600:
            return
    except ValueError:
        pass
    if isinstance(sample, bytes):
        sample = sample[:2048].decode("utf-8", "replace")
    RejectedInput.objects.create(
        channel=channel,
        peer=peer[:64],
        source=source,
        code=str(code)[:40],
        reason=str(reason)[:300],
        sample=clean_text(str(sample)[:2048], multiline=True),
    )


def internal_source() -> Source:
    source = Source.objects.filter(name=INTERNAL_SOURCE).first()
    if source is None:
        source, _ = Source.objects.get_or_create(
            name=INTERNAL_SOURCE, defaults={"kind": Source.Kind.INTERNAL}
        )
    return source


# Internal event kinds: (category, groups, severity, Vietnamese description)
INTERNAL_KINDS: dict[str, tuple[str, list[str], str, str]] = {
    "login_failed": (
        "authentication_failed",
        ["tinhso", "authentication_failed"],
        Severity.LOW,
        "Đăng nhập sai mật khẩu",
    ),
    "login_locked": (
        "login_locked",
        ["tinhso", "authentication_failed", "lockout"],
        Severity.MEDIUM,
        "Tài khoản bị tạm khóa đăng nhập do sai nhiều lần",
    ),
    "otp_failed": (
        "authentication_failed",
        ["tinhso", "authentication_failed", "otp"],
        Severity.LOW,
        "Nhập sai mã xác thực hai lớp",
    ),
    "permission_denied": (
        "permission_denied",
        ["tinhso", "access_denied"],
        Severity.LOW,
        "Từ chối truy cập do không có quyền",
    ),
    "audit_chain_broken": (
        "audit_chain",
        ["tinhso", "integrity"],
        Severity.CRITICAL,
        "Chuỗi nhật ký hệ thống bị phá vỡ",
    ),
    "gateway_log_broken": (
        "gateway_log",
        ["tinhso", "integrity"],
        Severity.CRITICAL,
        "Nhật ký nền tảng tích hợp bị phá vỡ",
    ),
    "certificate_expiring": (
        "certificate_expiry",
        ["tinhso", "pki"],
        Severity.MEDIUM,
        "Chứng thư số sắp hết hạn",
    ),
    "certificate_expired": (
        "certificate_expiry",
        ["tinhso", "pki"],
        Severity.HIGH,
        "Chứng thư số đã hết hạn",
    ),
    "signature_invalid": (
        "signature_invalid",
        ["tinhso", "pki", "integrity"],
        Severity.MEDIUM,
        "Kiểm tra chữ ký số: chữ ký không hợp lệ",
    ),
}


def record_internal(
    *,
    kind: str,
    user_name: str = "",
    ip: str | None = None,
    detail: str = "",
    event_id: str = "",
    host: str = "tinhso",
    extra: dict[str, Any] | None = None,
) -> intake.IngestResult:
    """One of tinhso's own security events (failed login, lockout, permission denial,
    broken audit chain, certificate expiry, invalid signature) through the same intake."""
    import json

    category, groups, severity, text = INTERNAL_KINDS[kind]
    description = f"{text}: {detail}" if detail else text
    raw = json.dumps(
        {
            "kind": kind,
            "user": user_name,
            "ip": ip,
            "detail": detail,
            "at": timezone.now().isoformat(),
            **(extra or {}),
        },
        ensure_ascii=False,
        default=str,
    )
    parsed = Parsed(
        format="tinhso",
        raw=raw,
        source_event_id=event_id[:120],
        severity=severity,
        level={"low": 3, "medium": 6, "high": 10, "critical": 13}[severity],
        rule_id=kind,
        description=description[:500],
        category=category,
        groups=groups,
        host=host,
        src_ip=intake_ip(ip),
        user_name=(user_name or "")[:150],
        extra={"agent_ip": None},
    )
    return intake.ingest(source=internal_source(), items=[parsed])


def intake_ip(ip: str | None) -> str | None:
    from tinhso.audit.services import normalize_ip

    return normalize_ip(ip)


# ---------------------------------------------------------------------------------------
# Configuration: rules, ranges, severity bands


def validate_rule(conditions: Any, group_by: Any, threshold: int, window: int) -> None:
    import re

    def bad(message: str) -> SecurityError:
        return SecurityError(message, code=SecurityErrorCode.INVALID_RULE)

    if not isinstance(conditions, list) or not conditions or len(conditions) > 20:
        raise bad("Quy tắc cần từ 1 đến 20 điều kiện.")
    for condition in conditions:
        if not isinstance(condition, dict):
            raise bad("Mỗi điều kiện là một đối tượng {field, op, value}.")
        if condition.get("field") not in intake.RULE_FIELDS:
            raise bad(f"Trường không được hỗ trợ: {condition.get('field')!s:.40}.")
        if condition.get("op", "eq") not in intake.OPERATORS:
            raise bad(f"Phép so sánh không được hỗ trợ: {condition.get('op')!s:.20}.")
        if condition.get("op") == "regex":
            try:
                re.compile(str(condition.get("value", "")))
            except re.error as exc:
                raise bad("Biểu thức chính quy không hợp lệ.") from exc
    if not isinstance(group_by, list) or any(f not in intake.RULE_FIELDS for f in group_by):
        raise bad("Trường nhóm không được hỗ trợ.")
    if not (1 <= threshold <= 100_000) or not (1 <= window <= 7 * 86400):
        raise bad("Số lần phải từ 1 đến 100.000; cửa sổ thời gian từ 1 giây đến 7 ngày.")


def save_rule(
    *,
    actor: Any,
    code: str,
    name: str,
    conditions: list[dict[str, Any]],
    threshold: int = 1,
    window_seconds: int = 300,
    group_by: list[str] | None = None,
    severity: str = "",
    category: str = "",
    dedup_seconds: int = 3600,
    description: str = "",
    is_active: bool = True,
) -> Rule:
    require(actor, "security.configure")
    group_by = group_by or []
    validate_rule(conditions, group_by, threshold, window_seconds)
    if severity and severity not in Severity.values:
        raise SecurityError("Mức độ không hợp lệ.", code=SecurityErrorCode.INVALID_RULE)
    with transaction.atomic():
        rule, created = Rule.objects.update_or_create(
            code=code,
            defaults=dict(
                name=clean_text(name)[:200],
                conditions=conditions,
                threshold=threshold,
                window_seconds=window_seconds,
                group_by=group_by,
                severity=severity,
                category=clean_text(category)[:60],
                dedup_seconds=max(0, min(int(dedup_seconds), 30 * 86400)),
                description=clean_text(description, multiline=True),
                is_active=is_active,
            ),
        )
        record(
            actor=actor,
            action="security.rule_saved",
            obj=rule,
            object_id=rule.code,
            summary={"created": created, "threshold": threshold, "window": window_seconds},
        )
    intake.forget_tables()
    return rule


def save_range(
    *, actor: Any, kind: str, value: str, agency: Any, system: InformationSystem | None = None
) -> AssetRange:
    require(actor, "security.configure")
    if kind not in AssetRange.Kind.values:
        raise ValidationFailed("Loại phạm vi không hợp lệ.")
    value = clean_text(value)[:120]
    if kind == AssetRange.Kind.IP_RANGE:
        import ipaddress

        try:
            value = str(ipaddress.ip_network(value, strict=False))
        except ValueError as exc:
            raise ValidationFailed("Dải IP không hợp lệ (ví dụ 10.20.0.0/16).") from exc
    if not value:
        raise ValidationFailed("Cần nhập giá trị.")
    with transaction.atomic():
        found, _ = AssetRange.objects.update_or_create(
            kind=kind, value=value, defaults={"agency": agency, "system": system}
        )
        record(
            actor=actor,
            action="security.range_saved",
            obj=found,
            object_id=f"{kind}:{value}",
            agency=agency,
        )
    intake.forget_tables()
    return found


# ---------------------------------------------------------------------------------------
# Alerts and incidents


def _recipients(agency: Any, system: InformationSystem | None = None) -> list[Any]:
    """The agency's security contacts: the system's, else its systems', else its admins."""
    from tinhso.accounts.models import Role
    from tinhso.accounts.selectors import grants_in

    if system is not None and system.security_contact_id:
        return [system.security_contact]
    if agency is None:
        return []
    contacts = [
        s.security_contact
        for s in InformationSystem.objects.filter(owner=agency, security_contact__isnull=False)
        .select_related("security_contact")
        .order_by("code")
    ]
    if contacts:
        return list({c.pk: c for c in contacts if c is not None}.values())
    return [g.user for g in grants_in(agency) if g.role == Role.AGENCY_ADMIN and g.user.is_active]


def alert_raised(*, alert_pk: int) -> None:
    """After commit: tell the agency's security contact about a high or critical alert."""
    from tinhso.notify.services import notify_user

    alert = Alert.objects.select_related("agency", "system").filter(pk=alert_pk).first()
    if alert is None or SEVERITY_RANK.get(alert.severity, 0) < SEVERITY_RANK["high"]:
        return
    recipients = _recipients(alert.agency, alert.system)
    if not recipients:
        return
    with transaction.atomic():
        for user in recipients:
            notify_user(
                user=user,
                template="security_alert",
                context={"alert": alert, "user": user},
                related_object=f"security.alert:{alert.uid}",
            )


def _check_alert_access(actor: Any, alert: Alert) -> None:
    require(actor, "security.handle_incident", alert.agency)


def set_alert_status(*, actor: Any, alert: Alert, status: str) -> Alert:
    if status not in (Alert.Status.ACKNOWLEDGED, Alert.Status.DISMISSED, Alert.Status.NEW):
        raise ValidationFailed("Trạng thái cảnh báo không hợp lệ.")
    _check_alert_access(actor, alert)
    with transaction.atomic():
        alert = Alert.objects.select_for_update(of=("self",)).get(pk=alert.pk)
        if alert.incident_id:
            raise SecurityError(
                "Cảnh báo đã thuộc một sự cố.", code=SecurityErrorCode.ALERT_ALREADY_IN_INCIDENT
            )
        alert.status = status
        alert.save(update_fields=["status"])
        record(actor=actor, action=f"security.alert_{status}", obj=alert, agency=alert.agency_id)
    return alert


def _deadline_for(severity: str, start: dt.datetime) -> tuple[dt.datetime, bool]:
    from tinhso.workdays.services import add_working_days

    row = IncidentDeadline.objects.filter(severity=severity).first()
    days = row.working_days if row else Decimal(5)
    return add_working_days(start, days), bool(row and row.must_report)


def _next_code(year: int) -> str:
    prefix = f"SOC-{year}-"
    last = (
        Incident.objects.filter(code__startswith=prefix)
        .order_by("-code")
        .values_list("code", flat=True)
        .first()
    )
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{number:04d}"


def _entry(incident: Incident, kind: str, actor: Any, text: str = "") -> IncidentEntry:
    return IncidentEntry.objects.create(
        incident=incident, kind=kind, actor=actor if actor is not None else None, text=text
    )


def must_report(severity: str, system: InformationSystem | None, default: bool) -> bool:
    """Incidents the national centre must hear about: those the deadline table marks (high
    and critical by default) and any on a system of level 3 or above."""
    level = (system.approved_level or system.proposed_level or 0) if system else 0
    return default or level >= 3


def open_incident(
    *,
    actor: Any,
    title: str,
    severity: str,
    alerts: list[Alert] | None = None,
    description: str = "",
    agency: Any = None,
    system: InformationSystem | None = None,
    category: str = "",
    assignee: Any = None,
) -> Incident:
    """Open an incident, from alerts (their agency, system and worst severity) or by hand."""
    alerts = alerts or []
    if alerts:
        first = alerts[0]
        agency = agency or first.agency
        system = system or first.system
        category = category or first.category
        if not severity:
            severity = max((a.severity for a in alerts), key=lambda s: SEVERITY_RANK[s])
        title = title or first.title
    title = clean_text(title)[:300]
    if not title:
        raise ValidationFailed("Cần nhập tiêu đề sự cố.")
    if severity not in Severity.values:
        raise ValidationFailed("Mức độ không hợp lệ.")
    require(actor, "security.handle_incident", agency)
    now = timezone.now()
    deadline, report_default = _deadline_for(severity, now)
    with transaction.atomic():
        locked = list(
            Alert.objects.select_for_update(of=("self",))
            .filter(pk__in=[a.pk for a in alerts])
            .order_by("pk")
        )
        if any(a.incident_id for a in locked):
            raise SecurityError(
                "Có cảnh báo đã thuộc một sự cố khác.",
                code=SecurityErrorCode.ALERT_ALREADY_IN_INCIDENT,
            )
        for attempt in range(5):
            try:
                with transaction.atomic():
                    incident = Incident.objects.create(
                        code=_next_code(timezone.localtime(now).year),
                        title=title,
                        description=clean_text(description, multiline=True),
                        severity=severity,
                        category=clean_text(category)[:60],
                        agency=agency,
                        system=system,
                        opened_by=actor,
                        deadline=deadline,
                        must_report=must_report(severity, system, report_default),
                    )
                break
            except IntegrityError:
                if attempt == 4:
                    raise
        _entry(incident, IncidentEntry.Kind.OPENED, actor, title)
        if locked:
            Alert.objects.filter(pk__in=[a.pk for a in locked]).update(
                incident=incident, status=Alert.Status.IN_INCIDENT
            )
            _entry(
                incident,
                IncidentEntry.Kind.ALERT,
                actor,
                "; ".join(a.title for a in locked)[:2000],
            )
        record(
            actor=actor,
            action="security.incident_opened",
            obj=incident,
            agency=agency,
            summary={"severity": severity, "alerts": len(locked)},
        )
        _notify_contacts(incident, "security_incident_opened")
        if assignee is not None:
            incident = assign_incident(actor=actor, incident=incident, assignee=assignee)
    return incident


def _notify_contacts(incident: Incident, template: str) -> None:
    from tinhso.notify.services import notify_user

    for user in _recipients(incident.agency, incident.system):
        notify_user(
            user=user,
            template=template,
            context={"incident": incident, "user": user},
            related_object=f"security.incident:{incident.uid}",
        )


def _locked(incident: Incident) -> Incident:
    return (
        Incident.objects.select_for_update(of=("self",))
        .select_related("agency", "system")
        .get(pk=incident.pk)
    )


def assign_incident(*, actor: Any, incident: Incident, assignee: Any) -> Incident:
    require(actor, "security.handle_incident", incident.agency)
    if (
        assignee is None
        or not assignee.is_active
        or not can(assignee, "security.handle_incident", incident.agency)
    ):
        raise SecurityError(
            "Người được phân công phải có quyền xử lý sự cố của cơ quan này.",
            code=SecurityErrorCode.ASSIGNEE_NOT_ANALYST,
        )
    with transaction.atomic():
        incident = _locked(incident)
        incident.assignee = assignee
        incident.version += 1
        incident.save(update_fields=["assignee", "version", "updated_at"])
        _entry(incident, IncidentEntry.Kind.ASSIGNED, actor, str(assignee))
        record(
            actor=actor,
            action="security.incident_assigned",
            obj=incident,
            agency=incident.agency_id,
            summary={"assignee": assignee.username},
        )
        if assignee != actor:
            from tinhso.notify.services import notify_user

            notify_user(
                user=assignee,
                template="security_incident_assigned",
                context={"incident": incident, "user": assignee},
                related_object=f"security.incident:{incident.uid}",
            )
    return incident


def add_note(*, actor: Any, incident: Incident, text: str) -> IncidentEntry:
    require(actor, "security.handle_incident", incident.agency)
    text = clean_text(text, multiline=True)
    if not text:
        raise ValidationFailed("Cần nhập nội dung ghi chú.")
    with transaction.atomic():
        entry = _entry(incident, IncidentEntry.Kind.NOTE, actor, text[:5000])
        record(
            actor=actor, action="security.incident_note", obj=incident, agency=incident.agency_id
        )
    return entry


def add_evidence(
    *, actor: Any, incident: Incident, name: str, data: bytes, description: str = ""
) -> Evidence:
    require(actor, "security.handle_incident", incident.agency)
    if not data:
        raise ValidationFailed("Tệp bằng chứng rỗng.")
    if len(data) > MAX_EVIDENCE_BYTES:
        raise SecurityError(
            f"Tệp bằng chứng vượt quá {MAX_EVIDENCE_BYTES // (1024 * 1024)} MB.",
            code=SecurityErrorCode.FILE_TOO_LARGE,
        )
    from tinhso.core.files import safe_filename

    digest = hashlib.sha256(data).hexdigest()
    with transaction.atomic():
        evidence = Evidence(
            incident=incident,
            name=safe_filename(name or "bang-chung")[:200],
            description=clean_text(description)[:500],
            sha256=digest,
            size=len(data),
            added_by=actor,
        )
        evidence.file.save(digest, ContentFile(data), save=False)
        evidence.save()
        _entry(
            incident,
            IncidentEntry.Kind.EVIDENCE,
            actor,
            f"{evidence.name} (SHA-256 {digest[:16]}…) {evidence.description}".strip(),
        )
        record(
            actor=actor,
            action="security.evidence_added",
            obj=incident,
            agency=incident.agency_id,
            summary={"name": evidence.name, "sha256": digest},
        )
    return evidence


def add_alerts(*, actor: Any, incident: Incident, alerts: list[Alert]) -> Incident:
    require(actor, "security.handle_incident", incident.agency)
    with transaction.atomic():
        incident = _locked(incident)
        locked = list(
            Alert.objects.select_for_update(of=("self",)).filter(pk__in=[a.pk for a in alerts])
        )
        if any(a.incident_id and a.incident_id != incident.pk for a in locked):
            raise SecurityError(
                "Có cảnh báo đã thuộc một sự cố khác.",
                code=SecurityErrorCode.ALERT_ALREADY_IN_INCIDENT,
            )
        Alert.objects.filter(pk__in=[a.pk for a in locked]).update(
            incident=incident, status=Alert.Status.IN_INCIDENT
        )
        _entry(incident, IncidentEntry.Kind.ALERT, actor, "; ".join(a.title for a in locked)[:2000])
        record(
            actor=actor,
            action="security.incident_alerts_added",
            obj=incident,
            agency=incident.agency_id,
            summary={"alerts": len(locked)},
        )
    return incident


def transition_incident(
    *,
    actor: Any,
    incident: Incident,
    action: str,
    resolution: str = "",
    note: str = "",
    evidence: tuple[str, bytes] | None = None,
) -> Incident:
    """Move the incident along the workflow table; closing needs a resolution and evidence."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise InvalidTransition()
    require(actor, "security.handle_incident", incident.agency)
    with transaction.atomic():
        incident = _locked(incident)
        if incident.status not in transition.sources:
            raise InvalidTransition()
        resolution = clean_text(resolution, multiline=True)
        if transition.needs_resolution and not (resolution or incident.resolution):
            raise SecurityError(
                "Cần ghi kết quả xử lý sự cố.", code=SecurityErrorCode.RESOLUTION_REQUIRED
            )
        if evidence is not None and evidence[1]:
            add_evidence(actor=actor, incident=incident, name=evidence[0], data=evidence[1])
        if transition.needs_evidence and not incident.evidence.exists():
            raise SecurityError(
                "Cần ít nhất một bằng chứng trước khi đóng sự cố.",
                code=SecurityErrorCode.EVIDENCE_REQUIRED,
            )
        before = incident.status
        incident.status = transition.target
        if resolution:
            incident.resolution = resolution[:10000]
        now = timezone.now()
        if transition.target == Incident.Status.RESOLVED or (
            transition.target == Incident.Status.CLOSED and incident.resolved_at is None
        ):
            incident.resolved_at = now
        if transition.target == Incident.Status.CLOSED:
            incident.closed_at = now
        if action == "reopen":
            incident.resolved_at = None
            incident.closed_at = None
        incident.version += 1
        incident.save()
        text = f"{Incident.Status(before).label} → {Incident.Status(transition.target).label}"
        if note or resolution:
            text += f": {clean_text(note or resolution, multiline=True)[:2000]}"
        _entry(incident, IncidentEntry.Kind.STATUS, actor, text)
        record(
            actor=actor,
            action=f"security.incident_{action}",
            obj=incident,
            agency=incident.agency_id,
            summary={"from": before, "to": incident.status},
        )
    return incident


# ---------------------------------------------------------------------------------------
# Reports to the national centre


def export_national_report(
    *, actor: Any, period_start: dt.date, period_end: dt.date, adapter: str = "ncsc-json"
) -> NationalReport:
    from tinhso.security import national, selectors

    require(actor, "security.report_national")
    if period_end < period_start or (period_end - period_start).days > 400:
        raise SecurityError(
            "Kỳ báo cáo không hợp lệ (tối đa 400 ngày, ngày cuối không trước ngày đầu).",
            code=SecurityErrorCode.INVALID_PERIOD,
        )
    writer = national.ADAPTERS.get(adapter)
    if writer is None:
        raise SecurityError(
            "Định dạng báo cáo không được hỗ trợ.", code=SecurityErrorCode.UNKNOWN_ADAPTER
        )
    with transaction.atomic():
        data = selectors.national_report_data(period_start, period_end)
        content, content_type, ext = writer(data)
        report = NationalReport.objects.create(
            period_start=period_start,
            period_end=period_end,
            adapter=adapter,
            created_by=actor,
            content=content,
            content_type=content_type,
            filename=f"bao-cao-giam-sat-{period_start:%Y%m%d}-{period_end:%Y%m%d}.{ext}",
            sha256=hashlib.sha256(content.encode()).hexdigest(),
        )
        pks = [row["_pk"] for row in data["incidents"]]
        now = timezone.now()
        for incident in Incident.objects.filter(pk__in=pks, reported_at__isnull=True):
            incident.reported_at = now
            incident.report = report
            incident.save(update_fields=["reported_at", "report", "updated_at"])
            _entry(incident, IncidentEntry.Kind.REPORTED, actor, report.filename)
        record(
            actor=actor,
            action="security.national_report_exported",
            obj=report,
            summary={"from": str(period_start), "to": str(period_end), "incidents": len(pks)},
        )
    return report


# ---------------------------------------------------------------------------------------
# Registry of information systems


def suggested_level(
    *, criteria: list[str], holds_personal_data: bool = False, personal_data_subjects: int = 0
) -> tuple[int, list[LevelCriterion]]:
    """The level the Decree 85 criteria suggest: the highest level among those that hold
    (personal data: level 2 below 10,000 people, level 3 from 10,000), at least 1."""
    chosen = list(LevelCriterion.objects.filter(code__in=criteria or []))
    derived = []
    if holds_personal_data:
        code = "personal-data-10k" if personal_data_subjects >= 10_000 else "personal-data"
        derived = list(LevelCriterion.objects.filter(code=code))
    held = {c.code: c for c in chosen + derived}
    level = max([c.level for c in held.values()] or [1])
    return level, sorted(held.values(), key=lambda c: (c.order, c.code))


SYSTEM_FIELDS = {
    "name",
    "operator",
    "purpose",
    "data_held",
    "holds_personal_data",
    "personal_data_subjects",
    "users",
    "user_count",
    "criteria",
    "in_operation_since",
    "layer_onsite",
    "layer_monitoring",
    "layer_assessment",
    "layer_national",
    "security_contact",
    "contact_email",
    "last_review_on",
    "next_review_on",
}


def save_system(
    *, actor: Any, owner: Any, code: str, system: InformationSystem | None = None, **values: Any
) -> InformationSystem:
    """Create or update a system of the registry (not its level decision)."""
    require(actor, "security.manage_registry", owner)
    if system is not None:
        require(actor, "security.manage_registry", system.owner)
    unknown = set(values) - SYSTEM_FIELDS
    if unknown:
        raise ValidationFailed(f"Trường không hợp lệ: {', '.join(sorted(unknown))}.")
    code = clean_text(code).upper()[:30]
    if not code or not values.get("name", getattr(system, "name", "")):
        raise ValidationFailed("Cần nhập mã và tên hệ thống.")
    known = set(LevelCriterion.objects.values_list("code", flat=True))
    if "criteria" in values:
        values["criteria"] = [c for c in values["criteria"] or [] if c in known]
    for key in ("name", "operator", "users", "contact_email"):
        if key in values:
            values[key] = clean_text(values[key] or "")
    for key in ("purpose", "data_held"):
        if key in values:
            values[key] = clean_text(values[key] or "", multiline=True)
    with transaction.atomic():
        clash = InformationSystem.objects.filter(code=code)
        if system is not None:
            clash = clash.exclude(pk=system.pk)
        if clash.exists():
            raise SecurityError(
                "Mã hệ thống đã được dùng.", code=SecurityErrorCode.SYSTEM_CODE_TAKEN
            )
        created = system is None
        if system is None:
            system = InformationSystem(owner=owner, code=code)
        else:
            system = InformationSystem.objects.select_for_update(of=("self",)).get(pk=system.pk)
            system.code = code
            system.owner = owner
        for key, value in values.items():
            setattr(system, key, value)
        level, _ = suggested_level(
            criteria=system.criteria,
            holds_personal_data=system.holds_personal_data,
            personal_data_subjects=system.personal_data_subjects,
        )
        if system.status == InformationSystem.Status.DRAFT:
            system.proposed_level = level
        system.save()
        record(
            actor=actor,
            action="security.system_created" if created else "security.system_updated",
            obj=system,
            agency=owner,
            summary={"suggested_level": level},
        )
    return system


def propose_level(*, actor: Any, system: InformationSystem, level: int) -> InformationSystem:
    require(actor, "security.manage_registry", system.owner)
    if level not in (1, 2, 3, 4, 5):
        raise SecurityError("Cấp độ phải từ 1 đến 5.", code=SecurityErrorCode.INVALID_LEVEL)
    with transaction.atomic():
        system = InformationSystem.objects.select_for_update(of=("self",)).get(pk=system.pk)
        system.proposed_level = level
        if system.status == InformationSystem.Status.DRAFT:
            system.status = InformationSystem.Status.PROPOSED
        system.save()
        record(
            actor=actor,
            action="security.level_proposed",
            obj=system,
            agency=system.owner_id,
            summary={"level": level},
        )
    return system


def approve_level(
    *,
    actor: Any,
    system: InformationSystem,
    level: int,
    decision_number: str,
    decision_date: dt.date,
    decision_pdf: bytes | None = None,
    review_years: int = 2,
) -> InformationSystem:
    """Record the approval decision (art. 17); the next review is due `review_years` on."""
    require(actor, "security.approve_level", system.owner)
    if level not in (1, 2, 3, 4, 5):
        raise SecurityError("Cấp độ phải từ 1 đến 5.", code=SecurityErrorCode.INVALID_LEVEL)
    decision_number = clean_text(decision_number)[:60]
    if not decision_number:
        raise ValidationFailed("Cần nhập số quyết định phê duyệt.")
    if decision_pdf:
        from tinhso.core.pdf import check_pdf

        check_pdf(decision_pdf)
    with transaction.atomic():
        system = InformationSystem.objects.select_for_update(of=("self",)).get(pk=system.pk)
        system.approved_level = level
        system.approval_number = decision_number
        system.approval_date = decision_date
        system.status = InformationSystem.Status.APPROVED
        system.last_review_on = decision_date
        try:
            system.next_review_on = decision_date.replace(year=decision_date.year + review_years)
        except ValueError:  # 29 February
            system.next_review_on = decision_date + dt.timedelta(days=365 * review_years)
        system.review_reminded_on = None
        system.save()
        if decision_pdf:
            _store_document(
                system, DossierDocument.Kind.DECISION, "pdf", decision_pdf, actor, False
            )
        record(
            actor=actor,
            action="security.level_approved",
            obj=system,
            agency=system.owner_id,
            summary={"level": level, "decision": decision_number},
        )
    return system


def _store_document(
    system: InformationSystem, kind: str, fmt: str, data: bytes, actor: Any, generated: bool
) -> DossierDocument:
    digest = hashlib.sha256(data).hexdigest()
    doc = DossierDocument(
        system=system,
        kind=kind,
        fmt=fmt,
        generated=generated,
        sha256=digest,
        size=len(data),
        created_by=actor,
    )
    doc.file.save(f"{digest}.{fmt}", ContentFile(data), save=False)
    doc.save()
    return doc


def generate_dossier(
    *, actor: Any, system: InformationSystem, fmt: str = "docx"
) -> list[DossierDocument]:
    """Drafts of the level dossier's documents (art. 15), filled from the registry."""
    from tinhso.security import dossier

    require(actor, "security.manage_registry", system.owner)
    if fmt not in ("docx", "pdf"):
        raise ValidationFailed("Định dạng phải là docx hoặc pdf.")
    kinds = list(dossier.KINDS)
    level = system.approved_level or system.proposed_level or 1
    if level >= 4:
        kinds.append(DossierDocument.Kind.OPINION)
    with transaction.atomic():
        docs = []
        for kind in kinds:
            data = dossier.render(system, kind, fmt)
            docs.append(_store_document(system, kind, fmt, data, actor, True))
        record(
            actor=actor,
            action="security.dossier_generated",
            obj=system,
            agency=system.owner_id,
            summary={"format": fmt, "documents": len(docs)},
        )
    return docs


def record_assessment(
    *,
    actor: Any,
    system: InformationSystem,
    assessor: str,
    assessed_on: dt.date,
    result: str,
    findings: str = "",
    next_due_on: dt.date | None = None,
) -> Assessment:
    require(actor, "security.manage_registry", system.owner)
    if result not in Assessment.Result.values:
        raise ValidationFailed("Kết quả đánh giá không hợp lệ.")
    assessor = clean_text(assessor)[:255]
    if not assessor:
        raise ValidationFailed("Cần nhập đơn vị đánh giá độc lập.")
    with transaction.atomic():
        assessment = Assessment.objects.create(
            system=system,
            assessor=assessor,
            assessed_on=assessed_on,
            result=result,
            findings=clean_text(findings, multiline=True),
            next_due_on=next_due_on,
            recorded_by=actor,
        )
        InformationSystem.objects.filter(pk=system.pk).update(
            layer_assessment=True, updated_at=timezone.now()
        )
        record(
            actor=actor,
            action="security.assessment_recorded",
            obj=system,
            agency=system.owner_id,
            summary={"result": result, "assessor": assessor},
        )
    return assessment


def get_system(uid: Any) -> InformationSystem:
    found = InformationSystem.objects.select_related("owner").filter(uid=uid).first()
    if found is None:
        raise NotFound()
    return found


# ---------------------------------------------------------------------------------------
# Housekeeping (run by the listener every few minutes and by `tinhso security housekeeping`)


def remind_reviews(*, within_days: int = 30, today: dt.date | None = None) -> int:
    """Tell each system's security contact once when its review falls due."""
    from tinhso.notify.services import notify_user

    today = today or timezone.localdate()
    due = InformationSystem.objects.filter(
        next_review_on__isnull=False,
        next_review_on__lte=today + dt.timedelta(days=within_days),
        review_reminded_on__isnull=True,
    ).exclude(status=InformationSystem.Status.RETIRED)
    sent = 0
    for system in due.select_related("owner", "security_contact"):
        with transaction.atomic():
            for user in _recipients(system.owner, system):
                notify_user(
                    user=user,
                    template="security_review_due",
                    context={"system": system, "user": user},
                    related_object=f"security.system:{system.uid}",
                )
            InformationSystem.objects.filter(pk=system.pk).update(review_reminded_on=today)
            sent += 1
    return sent


def scan_certificates(*, within_days: int = 30) -> int:
    """Certificates expiring soon or expired: one event each per day (idempotent)."""
    from tinhso.signing.selectors import certificates_expiring

    today = timezone.localdate()
    found = 0
    for cert in certificates_expiring(within_days=within_days):
        expired = cert.not_after <= timezone.now()
        kind = "certificate_expired" if expired else "certificate_expiring"
        result = record_internal(
            kind=kind,
            detail=f"{cert.common_name} (số hiệu {cert.serial_hex}), hết hạn "
            f"{timezone.localtime(cert.not_after):%d/%m/%Y}",
            event_id=f"{kind}:{cert.fingerprint_sha256[:40]}:{today:%Y%m%d}",
            user_name=getattr(cert.owner_user, "username", "") if cert.owner_user_id else "",
            extra={"certificate": cert.fingerprint_sha256},
        )
        found += result.accepted
    return found


def purge_events(*, days: int | None = None, batch: int = 10_000) -> int:
    """Raw events older than the retention (SECURITY_EVENT_RETENTION_DAYS, default 365)
    are deleted in batches; alerts and incidents keep their own copy of what matters."""
    from django.conf import settings

    days = days or int(getattr(settings, "SECURITY_EVENT_RETENTION_DAYS", 365))
    limit = timezone.now() - dt.timedelta(days=days)
    deleted = 0
    while True:
        ids = list(Event.objects.filter(received_at__lt=limit).values_list("pk", flat=True)[:batch])
        if not ids:
            return deleted
        with transaction.atomic():
            Event.objects.filter(pk__in=ids).delete()
        deleted += len(ids)


def housekeeping() -> dict[str, int]:
    return {
        "certificates": scan_certificates(),
        "reviews": remind_reviews(),
        "rule_hits_pruned": intake.prune_rule_hits(),
        "events_purged": purge_events(),
    }


def event_count() -> int:
    return Event.objects.count()
