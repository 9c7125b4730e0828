"""Background jobs of the one-stop app (Django Tasks API)."""

from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from tinhso.onestop.services.clock import now as clock_now
from tinhso.workdays.services import VN

# Late changes (a rating, a payment) to days already rolled up are picked up by
# recomputing this many past days at each refresh.
REFRESH_DAYS = 45


def refresh_statistics(days: int = REFRESH_DAYS) -> int:
    """Recompute the statistics rollup for the last `days` days up to yesterday."""
    from tinhso.onestop import statistics

    yesterday = clock_now().astimezone(VN).date() - timedelta(days=1)
    through = statistics.rollup_through()
    start = yesterday - timedelta(days=days - 1)
    if through is None:
        from tinhso.onestop.models import Dossier

        first = (
            Dossier.objects.exclude(submitted_at=None)
            .order_by("submitted_at")
            .values_list("submitted_at", flat=True)
            .first()
        )
        if first is None:
            return 0
        start = min(start, first.astimezone(VN).date())
    elif through < start:
        start = through + timedelta(days=1)
    return statistics.refresh_rollup(start=start, end=yesterday)


@task()
def refresh_statistics_task(days: int = REFRESH_DAYS) -> int:
    """Nightly: `refresh_statistics` (enqueue with refresh_statistics_task.enqueue())."""
    return refresh_statistics(days)


@task()
def render_issued_form_task(form_id: int) -> str:
    """Render and store one issued form 01–05 (enqueued after the commit that issued it)."""
    from tinhso.onestop.services.forms_issued import render_issued_form

    return render_issued_form(form_id)


@task()
def render_declaration_task(dossier_id: int, paper_id: int, content: dict) -> str:
    """Render the tờ khai from the e-form data frozen at submission and attach it."""
    from tinhso.onestop.services.forms_issued import render_declaration

    return render_declaration(dossier_id, paper_id, content)


@task()
def sweep_pending_uploads_task() -> int:
    """Delete uploads kept from submissions never finished (older than a day)."""
    from tinhso.onestop.services.uploads import sweep_pending_uploads

    return sweep_pending_uploads()
