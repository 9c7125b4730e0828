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
