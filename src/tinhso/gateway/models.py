"""Data of the gateway (LGSP): provider systems and their services, consumers and their
credentials, access rights and requests for them, and the message log.

The control plane (Django pages and API) writes the configuration; the data plane
(`tinhso gateway serve`) reads a snapshot of it (`gateway.config`) and appends one
message-log record per call (`gateway.messagelog`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tinhso.core.models import PublicIdentified, TimeStamped

CODE_MAX = 40


class ConfigVersion(models.Model):
    """One row: bumped by every configuration change so the data plane reloads."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    version = models.BigIntegerField(default=0)
    changed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"v{self.version}"


class Provider(PublicIdentified, TimeStamped):
    """A provider information system (X-Road: a subsystem) of a member agency."""

    code = models.CharField(_("mã hệ thống"), max_length=CODE_MAX, unique=True)
    name = models.CharField(_("tên hệ thống"), max_length=200)
    agency = models.ForeignKey(
        "directory.Agency", on_delete=models.PROTECT, related_name="gateway_providers"
    )
    description = models.TextField(_("mô tả"), blank=True, max_length=4000)
    contact_name = models.CharField(_("người đầu mối"), max_length=150)
    contact_email = models.EmailField(_("thư điện tử đầu mối"), blank=True)
    contact_phone = models.CharField(_("điện thoại đầu mối"), max_length=20, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("hệ thống cung cấp")
        verbose_name_plural = _("hệ thống cung cấp")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Service(PublicIdentified, TimeStamped):
    """A data-sharing service: one OpenAPI 3 description (or a plain REST base URL)."""

    class Kind(models.TextChoices):
        OPENAPI = "openapi", _("Mô tả OpenAPI 3")
        REST = "rest", _("Địa chỉ gốc REST")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Bản nháp")
        ENABLED = "enabled", _("Đang hoạt động")
        DISABLED = "disabled", _("Tạm ngừng")

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="services")
    code = models.CharField(_("mã dịch vụ"), max_length=CODE_MAX)
    title = models.CharField(_("tên dịch vụ"), max_length=200)
    version = models.CharField(_("phiên bản"), max_length=40, blank=True)
    description = models.TextField(_("mô tả"), blank=True, max_length=10000)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.OPENAPI)
    base_url = models.URLField(_("địa chỉ hệ thống cung cấp"), max_length=500)
    openapi_url = models.URLField(_("địa chỉ mô tả OpenAPI"), max_length=500, blank=True)
    openapi_text = models.TextField(blank=True, max_length=2_100_000)
    status = models.CharField(
        _("trạng thái"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    disabled_notice = models.CharField(_("thông báo tạm ngừng"), max_length=500, blank=True)
    timeout_ms = models.PositiveIntegerField(_("thời gian chờ (ms)"), default=10_000)
    log_bodies = models.BooleanField(_("lưu nội dung (mã hóa)"), default=False)
    upstream_headers_encrypted = models.TextField(blank=True, default="")
    contact_name = models.CharField(_("người đầu mối"), max_length=150, blank=True)
    contact_email = models.EmailField(_("thư điện tử đầu mối"), blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["provider__code", "code"]
        verbose_name = _("dịch vụ chia sẻ dữ liệu")
        verbose_name_plural = _("dịch vụ chia sẻ dữ liệu")
        constraints = [
            models.UniqueConstraint(fields=["provider", "code"], name="gateway_service_code")
        ]

    def __str__(self) -> str:
        return f"{self.provider.code}/{self.code}"

    @property
    def full_code(self) -> str:
        return f"{self.provider.code}/{self.code}"


class Endpoint(models.Model):
    """A REST endpoint of a service (method + path template), read from its description."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="endpoints")
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=300)
    operation_id = models.CharField(max_length=200, blank=True)
    summary = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["path", "method"]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "method", "path"], name="gateway_endpoint_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


class Consumer(PublicIdentified, TimeStamped):
    """A consumer information system of a member agency, calling through the gateway."""

    code = models.CharField(_("mã hệ thống"), max_length=CODE_MAX, unique=True)
    name = models.CharField(_("tên hệ thống"), max_length=200)
    agency = models.ForeignKey(
        "directory.Agency", on_delete=models.PROTECT, related_name="gateway_consumers"
    )
    contact_name = models.CharField(_("người đầu mối"), max_length=150)
    contact_email = models.EmailField(_("thư điện tử đầu mối"), blank=True)
    rate_per_minute = models.PositiveIntegerField(_("giới hạn yêu cầu mỗi phút"), default=600)
    quota_per_day = models.PositiveIntegerField(_("hạn mức yêu cầu mỗi ngày"), default=100_000)
    is_active = models.BooleanField(_("đang hoạt động"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("hệ thống khai thác")
        verbose_name_plural = _("hệ thống khai thác")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class ConsumerGroup(TimeStamped):
    code = models.CharField(_("mã nhóm"), max_length=CODE_MAX, unique=True)
    name = models.CharField(_("tên nhóm"), max_length=200)
    members = models.ManyToManyField(Consumer, related_name="groups", blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class ApiKey(PublicIdentified):
    """A consumer's key: only its SHA-256 is stored (shown once, when issued)."""

    consumer = models.ForeignKey(Consumer, on_delete=models.CASCADE, related_name="keys")
    name = models.CharField(_("tên"), max_length=100, blank=True)
    prefix = models.CharField(max_length=16)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.consumer.code} · {self.prefix}…"


class ClientCertificate(PublicIdentified):
    """A consumer's TLS client certificate (mTLS), known by its SHA-256 fingerprint."""

    consumer = models.ForeignKey(Consumer, on_delete=models.CASCADE, related_name="certificates")
    fingerprint = models.CharField(max_length=64, unique=True)
    subject = models.CharField(max_length=500)
    not_after = models.DateTimeField()
    pem = models.TextField(max_length=20_000)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.subject


class AccessRight(models.Model):
    """A consumer (or a group of consumers) may call a service, or one endpoint of it."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="rights")
    endpoint = models.ForeignKey(
        Endpoint, null=True, blank=True, on_delete=models.CASCADE, related_name="rights"
    )
    consumer = models.ForeignKey(
        Consumer, null=True, blank=True, on_delete=models.CASCADE, related_name="rights"
    )
    group = models.ForeignKey(
        ConsumerGroup, null=True, blank=True, on_delete=models.CASCADE, related_name="rights"
    )
    granted_at = models.DateTimeField(auto_now_add=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(consumer__isnull=False, group__isnull=True)
                    | models.Q(consumer__isnull=True, group__isnull=False)
                ),
                name="gateway_right_one_subject",
            )
        ]

    def __str__(self) -> str:
        subject = self.consumer or self.group
        return f"{subject} → {self.service}{' ' + str(self.endpoint) if self.endpoint else ''}"


class AccessRequest(PublicIdentified):
    """A consumer asks for a service; the provider's administrator approves or refuses."""

    class Status(models.TextChoices):
        ASKED = "asked", _("Đang chờ duyệt")
        APPROVED = "approved", _("Đã chấp thuận")
        REFUSED = "refused", _("Đã từ chối")

    consumer = models.ForeignKey(Consumer, on_delete=models.CASCADE, related_name="requests")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="requests")
    endpoint = models.ForeignKey(
        Endpoint, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    reason = models.TextField(_("mục đích sử dụng"), max_length=2000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ASKED)
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    asked_at = models.DateTimeField(auto_now_add=True)
    due_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("ghi chú"), max_length=500, blank=True)

    class Meta:
        ordering = ["-asked_at"]

    def __str__(self) -> str:
        return f"{self.consumer.code} → {self.service}"


class MessageLog(models.Model):
    """One call through the data plane (X-Road message log + operational monitoring).

    Appended by the ingester from the data plane's write-ahead files; `hash` chains each
    record to the one before it (see `gateway.messagelog`)."""

    seq = models.BigIntegerField(primary_key=True)
    request_id = models.CharField(max_length=64, db_index=True)  # the caller may repeat it
    started_at = models.DateTimeField(db_index=True)
    consumer_code = models.CharField(max_length=CODE_MAX, blank=True, db_index=True)
    provider_code = models.CharField(max_length=CODE_MAX, blank=True)
    service_code = models.CharField(max_length=CODE_MAX, blank=True)
    endpoint = models.CharField(max_length=320, blank=True)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=1000)
    issue = models.CharField(max_length=100, blank=True, db_index=True)
    status_code = models.PositiveSmallIntegerField()
    result = models.CharField(max_length=40)  # "ok" or an error code
    error_source = models.CharField(max_length=10, blank=True)
    request_size = models.BigIntegerField(default=0)
    response_size = models.BigIntegerField(default=0)
    request_hash = models.CharField(max_length=64)
    response_hash = models.CharField(max_length=64)
    duration_ms = models.FloatField(default=0)
    provider_ms = models.FloatField(null=True, blank=True)
    client_ip = models.CharField(max_length=45, blank=True)
    # encrypted (Fernet, base64) or empty
    request_body = models.TextField(blank=True, default="", max_length=30_000_000)
    response_body = models.TextField(blank=True, default="", max_length=30_000_000)
    # what the ingester could not read in the data plane's record, as JSON {field: raw
    # value} (ASCII), e.g. a time it cannot parse; "" for a sound record. Such a record is
    # kept and chained all the same, with the field's stand-in value (`messagelog._any_row`)
    unreadable = models.TextField(blank=True, default="", max_length=10_000)
    content_hash = models.CharField(max_length=64)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["-seq"]
        indexes = [
            models.Index(fields=["provider_code", "service_code", "started_at"]),
            # a service's last calls (health.check_alerts, after every ingestion) without
            # reading all of that service's records
            models.Index(fields=["provider_code", "service_code", "seq"]),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.request_id}"

    @property
    def ok(self) -> bool:
        return self.result == "ok"

    @property
    def provider_refused(self) -> bool:
        """The exchange succeeded and the provider said no (its own 4xx): not the gateway's
        failure, nor a success for the caller."""
        return self.result == "ok" and 400 <= self.status_code < 500

    @property
    def flagged(self) -> bool:
        """Some field of the data plane's record was unreadable (see `unreadable`)."""
        return bool(self.unreadable)


