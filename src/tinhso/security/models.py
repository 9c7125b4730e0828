"""Data of the security app: sensors and their events, rules and alerts, incidents, and the
registry of information systems by security level (Decree 85/2016/NĐ-CP).

Everything a province may need to tune is data, not code: the severity bands (Wazuh
levels 0–16 → low/medium/high/critical), the triage rules (field matches, thresholds
over a time window), the level criteria (with the level each one implies), the incident
deadlines per severity, and the ranges that attribute an event to an agency and system.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tinhso.core.models import PublicIdentified, TimeStamped


class Severity(models.TextChoices):
    LOW = "low", _("Thấp")
    MEDIUM = "medium", _("Trung bình")
    HIGH = "high", _("Cao")
    CRITICAL = "critical", _("Nghiêm trọng")


SEVERITY_RANK = {"low": 1, "medium": 2, "high": 3, "critical": 4}


class SecurityLevel(models.IntegerChoices):
    L1 = 1, _("Cấp độ 1")
    L2 = 2, _("Cấp độ 2")
    L3 = 3, _("Cấp độ 3")
    L4 = 4, _("Cấp độ 4")
    L5 = 5, _("Cấp độ 5")


# ---------------------------------------------------------------------------------------
# Sensors, severity, attribution


class Source(PublicIdentified, TimeStamped):
    """A sensor that sends events (a Wazuh manager, a firewall, tinhso itself)."""

    class Kind(models.TextChoices):
        WAZUH = "wazuh", _("Wazuh (tích hợp custom- qua HTTP)")
        SYSLOG = "syslog", _("Syslog (JSON/CEF)")
        INTERNAL = "internal", _("Sự kiện của chính tinhso")

    name = models.CharField(_("tên nguồn"), max_length=120, unique=True)
    kind = models.CharField(_("loại"), max_length=10, choices=Kind.choices)
    token_hash = models.CharField(max_length=64, blank=True, default="", db_index=True)
    token_prefix = models.CharField(max_length=8, blank=True, default="")
    # For syslog: the sender addresses (comma-separated IPs/CIDRs) this source stands for.
    addresses = models.CharField(_("địa chỉ gửi (syslog)"), max_length=500, blank=True)
    rate_per_minute = models.PositiveIntegerField(_("giới hạn sự kiện/phút"), default=120_000)
    is_active = models.BooleanField(_("đang dùng"), default=True)
    last_event_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("nguồn sự kiện")
        verbose_name_plural = _("nguồn sự kiện")

    def __str__(self) -> str:
        return self.name

    def networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        found = []
        for part in self.addresses.split(","):
            part = part.strip()
            if part:
                try:
                    found.append(ipaddress.ip_network(part, strict=False))
                except ValueError:
                    continue
        return found


class SeverityBand(models.Model):
    """Maps a sensor's level (Wazuh rule.level 0–16, CEF 0–10, syslog 0–7) to a severity."""

    class Scale(models.TextChoices):
        WAZUH = "wazuh", _("Wazuh rule.level (0–16)")
        CEF = "cef", _("CEF severity (0–10)")
        SYSLOG = "syslog", _("Syslog severity (0–7, 0 nặng nhất)")

    scale = models.CharField(max_length=10, choices=Scale.choices)
    min_level = models.PositiveSmallIntegerField()
    max_level = models.PositiveSmallIntegerField()
    severity = models.CharField(max_length=10, choices=Severity.choices)

    class Meta:
        ordering = ["scale", "min_level"]
        verbose_name = _("ngưỡng mức độ")
        verbose_name_plural = _("ngưỡng mức độ")

    def __str__(self) -> str:
        return f"{self.scale} {self.min_level}–{self.max_level} → {self.severity}"


