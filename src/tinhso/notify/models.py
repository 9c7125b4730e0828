"""The notification outbox: a message is written in the same transaction as the change
that caused it, then delivered by a background task with retries."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Message(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", _("Thư điện tử")
        SMS = "sms", _("Tin nhắn SMS")
        CHAT = "chat", _("Tin nhắn OTT (Zalo...)")

    class Status(models.TextChoices):
        PENDING = "pending", _("Chờ gửi")
        SENDING = "sending", _("Đang gửi")
        SENT = "sent", _("Đã gửi")
        FAILED = "failed", _("Gửi lỗi")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    address = models.CharField(_("địa chỉ nhận"), max_length=255)
    template = models.CharField(max_length=100)
    subject = models.CharField(max_length=255, blank=True)
    body = models.TextField()
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # what caused it, for the UI ("dossier 000.00.00.H41-250704-0012")
    related_object = models.CharField(max_length=120, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.address}: {self.subject or self.template}"


class SentMessage(models.Model):
    """What the development sender would have sent (and idempotency record for all senders)."""

    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="delivery")
    channel = models.CharField(max_length=10)
    address = models.CharField(max_length=255)
    subject = models.CharField(max_length=255, blank=True)
    body = models.TextField()
    sender = models.CharField(max_length=50)
    delivered_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.channel} → {self.address} ({self.sender})"
