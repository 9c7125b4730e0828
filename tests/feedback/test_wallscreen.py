"""The IOC wall: past days summed into a snapshot by the worker, today counted live; the
figures are the same whichever way they were counted."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from tinhso.feedback import wallscreen
from tinhso.feedback.models import Report, WallSnapshot

from .conftest import B_POINT, accepted, submit


def _aged(report: Report, days: int, **fields) -> None:
    """Move a report `days` days into the past (answered, rated... as given)."""
    created = timezone.now() - timedelta(days=days)
    Report.objects.filter(pk=report.pk).update(
        created_at=created, deadline=created + timedelta(days=3), **fields
    )


def _past_province(world) -> None:
    """Reports of earlier days: answered on time and late, rated, hidden, an old open one,
    and a closed one older than the heat map's 30 days."""
    on_time = accepted(world)
    _aged(on_time, 5, answered_at=timezone.now() - timedelta(days=4), rating=5, state="answered")
    late = accepted(world, point=B_POINT)
    _aged(late, 20, answered_at=timezone.now() - timedelta(days=10), rating=2, state="answered")
    hidden = accepted(world)
    _aged(hidden, 3, hidden=True)
    old_open = accepted(world, point=B_POINT)
    _aged(old_open, 60)
    old_closed = accepted(world)
    _aged(old_closed, 45, answered_at=timezone.now() - timedelta(days=30), state="answered")
    ancient = accepted(world)  # outside the 90-day rates
    _aged(
        ancient, 120, answered_at=timezone.now() - timedelta(days=119), rating=1, state="answered"
    )


def _without_clock(data: dict) -> dict:
    return {k: v for k, v in data.items() if k not in ("as_of", "rates_as_of")}


def test_the_wall_counts_the_same_from_its_snapshot_as_from_the_reports(world):
    _past_province(world)
    submit(world)  # today
    live, live_heat = wallscreen.figures(), sorted(wallscreen.heat())
    assert live["rates_as_of"] == live["as_of"]  # no snapshot yet: counted from the reports
    # three answered in 90 days (one on time), two rated (one satisfied)
    assert (live["on_time_pct"], live["satisfied_pct"]) == (33.3, 50.0)
    assert live["today"] == 1
    # today's, the on-time and the late ones (last 30 days), the old open one; not the
    # hidden one nor the closed one older than 30 days
    assert sum(cell[2] for cell in live_heat) == 4

    snapshot = wallscreen.refresh_snapshot()
    assert snapshot.through == timezone.localdate() - timedelta(days=1)
    from_snapshot = wallscreen.figures()
    assert from_snapshot["rates_as_of"] == snapshot.refreshed_at
    assert _without_clock(from_snapshot) == _without_clock(live)
    assert sorted(wallscreen.heat()) == live_heat


def test_todays_reports_are_added_to_the_snapshot(world):
    _past_province(world)
    wallscreen.refresh_snapshot()
    report = accepted(world)
    Report.objects.filter(pk=report.pk).update(answered_at=timezone.now(), rating=5)
    data = wallscreen.figures()
    assert data["today"] == 1
    assert (data["on_time_pct"], data["satisfied_pct"]) == (50.0, 66.7)
    assert sum(cell[2] for cell in wallscreen.heat()) == 4


def test_a_snapshot_made_for_another_day_is_not_read(world):
    _past_province(world)
    wallscreen.refresh_snapshot(today=timezone.localdate() - timedelta(days=1))
    WallSnapshot.objects.update(rates={"answered": 99, "on_time": 0, "rated": 0, "satisfied": 0})
    data = wallscreen.figures()
    assert data["on_time_pct"] == 33.3 and data["rates_as_of"] == data["as_of"]


def test_the_wall_asks_the_worker_for_a_snapshot_when_it_has_none_or_an_old_one(
    world, django_capture_on_commit_callbacks, settings
):
    from django.core.cache import cache

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    _past_province(world)
    cache.delete("enqueued:feedback:wall-refresh")
    with django_capture_on_commit_callbacks(execute=True):
        wallscreen.figures()
    first = WallSnapshot.objects.get()
    assert first.through == timezone.localdate() - timedelta(days=1)

    WallSnapshot.objects.update(refreshed_at=timezone.now() - timedelta(hours=1))
    cache.delete("enqueued:feedback:wall-refresh")
    with django_capture_on_commit_callbacks(execute=True):
        wallscreen.figures()
    assert WallSnapshot.objects.get().refreshed_at > timezone.now() - timedelta(minutes=1)


def test_the_snapshot_task_is_taken_before_a_backlog_of_notifications(world, settings):
    from django_tasks_db.models import DBTaskResult

    from tinhso.feedback.tasks import refresh_wall_snapshot_task
    from tinhso.notify.tasks import deliver_message

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    for n in range(3):
        deliver_message.enqueue(10_000 + n)
    refresh_wall_snapshot_task.enqueue()
    first = DBTaskResult.objects.ready().get_locked()  # what the worker takes next
    assert first is not None
    assert first.task_path == "tinhso.feedback.tasks.refresh_wall_snapshot_task"