class AssetRange(models.Model):
    """Attributes an event to an agency (and a system) by agent id/name, host or IP range."""

    class Kind(models.TextChoices):
        AGENT_ID = "agent_id", _("Mã agent")
        AGENT_NAME = "agent_name", _("Tên agent (tiền tố)")
        HOST = "host", _("Tên máy (tiền tố)")
        IP_RANGE = "ip_range", _("Dải IP (CIDR)")

    kind = models.CharField(max_length=12, choices=Kind.choices)
    value = models.CharField(_("giá trị"), max_length=120)
    agency = models.ForeignKey(
        "directory.Agency", on_delete=models.PROTECT, related_name="security_ranges"
    )
    system = models.ForeignKey(
        "security.InformationSystem",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ranges",
    )
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["kind", "value"]
        verbose_name = _("phạm vi tài sản")
        verbose_name_plural = _("phạm vi tài sản")
        constraints = [
            models.UniqueConstraint(fields=["kind", "value"], name="security_range_unique")
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


# ---------------------------------------------------------------------------------------
# Events, rules, alerts


class Event(models.Model):
    """One event as received: the raw text is kept; the fields triage uses are columns."""

    class Format(models.TextChoices):
        WAZUH4 = "wazuh4", _("Wazuh 4.x alert JSON")
        WAZUH5 = "wazuh5", _("Wazuh 5.x ECS finding")
        CEF = "cef", _("CEF")
        JSON = "json", _("JSON")
        TINHSO = "tinhso", _("tinhso")

    id = models.BigAutoField(primary_key=True)
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="events")
    source_event_id = models.CharField(max_length=120, blank=True, default="")
    format = models.CharField(max_length=8, choices=Format.choices)
    received_at = models.DateTimeField(db_index=True)
    occurred_at = models.DateTimeField(db_index=True)
    level = models.SmallIntegerField(default=0)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    category = models.CharField(max_length=60, blank=True, default="")
    rule_id = models.CharField(max_length=40, blank=True, default="")
    description = models.CharField(max_length=500, blank=True, default="")
    agent_id = models.CharField(max_length=40, blank=True, default="")
    agent_name = models.CharField(max_length=120, blank=True, default="")
    host = models.CharField(max_length=120, blank=True, default="")
    src_ip = models.GenericIPAddressField(null=True, blank=True)
    user_name = models.CharField(max_length=150, blank=True, default="")
    groups = models.JSONField(default=list, blank=True)
    agency = models.ForeignKey(
        "directory.Agency",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="security_events",
    )
    system = models.ForeignKey(
        "security.InformationSystem",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
    )
    # As received (an event is refused above 64 KiB, so 128 Ki characters always fit).
    raw = models.TextField(max_length=131_072)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("sự kiện an toàn")
        verbose_name_plural = _("sự kiện an toàn")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_event_id"],
                condition=~models.Q(source_event_id=""),
                name="security_event_idempotent",
            )
        ]
        indexes = [
            models.Index(fields=["agency", "received_at"]),
            models.Index(fields=["severity", "received_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.source_event_id or self.pk} {self.description[:60]}"


class RejectedInput(models.Model):
    """Input refused at the intake, with the reason (a sample, never the whole flood)."""

    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    channel = models.CharField(max_length=10)  # http | udp | tcp
    peer = models.CharField(max_length=64, blank=True, default="")
    source = models.ForeignKey(Source, null=True, blank=True, on_delete=models.SET_NULL)
    code = models.CharField(max_length=40)
    reason = models.CharField(max_length=300)
    sample = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("dữ liệu bị từ chối")
        verbose_name_plural = _("dữ liệu bị từ chối")

    def __str__(self) -> str:
        return f"{self.code} {self.peer}"


class Rule(TimeStamped):
    """A triage rule, as data. Conditions: [{"field", "op", "value"}] all of which must hold;
    `threshold` matching events with the same `group_by` values within `window_seconds`
    raise an alert (threshold 1: every match). Repeats fold into the open alert."""

    code = models.SlugField(_("mã"), max_length=60, unique=True)
    name = models.CharField(_("tên quy tắc"), max_length=200)
    description = models.TextField(_("mô tả"), blank=True)
    is_active = models.BooleanField(_("đang dùng"), default=True)
    conditions = models.JSONField(_("điều kiện"), default=list)
    threshold = models.PositiveIntegerField(_("số lần"), default=1)
    window_seconds = models.PositiveIntegerField(_("trong (giây)"), default=300)
    group_by = models.JSONField(_("nhóm theo trường"), default=list, blank=True)
    severity = models.CharField(
        _("mức độ cảnh báo"), max_length=10, choices=Severity.choices, blank=True
    )
    category = models.CharField(_("nhóm"), max_length=60, blank=True)
    dedup_seconds = models.PositiveIntegerField(_("gộp cảnh báo lặp trong (giây)"), default=3600)

    class Meta:
        ordering = ["code"]
        verbose_name = _("quy tắc")
        verbose_name_plural = _("quy tắc")

    def __str__(self) -> str:
        return self.name


class RuleHit(models.Model):
    """A match of a threshold rule, counted over its window (pruned after the window)."""

    id = models.BigAutoField(primary_key=True)
    rule = models.ForeignKey(Rule, on_delete=models.CASCADE)
    key = models.CharField(max_length=64)
    at = models.DateTimeField()
    event = models.ForeignKey(Event, on_delete=models.CASCADE)

    class Meta:
        indexes = [models.Index(fields=["rule", "key", "at"])]

    def __str__(self) -> str:
        return f"{self.rule_id}:{self.key}"


class Alert(PublicIdentified, models.Model):
    class Status(models.TextChoices):
        NEW = "new", _("Mới")
        ACKNOWLEDGED = "acknowledged", _("Đã ghi nhận")
        IN_INCIDENT = "in_incident", _("Thuộc sự cố")
        DISMISSED = "dismissed", _("Bỏ qua (không phải sự cố)")

    rule = models.ForeignKey(Rule, null=True, blank=True, on_delete=models.SET_NULL)
    key = models.CharField(max_length=64, db_index=True)
    title = models.CharField(_("tiêu đề"), max_length=300)
    severity = models.CharField(_("mức độ"), max_length=10, choices=Severity.choices)
    category = models.CharField(_("nhóm"), max_length=60, blank=True)
    status = models.CharField(max_length=14, choices=Status.choices, default=Status.NEW)
    first_seen = models.DateTimeField(db_index=True)
    last_seen = models.DateTimeField()
    raised_at = models.DateTimeField(default=timezone.now)
    count = models.PositiveIntegerField(_("số lần lặp"), default=1)
    first_event = models.ForeignKey(
        Event, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    agency = models.ForeignKey(
        "directory.Agency",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="security_alerts",
    )
    system = models.ForeignKey(
        "security.InformationSystem",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="alerts",
    )
    incident = models.ForeignKey(
        "security.Incident",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="alerts",
    )
    # Arrival of the event that raised it (for the arrival → alert latency figure).
    arrived_at = models.DateTimeField(null=True, blank=True)
    # When a matching event last arrived: repeats within the rule's dedup window fold in.
    touched_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-last_seen"]
        verbose_name = _("cảnh báo")
        verbose_name_plural = _("cảnh báo")
        indexes = [models.Index(fields=["rule", "key", "status", "touched_at"])]

    def __str__(self) -> str:
        return self.title


# ---------------------------------------------------------------------------------------
# Incidents


class Incident(PublicIdentified, TimeStamped):
    class Status(models.TextChoices):
        NEW = "new", _("Mới")
        INVESTIGATING = "investigating", _("Đang xử lý")
        CONTAINED = "contained", _("Đã ngăn chặn")
        RESOLVED = "resolved", _("Đã khắc phục")
        CLOSED = "closed", _("Đã đóng")

    code = models.CharField(_("số hiệu"), max_length=20, unique=True)
    title = models.CharField(_("tiêu đề"), max_length=300)
    description = models.TextField(_("mô tả"), blank=True)
    severity = models.CharField(_("mức độ"), max_length=10, choices=Severity.choices)
    category = models.CharField(_("nhóm"), max_length=60, blank=True)
    status = models.CharField(max_length=14, choices=Status.choices, default=Status.NEW)
    agency = models.ForeignKey(
        "directory.Agency",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="security_incidents",
    )
    system = models.ForeignKey(
        "security.InformationSystem",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="incidents",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="security_incidents",
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    deadline = models.DateTimeField(_("hạn xử lý"))
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    resolution = models.TextField(_("kết quả xử lý"), blank=True)
    must_report = models.BooleanField(_("phải báo cáo cơ quan chuyên trách"), default=False)
    reported_at = models.DateTimeField(null=True, blank=True)
    report = models.ForeignKey(
        "security.NationalReport",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="incidents",
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("sự cố")
        verbose_name_plural = _("sự cố")

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status not in (self.Status.RESOLVED, self.Status.CLOSED)

    @property
    def is_overdue(self) -> bool:
        end = self.resolved_at or timezone.now()
        return end > self.deadline


class IncidentEntry(models.Model):
    """The incident's timeline: notes, status changes, assignment, alerts, evidence."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Mở sự cố")
        NOTE = "note", _("Ghi chú")
        STATUS = "status", _("Chuyển trạng thái")
        ASSIGNED = "assigned", _("Phân công")
        ALERT = "alert", _("Gắn cảnh báo")
        EVIDENCE = "evidence", _("Bằng chứng")
        REPORTED = "reported", _("Báo cáo cơ quan chuyên trách")

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    text = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.text[:40]}"


def _evidence_path(instance: Evidence, filename: str) -> str:
    return f"security/evidence/{instance.sha256[:2]}/{instance.sha256}"


class Evidence(PublicIdentified, models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="evidence")
    name = models.CharField(_("tên tệp"), max_length=200)
    description = models.CharField(_("mô tả"), max_length=500, blank=True)
    file = models.FileField(upload_to=_evidence_path, max_length=255)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField(default=0)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["added_at"]

    def __str__(self) -> str:
        return self.name


class IncidentDeadline(models.Model):
    """Working days allowed to resolve an incident of a severity (data)."""

    severity = models.CharField(max_length=10, choices=Severity.choices, unique=True)
    working_days = models.DecimalField(max_digits=4, decimal_places=1)
    must_report = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.severity}: {self.working_days}"


class NationalReport(PublicIdentified, models.Model):
    """The periodic report to the national monitoring centre (NCSC), as exported."""

    period_start = models.DateField()
    period_end = models.DateField()
    adapter = models.CharField(max_length=30)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    content = models.TextField()
    content_type = models.CharField(max_length=60)
    filename = models.CharField(max_length=120)
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.filename


# ---------------------------------------------------------------------------------------
# Registry of information systems (Decree 85/2016)


class LevelCriterion(models.Model):
    """A legal criterion (Decree 85 arts. 7–11) and the level it implies, as data."""

    code = models.SlugField(max_length=60, unique=True)
    text = models.CharField(max_length=400)
    level = models.PositiveSmallIntegerField(choices=SecurityLevel.choices)
    article = models.CharField(max_length=40, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.text


class InformationSystem(PublicIdentified, TimeStamped):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Đang lập hồ sơ")
        PROPOSED = "proposed", _("Đã đề xuất cấp độ")
        APPROVED = "approved", _("Đã phê duyệt cấp độ")
        RETIRED = "retired", _("Ngừng vận hành")

    code = models.CharField(_("mã hệ thống"), max_length=30, unique=True)
    name = models.CharField(_("tên hệ thống"), max_length=255)
    owner = models.ForeignKey(
        "directory.Agency",
        on_delete=models.PROTECT,
        related_name="information_systems",
        verbose_name=_("chủ quản"),
    )
    operator = models.CharField(_("đơn vị vận hành"), max_length=255, blank=True)
    purpose = models.TextField(_("mục đích, chức năng"), blank=True)
    data_held = models.TextField(_("dữ liệu xử lý"), blank=True)
    holds_personal_data = models.BooleanField(_("có dữ liệu cá nhân"), default=False)
    personal_data_subjects = models.PositiveIntegerField(
        _("số người có dữ liệu cá nhân"), default=0
    )
    users = models.CharField(_("người sử dụng"), max_length=255, blank=True)
    user_count = models.PositiveIntegerField(_("số người dùng"), default=0)
    criteria = models.JSONField(_("tiêu chí xác định cấp độ"), default=list, blank=True)
    proposed_level = models.PositiveSmallIntegerField(
        _("cấp độ đề xuất"), choices=SecurityLevel.choices, null=True, blank=True
    )
    approved_level = models.PositiveSmallIntegerField(
        _("cấp độ được phê duyệt"), choices=SecurityLevel.choices, null=True, blank=True
    )
    approval_number = models.CharField(_("số quyết định phê duyệt"), max_length=60, blank=True)
    approval_date = models.DateField(_("ngày phê duyệt"), null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    in_operation_since = models.DateField(_("vận hành từ"), null=True, blank=True)
    last_review_on = models.DateField(_("rà soát gần nhất"), null=True, blank=True)
    next_review_on = models.DateField(_("rà soát tiếp theo"), null=True, blank=True)
    review_reminded_on = models.DateField(null=True, blank=True)
    # The 4-layer model (Directive 14/CT-TTg, dispatch 1552/BTTTT-CATTT)
    layer_onsite = models.BooleanField(_("Lớp 1: lực lượng tại chỗ"), default=False)
    layer_monitoring = models.BooleanField(
        _("Lớp 2: giám sát, bảo vệ chuyên nghiệp"), default=False
    )
    layer_assessment = models.BooleanField(_("Lớp 3: kiểm tra, đánh giá độc lập"), default=False)
    layer_national = models.BooleanField(
        _("Lớp 4: kết nối hệ thống giám sát quốc gia"), default=False
    )
    security_contact = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="security_systems",
        verbose_name=_("đầu mối an toàn thông tin"),
    )
    contact_email = models.EmailField(_("thư điện tử đầu mối"), blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("hệ thống thông tin")
        verbose_name_plural = _("hệ thống thông tin")

    def __str__(self) -> str:
        return self.name

    @property
    def layers_in_place(self) -> int:
        return sum(
            [self.layer_onsite, self.layer_monitoring, self.layer_assessment, self.layer_national]
        )


class Assessment(models.Model):
    """An independent periodic inspection and assessment (layer 3)."""

    class Result(models.TextChoices):
        PASSED = "passed", _("Đạt")
        PASSED_WITH_FINDINGS = "findings", _("Đạt, có khuyến nghị")
        FAILED = "failed", _("Không đạt")

    system = models.ForeignKey(
        InformationSystem, on_delete=models.CASCADE, related_name="assessments"
    )
    assessor = models.CharField(_("đơn vị đánh giá"), max_length=255)
    assessed_on = models.DateField(_("ngày đánh giá"))
    result = models.CharField(_("kết quả"), max_length=10, choices=Result.choices)
    findings = models.TextField(_("phát hiện, khuyến nghị"), blank=True)
    next_due_on = models.DateField(_("lần đánh giá tiếp theo"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-assessed_on"]

    def __str__(self) -> str:
        return f"{self.assessor} {self.assessed_on}"


def _dossier_path(instance: DossierDocument, filename: str) -> str:
    return f"security/dossiers/{instance.sha256[:2]}/{instance.sha256}.{instance.fmt}"


class DossierDocument(PublicIdentified, models.Model):
    """A document of the level dossier (art. 15): generated drafts and the decision."""

    class Kind(models.TextChoices):
        DESCRIPTION = "description", _("Thuyết minh tổng quan về hệ thống")
        DESIGN = "design", _("Hồ sơ thiết kế hệ thống")
        LEVEL = "level", _("Thuyết minh đề xuất cấp độ")
        PLAN = "plan", _("Phương án bảo đảm an toàn thông tin")
        OPINION = "opinion", _("Ý kiến của đơn vị chuyên trách (cấp độ 4, 5)")
        DECISION = "decision", _("Quyết định phê duyệt cấp độ")

    system = models.ForeignKey(
        InformationSystem, on_delete=models.CASCADE, related_name="documents"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    fmt = models.CharField(max_length=4)  # docx | pdf
    generated = models.BooleanField(default=True)
    file = models.FileField(upload_to=_dossier_path, max_length=255)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["system", "kind", "-created_at"]

    def __str__(self) -> str:
        return f"{self.kind}.{self.fmt}"
