"""Data of the document exchange (trục liên thông văn bản).

- `Endpoint`: the address book: an agency code (QCVN 102 form, or a level-1 code such as
  `H98` standing for every agency of that province) → another tinhso instance or the
  national axis. Agencies of this instance need no entry (their `legacy_code`).
- `Transmission`: the sender's view of one package sent to one receiver, with the state
  that moves only forward as statuses arrive (sent → 01 → 03 → 04 → 05 → 06; 02 ends it)
  and the answer (15/16) to a revoke/update/replace.
- `OutboxMessage`: a signed package (document or status) waiting to be delivered by the
  background worker, with its attempts, back-off and last error; `dead` after N attempts.
- `InboxItem`: a package (document or status) received, once per sender + DocumentId +
  business type (+ receiver, + status code): the idempotency key is unique.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tinhso.core.models import PublicIdentified, TimeStamped


class Endpoint(PublicIdentified, TimeStamped):
    class Kind(models.TextChoices):
        INSTANCE = "instance", _("Hệ thống tinhso khác (tỉnh khác)")
        AXIS = "axis", _("Trục liên thông văn bản quốc gia")
        LOCAL = "local", _("Trong hệ thống này")

    organ_id = models.CharField(_("mã định danh cơ quan"), max_length=35, unique=True)
    name = models.CharField(_("tên"), max_length=255)
    kind = models.CharField(_("loại"), max_length=10, choices=Kind.choices)
    url = models.URLField(_("địa chỉ nhận gói tin"), max_length=500, blank=True)
    token = models.CharField(_("khóa truy cập"), max_length=255, blank=True)
    is_active = models.BooleanField(_("đang dùng"), default=True)

    class Meta:
        ordering = ["organ_id"]
        verbose_name = _("địa chỉ liên thông")

    def __str__(self) -> str:
        return f"{self.organ_id} → {self.name}"


class Status(models.TextChoices):
    """A receiver's state as the sender sees it (codes of QCVN 102 where there is one)."""

    QUEUED = "queued", _("Chờ gửi")
    SENT = "sent", _("Đã gửi")
    ARRIVED = "01", _("Đã đến")
    REFUSED = "02", _("Từ chối tiếp nhận")
    ACCEPTED = "03", _("Đã tiếp nhận")
    ASSIGNED = "04", _("Đã phân công")
    PROCESSING = "05", _("Đang xử lý")
    COMPLETED = "06", _("Hoàn thành")


STATUS_RANK = {"queued": 0, "sent": 1, "01": 2, "03": 3, "04": 4, "05": 5, "06": 6, "02": 7}


class Answer(models.TextChoices):
    NONE = "", _("Chưa trả lời")
    AGREED = "15", _("Đồng ý thu hồi/cập nhật/thay thế")
    REFUSED = "16", _("Từ chối thu hồi/cập nhật/thay thế")


class BusinessType(models.IntegerChoices):
    NEW = 0, _("Văn bản mới")
    REVOKE = 1, _("Thu hồi")
    UPDATE = 2, _("Cập nhật")
    REPLACE = 3, _("Thay thế")


class Transmission(PublicIdentified, TimeStamped):
    outgoing = models.ForeignKey(
        "documents.OutgoingDocument",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transmissions",
    )
    recipient = models.ForeignKey(
        "documents.Recipient", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sender_agency = models.ForeignKey(
        "directory.Agency", on_delete=models.PROTECT, related_name="exchange_sent"
    )
    receiver_code = models.CharField(max_length=35)
    receiver_name = models.CharField(max_length=255)
    endpoint = models.ForeignKey(
        Endpoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="transmissions"
    )
    channel = models.CharField(max_length=10, choices=Endpoint.Kind.choices, blank=True)
    document_id = models.CharField(max_length=200)
    business_type = models.PositiveSmallIntegerField(
        choices=BusinessType.choices, default=BusinessType.NEW
    )
    reason = models.TextField(blank=True)
    original = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="followups"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    status_description = models.TextField(blank=True)
    status_at = models.DateTimeField(null=True, blank=True)
    answer = models.CharField(max_length=2, choices=Answer.choices, blank=True, default="")
    answer_description = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["document_id", "receiver_code", "business_type"],
                name="exchange_transmission_unique",
            )
        ]
        indexes = [models.Index(fields=["sender_agency", "created_at"])]

    def __str__(self) -> str:
        return f"{self.document_id} → {self.receiver_code}"

    @property
    def rank(self) -> int:
        return STATUS_RANK.get(self.status, 0)


