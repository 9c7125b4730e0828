"""Reading the outbox."""

from __future__ import annotations

from django.db.models import QuerySet

from tinhso.notify.models import Message


def messages_for(user) -> QuerySet[Message]:
    """The messages sent (or to be sent) to `user`, newest first."""
    if not getattr(user, "is_authenticated", False):
        return Message.objects.none()
    return Message.objects.filter(recipient_id=user.pk).order_by("-created_at", "-pk")
