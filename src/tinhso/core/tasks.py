"""Housekeeping asked for by a page or a read: a background task enqueued at most once per
period, across processes, after the current transaction commits."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

log = logging.getLogger(__name__)


def enqueue_once(key: str, task: Any, *, every: int) -> None:
    """Enqueue `task` after the commit unless it was asked for under `key` in the last
    `every` seconds (the shared cache remembers). A failure to enqueue never breaks the
    caller and lets the next one ask again."""
    from django.core.cache import cache

    if not cache.add(f"enqueued:{key}", 1, timeout=every):
        return

    def enqueue() -> None:
        try:
            task.enqueue()
        except Exception:  # noqa: BLE001 - pages and reads must not fail on housekeeping
            log.exception("could not enqueue %s", key)
            cache.delete(f"enqueued:{key}")

    transaction.on_commit(enqueue)
