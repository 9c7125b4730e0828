"""The period calculator of Decree 09/2019: each period's data cut-off and deadline.

Cut-off (domain/reporting.md): monthly — the 15th of the previous month to the 14th;
quarterly — the 15th of the month before the quarter to the 14th of its last month;
six-monthly — 15 Dec to 14 Jun and 15 Jun to 14 Dec; yearly — 15 Dec to 14 Dec.
The deadline is the end of the N-th working day after the cut-off's last day (N set per
report definition), counted on the province's working-day calendar (holidays and Tết).
Period keys: `2026-03`, `2026-Q1`, `2026-H1`, `2026`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from tinhso.core.errors import ValidationFailed
from tinhso.reporting.errors import ReportingError as E
from tinhso.reporting.models import Frequency
from tinhso.workdays.services import VN, Calendar

DEADLINE_TIME = time(23, 59, 59)
MIN_YEAR, MAX_YEAR = 2000, 2099


@dataclass(frozen=True)
class ReportPeriod:
    key: str
    frequency: str
    label: str
    cutoff_start: date
    cutoff_end: date  # inclusive
    deadline: datetime

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.cutoff_start, time.min, tzinfo=VN)

    @property
    def end_at(self) -> datetime:
        """Exclusive end moment of the cut-off."""
        return datetime.combine(self.cutoff_end + timedelta(days=1), time.min, tzinfo=VN)


def _month_before(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


_KEY = re.compile(r"^(\d{4})(?:-(0[1-9]|1[0-2])|-Q([1-4])|-H([12]))?$")


def cutoff(frequency: str, key: str) -> tuple[date, date, str]:
    """(first day, last day, label) of the period `key` of that frequency."""
    match = _KEY.match(key or "")
    if not match:
        raise ValidationFailed(f"Kỳ báo cáo '{key}' không hợp lệ.", code=E.INVALID_PERIOD)
    year = int(match.group(1))
    month, quarter, half = match.group(2), match.group(3), match.group(4)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationFailed(
            f"Năm báo cáo phải từ {MIN_YEAR} đến {MAX_YEAR}.", code=E.INVALID_PERIOD
        )
    if frequency == Frequency.MONTHLY and month:
        m = int(month)
        py, pm = _month_before(year, m)
        return date(py, pm, 15), date(year, m, 14), f"Tháng {m:02d}/{year}"
    if frequency == Frequency.QUARTERLY and quarter:
        q = int(quarter)
        last = q * 3
        py, pm = _month_before(year, last - 2)
        return date(py, pm, 15), date(year, last, 14), f"Quý {q}/{year}"
    if frequency == Frequency.SIX_MONTHLY and half:
        if half == "1":
            return date(year - 1, 12, 15), date(year, 6, 14), f"6 tháng đầu năm {year}"
        return date(year, 6, 15), date(year, 12, 14), f"6 tháng cuối năm {year}"
    if frequency == Frequency.YEARLY and not (month or quarter or half):
        return date(year - 1, 12, 15), date(year, 12, 14), f"Năm {year}"
    raise ValidationFailed(
        f"Kỳ báo cáo '{key}' không phù hợp với tần suất của báo cáo.", code=E.INVALID_PERIOD
    )


def deadline_after(day: date, working_days: int, calendar: Calendar | None = None) -> datetime:
    """The end of the `working_days`-th working day after `day` (0: `day` itself)."""
    cal = calendar or Calendar()
    current = day
    for _ in range(working_days):
        current = cal.next_working_day(current)
    return datetime.combine(current, DEADLINE_TIME, tzinfo=VN)


def period(
    frequency: str, key: str, *, deadline_working_days: int = 3, calendar: Calendar | None = None
) -> ReportPeriod:
    start, end, label = cutoff(frequency, key)
    return ReportPeriod(
        key=key,
        frequency=frequency,
        label=label,
        cutoff_start=start,
        cutoff_end=end,
        deadline=deadline_after(end, deadline_working_days, calendar),
    )


def keys_of_year(frequency: str, year: int) -> list[str]:
    if frequency == Frequency.MONTHLY:
        return [f"{year}-{m:02d}" for m in range(1, 13)]
    if frequency == Frequency.QUARTERLY:
        return [f"{year}-Q{q}" for q in range(1, 5)]
    if frequency == Frequency.SIX_MONTHLY:
        return [f"{year}-H1", f"{year}-H2"]
    if frequency == Frequency.YEARLY:
        return [str(year)]
    raise ValidationFailed("Tần suất báo cáo không hợp lệ.", code=E.INVALID_FREQUENCY)


def period_containing(frequency: str, day: date) -> str:
    """The key of the period whose cut-off contains `day`."""
    year = day.year + (1 if (day.month, day.day) >= (12, 15) else 0)
    for key in keys_of_year(frequency, year):
        start, end, _label = cutoff(frequency, key)
        if start <= day <= end:
            return key
    raise AssertionError("every day is in a period")  # pragma: no cover


def previous_key(frequency: str, key: str) -> str:
    start, _end, _label = cutoff(frequency, key)
    return period_containing(frequency, start - timedelta(days=1))


def schedule(frequency: str, year: int, *, deadline_working_days: int = 3) -> list[ReportPeriod]:
    """Every period of a year, with its cut-off and deadline (one calendar read)."""
    cal = Calendar()
    return [
        period(frequency, key, deadline_working_days=deadline_working_days, calendar=cal)
        for key in keys_of_year(frequency, year)
    ]
