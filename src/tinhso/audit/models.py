"""The audit trail: append-only, hash-chained.

Writers insert entries with their content digest and no place in the chain (`seq`,
`prev_hash`, `hash` NULL); the sealer (`services.seal_pending`) links committed entries
into the chain. Each sealed entry's hash covers its content and the previous entry's
hash, so changing, deleting or reordering a sealed row breaks the chain at that row
(`tinhso audit verify`). On PostgreSQL a trigger refuses DELETE, and UPDATE except the
one sealing update (chain fields of an unsealed row, content unchanged).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ChainHead(models.Model):
    """One row holding the last sealed sequence number and hash; locked by the sealer."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"#{self.last_seq} {self.last_hash[:12]}"


class AuditEntry(models.Model):
    # Place in the chain: NULL until sealed (the chain order is the sealing order).
    seq = models.BigIntegerField(unique=True, null=True, blank=True)
    created_at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_name = models.CharField(_("người thực hiện"), max_length=150, blank=True)
    action = models.CharField(_("hành động"), max_length=80, db_index=True)
    object_type = models.CharField(_("loại đối tượng"), max_length=80, blank=True)
    object_id = models.CharField(_("mã đối tượng"), max_length=80, blank=True, db_index=True)
    object_repr = models.CharField(max_length=255, blank=True)
    agency = models.ForeignKey(
        "directory.Agency",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    summary = models.JSONField(_("nội dung thay đổi"), default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    # sha256 of the content (services.content_digest), computed when recorded.
    content_hash = models.CharField(max_length=64, blank=True, default="")
    # NULL (not "") until sealed: the guard and the sealer's partial index test IS NULL.
    prev_hash = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    hash = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001

    class Meta:
        ordering = ["-id"]
        verbose_name = _("nhật ký")
        verbose_name_plural = _("nhật ký hệ thống")
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            # the sealer's queue: unsealed rows in id order
            models.Index(
                fields=["id"], condition=models.Q(hash__isnull=True), name="audit_unsealed_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.seq or '-'} {self.actor_name} {self.action} {self.object_type}:{self.object_id}"

    @property
    def sealed(self) -> bool:
        return self.hash is not None
