"""A `tinhso gateway verify --workers N` worker: a new interpreter (multiprocessing's
`spawn`) that sets Django up, then checks ranges of the message log's chain
(`messagelog._check_range`). Nothing here imports a model before `start` has run."""

from __future__ import annotations

import os
from typing import Any


def start(settings_module: str, databases: dict[str, dict[str, Any]]) -> None:
    """The worker's start: Django set up with the parent's databases as its connections
    name them (a test run's test database, say)."""
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    from django.conf import settings

    for alias, conf in databases.items():  # (read before any connection is made)
        settings.DATABASES[alias] = conf  # type: ignore[assignment]
    import django

    django.setup()


def check_range(job: tuple[int, int, frozenset[int], int, bool]) -> Any:
    from tinhso.gateway.messagelog import _check_range

    return _check_range(job)