class LogBatch(models.Model):
    """The platform's signature over a run of log records (and an RFC 3161 token when a
    time-stamping authority is configured)."""

    first_seq = models.BigIntegerField()
    last_seq = models.BigIntegerField(unique=True)
    last_hash = models.CharField(max_length=64)
    signed_at = models.DateTimeField()
    key_id = models.CharField(max_length=64)
    signature = models.TextField()
    timestamp_token = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-last_seq"]

    def __str__(self) -> str:
        return f"{self.first_seq}–{self.last_seq}"


class LogHead(models.Model):
    """The last record of the chain, locked by the ingester."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"#{self.last_seq}"


class WalCursor(models.Model):
    """How far a data plane's write-ahead file has been taken into the message log."""

    name = models.CharField(max_length=200, unique=True)
    offset = models.BigIntegerField(default=0)
    done = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.name}@{self.offset}"


class HealthAlert(models.Model):
    """An alert raised when a service keeps failing (one open per service)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="alerts")
    raised_at = models.DateTimeField(auto_now_add=True)
    failures = models.PositiveIntegerField()
    last_error = models.CharField(max_length=200)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-raised_at"]

    def __str__(self) -> str:
        return f"{self.service_id} × {self.failures}"


class PortalSyncItem(models.Model):
    """One dossier event to send to the national public-service portal, until it is
    acknowledged (connector `connectors.portal`)."""

    event_key = models.CharField(max_length=80, unique=True)  # "onestop:<event id>"
    dossier_code = models.CharField(max_length=40, db_index=True)
    agency_code = models.CharField(max_length=40, db_index=True)
    national_status = models.PositiveSmallIntegerField()
    happened_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.dossier_code} → {self.national_status}"


class SyncCursor(models.Model):
    """How far a source of events has been read (e.g. the one-stop's dossier events)."""

    name = models.CharField(max_length=40, unique=True)
    position = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}@{self.position}"


class CitizenLookup(models.Model):
    """A look-up in the national population database: who, for what, with the citizen's
    consent, and which papers it spared the citizen (indicators 4.3/4.5)."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    citizen_id = models.CharField(max_length=12, db_index=True)
    purpose = models.CharField(max_length=300)
    dossier_code = models.CharField(max_length=40, blank=True)
    consent_at = models.DateTimeField()
    at = models.DateTimeField(auto_now_add=True)
    found = models.BooleanField(default=False)
    papers_reused = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.citizen_id} {self.at:%Y-%m-%d}"
