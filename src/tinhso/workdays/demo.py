"""Demo data of this app, loaded by `tinhso demo` (idempotent)."""

from datetime import date

from tinhso.workdays.models import CalendarException

# The 2026 National Day break: Monday 31 August is a day off in exchange for
# Saturday 22 August (the `holidays` package knows the day off, not the make-up day).
EXCEPTIONS = [
    (date(2026, 8, 22), "working_day", "Làm bù cho ngày nghỉ 31/08/2026 (dịp Quốc khánh)"),
]


def load(out) -> None:
    """Create this app's demo data; running it twice changes nothing."""
    for day, kind, reason in EXCEPTIONS:
        CalendarException.objects.get_or_create(date=day, defaults={"kind": kind, "reason": reason})
