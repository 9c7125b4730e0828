"""Background jobs of the open data portal (Django Tasks API)."""

from __future__ import annotations

from django_tasks import task


@task()
def load_resource_task(job_id: int) -> str:
    """Load an uploaded CSV/XLSX into the datastore (`services.run_load`)."""
    from tinhso.opendata.services import run_load

    return run_load(job_id).status


@task()
def publish_platform_data_task() -> int:
    """Nightly: refresh the datasets tinhso publishes about its own operations."""
    from tinhso.opendata.platform import publish_platform_data

    return len(publish_platform_data())
