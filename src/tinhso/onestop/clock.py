"""The services' notion of "now": real time, or a fixed moment while replaying history
(demo data, benchmarks) through `frozen(moment)`."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from datetime import datetime

from django.utils import timezone

_frozen: contextvars.ContextVar[datetime | None] = contextvars.ContextVar(
    "onestop_now", default=None
)


def now() -> datetime:
    return _frozen.get() or timezone.now()


@contextlib.contextmanager
def frozen(moment: datetime) -> Iterator[datetime]:
    token = _frozen.set(moment)
    try:
        yield moment
    finally:
        _frozen.reset(token)
