"""Delivery of outbox messages (placeholder until the notify work lands: see issue 2)."""

from __future__ import annotations


def schedule_delivery(message_id: int) -> None:
    """Enqueue the delivery task for one message."""
    return None