class StatusEvent(models.Model):
    """A status received for a transmission (kept once per code, even if it came twice)."""

    transmission = models.ForeignKey(Transmission, on_delete=models.CASCADE, related_name="events")
    status_code = models.CharField(max_length=2)
    description = models.TextField(blank=True)
    staff = models.CharField(max_length=255, blank=True)
    reported_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)
    applied = models.BooleanField(default=True, help_text="moved the state forward")

    class Meta:
        ordering = ["reported_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["transmission", "status_code"], name="exchange_status_event_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.status_code} {self.reported_at:%Y-%m-%d %H:%M}"


class OutboxMessage(PublicIdentified, TimeStamped):
    class Kind(models.TextChoices):
        DOCUMENT = "document", _("Văn bản")
        STATUS = "status", _("Trạng thái")

    class State(models.TextChoices):
        PENDING = "pending", _("Chờ gửi")
        SENDING = "sending", _("Đang gửi")
        DELIVERED = "delivered", _("Đã chuyển")
        DEAD = "dead", _("Gửi thất bại (hàng lỗi)")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    transmission = models.ForeignKey(
        Transmission, null=True, blank=True, on_delete=models.CASCADE, related_name="messages"
    )
    sender_agency = models.ForeignKey(
        "directory.Agency", on_delete=models.PROTECT, related_name="exchange_outbox"
    )
    sender_code = models.CharField(max_length=35)
    receiver_code = models.CharField(max_length=35)
    endpoint = models.ForeignKey(
        Endpoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    channel = models.CharField(max_length=10, choices=Endpoint.Kind.choices, blank=True)
    document_id = models.CharField(max_length=200)
    business_type = models.PositiveSmallIntegerField(default=0)
    status_code = models.CharField(max_length=2, blank=True)
    spec = models.JSONField(default=dict, help_text="what to build (the package is built once)")
    payload = models.BinaryField(default=b"", blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.PositiveIntegerField(default=0)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_code = models.CharField(max_length=60, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="exchange_outbox_due"),
            models.Index(fields=["sender_agency", "state"], name="exchange_outbox_agency"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.document_id} → {self.receiver_code} ({self.state})"


class InboxItem(PublicIdentified, TimeStamped):
    class Kind(models.TextChoices):
        DOCUMENT = "document", _("Văn bản")
        STATUS = "status", _("Trạng thái")

    class State(models.TextChoices):
        ARRIVED = "arrived", _("Chờ tiếp nhận")
        ACCEPTED = "accepted", _("Đã tiếp nhận")
        REFUSED = "refused", _("Đã từ chối")
        APPLIED = "applied", _("Đã cập nhật trạng thái")
        REVOKED = "revoked", _("Đã bị thu hồi")
        REPLACED = "replaced", _("Đã bị thay thế")

    idempotency_key = models.CharField(max_length=400, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    agency = models.ForeignKey(
        "directory.Agency",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="exchange_inbox",
    )
    sender_code = models.CharField(max_length=35)
    sender_name = models.CharField(max_length=255, blank=True)
    receiver_code = models.CharField(max_length=35, blank=True)
    document_id = models.CharField(max_length=200)
    business_type = models.PositiveSmallIntegerField(
        choices=BusinessType.choices, default=BusinessType.NEW
    )
    related_document_id = models.CharField(max_length=200, blank=True)
    status_code = models.CharField(max_length=2, blank=True)
    number_notation = models.CharField(max_length=60, blank=True)
    subject = models.TextField(blank=True)
    issued_on = models.DateField(null=True, blank=True)
    payload = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField(default=0)
    signature = models.JSONField(default=dict, blank=True)
    pdf_check = models.JSONField(default=list, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.ARRIVED)
    reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    incoming = models.ForeignKey(
        "documents.IncomingDocument",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="exchange_items",
    )
    original = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="followups",
        help_text="for revoke/update/replace: the document package it refers to",
    )
    replaced_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["agency", "kind", "state"], name="exchange_inbox_queue"),
            models.Index(fields=["sender_code", "document_id"], name="exchange_inbox_doc"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.document_id} ({self.state})"
