"""Abstract bases shared by every app."""

import uuid

from django.db import models


class TimeStamped(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class PublicIdentified(models.Model):
    """A UUID for URLs: sequential primary keys are never exposed to citizens."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        abstract = True


class RateCounter(models.Model):
    """A rate-limit window's counter when the shared cache is the database
    (`tinhso.core.ratelimit`): one upsert counts a hit, instead of the cache's
    read-lock-write round trips. `expires` is in epoch seconds."""

    name = models.CharField(max_length=120, primary_key=True)
    count = models.IntegerField(default=0)
    expires = models.BigIntegerField(db_index=True)

    class Meta:
        db_table = "tinhso_rate_counter"

    def __str__(self) -> str:
        return f"{self.name}={self.count}"


class ArchivedPartition(models.Model):
    """A past period of a partitioned history table, exported and detached
    (`tinhso partitions archive`, `tinhso.core.partitions.detach_and_archive`).

    `manifest` is the JSON written next to the archive file; for the audit trail it holds
    the chain intervals the partition held, which `audit verify` steps over."""

    table = models.CharField(max_length=63)
    partition = models.CharField(max_length=63, unique=True)
    period_start = models.DateField()
    period_end = models.DateField()
    rows = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)  # of the exported rows (COPY text)
    file_sha256 = models.CharField(max_length=64)  # of the .copy.gz file
    path = models.CharField(max_length=1000)
    manifest = models.JSONField(default=dict)
    archived_at = models.DateTimeField(auto_now_add=True)
    dropped = models.BooleanField(default=False)

    class Meta:
        db_table = "tinhso_archived_partition"
        ordering = ["table", "period_start"]

    def __str__(self) -> str:
        return self.partition
