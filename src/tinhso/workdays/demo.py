"""Demo data of this app, loaded by `tinhso demo` (idempotent)."""

from datetime import date

from tinhso.workdays.models import CalendarException

# The swaps the `holidays` package knows (up to 2026, e.g. Saturday 22 August 2026 worked
# for Monday 31 August) need no exception: the calendar applies both of their dates.
# Exceptions are for what the package does not know yet; the demo needs none.
EXCEPTIONS: list[tuple[date, str, str]] = []


def load(out) -> None:
    """Create this app's demo data; running it twice changes nothing."""
    for day, kind, reason in EXCEPTIONS:
        CalendarException.objects.get_or_create(date=day, defaults={"kind": kind, "reason": reason})
