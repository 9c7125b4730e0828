"""Background jobs of the feedback app (Django Tasks API)."""

from __future__ import annotations

from django_tasks import task

# Ahead of the queue (the worker takes the highest priority first): the wall counts
# everything from the reports, slowly, until its snapshot is made, and a backlog of
# notifications (a fresh demo has hundreds) would otherwise keep it waiting.
WALL_SNAPSHOT_PRIORITY = 10


@task(priority=WALL_SNAPSHOT_PRIORITY)
def refresh_wall_snapshot_task() -> int:
    """The IOC wall's sums of past days (`wallscreen.refresh_snapshot`); asked for by the
    wall itself when its snapshot is missing or old. Returns the heat map's cell count."""
    from tinhso.feedback.wallscreen import refresh_snapshot

    return len(refresh_snapshot().heat)
