"""Working days and deadline arithmetic (domain/workdays.md).

Rules:
- Monday–Friday are working days, minus public holidays (the `holidays` package, VN)
  and the admin-edited exceptions (extra days off, make-up working Saturdays).
- Counting a period (Civil Code art. 147–148): the day of receipt is not counted; a
  period of N working days ends at the end (afternoon close) of the N-th working day
  after it.
- After the cut-off hour (15:00 by default) the dossier is handed over the next working
  day; with WORKDAYS_CUTOFF_SHIFTS_START (default on) the count starts from that day.
- Fractions: a working day is two half-days (morning, afternoon office hours). A period
  with a fraction is counted in office time from the start of counting, so 0.5 day ends
  at the close of the next morning and 2.5 days at the next morning close after day 2.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from tinhso.core.errors import ValidationFailed
from tinhso.workdays import conf

VN = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass(frozen=True)
class DayInfo:
    working: bool
    reason: str


@lru_cache(maxsize=64)
def _public_holidays(year: int) -> dict[date, str]:
    return dict(holidays.country_holidays("VN", years=year, language="vi"))


def _exceptions() -> dict[date, tuple[str, str]]:
    from tinhso.workdays.models import CalendarException

    return {e.date: (e.kind, e.reason) for e in CalendarException.objects.all()}


class Calendar:
    """A snapshot of the calendar; build one per request/computation (reads exceptions once)."""

    def __init__(self, exceptions: dict[date, tuple[str, str]] | None = None) -> None:
        self.exceptions = _exceptions() if exceptions is None else exceptions

    def day_info(self, day: date) -> DayInfo:
        exception = self.exceptions.get(day)
        if exception:
            kind, reason = exception
            return DayInfo(kind == "working_day", reason)
        holiday = _public_holidays(day.year).get(day)
        if holiday:
            return DayInfo(False, f"Ngày lễ: {holiday}")
        if day.weekday() >= 5:
            return DayInfo(False, "Thứ Bảy" if day.weekday() == 5 else "Chủ nhật")
        return DayInfo(True, "Ngày làm việc")

    def is_working_day(self, day: date) -> bool:
        return self.day_info(day).working

    def next_working_day(self, day: date) -> date:
        day += timedelta(days=1)
        for _ in range(60):
            if self.is_working_day(day):
                return day
            day += timedelta(days=1)
        raise ValidationFailed(
            "Lịch không có ngày làm việc trong 60 ngày tới.", code="calendar_no_working_day"
        )

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end] — the count used for on-time statistics."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.is_working_day(day)
        return count

    def counting_base(self, received: datetime) -> date:
        """The day after which counting starts (the day of receipt, or the hand-over day)."""
        local = received.astimezone(VN)
        day = local.date()
        if not self.is_working_day(day):
            return self._previous_or_same_base(day)
        if conf.CUTOFF_SHIFTS_START and local.time() >= conf.CUTOFF:
            return self.next_working_day(day)
        return day

    def _previous_or_same_base(self, day: date) -> date:
        # Received on a day off: counting starts on the next working day as day 1,
        # which is the same as treating the day off itself as the base.
        return day

    def add_working_days(self, received: datetime, days: Decimal | int | float | str) -> datetime:
        """Due moment (aware, Vietnam time) for a period of `days` working days."""
        try:
            amount = Decimal(str(days))
        except Exception as exc:  # noqa: BLE001
            raise ValidationFailed("Số ngày làm việc không hợp lệ.", code="invalid_days") from exc
        if amount <= 0 or amount > 3650 or amount != amount:
            raise ValidationFailed(
                "Số ngày làm việc phải lớn hơn 0 và không quá 3650.", code="invalid_days"
            )
        if received.tzinfo is None:
            received = received.replace(tzinfo=VN)
        half_days = amount * 2
        whole_halves = int(half_days)
        remainder = half_days - whole_halves  # fraction of a half-day
        day = self.counting_base(received)
        morning = True
        # walk half-days starting with the next working day's morning
        day = self.next_working_day(day)
        end: datetime | None = None
        remaining = whole_halves
        while remaining > 0:
            remaining -= 1
            slot_end = conf.MORNING[1] if morning else conf.AFTERNOON[1]
            end = datetime.combine(day, slot_end, tzinfo=VN)
            if morning:
                morning = False
            else:
                morning = True
                day = self.next_working_day(day)
        if remainder:
            start_t, end_t = conf.MORNING if morning else conf.AFTERNOON
            span = datetime.combine(day, end_t) - datetime.combine(day, start_t)
            end = datetime.combine(day, start_t, tzinfo=VN) + span * float(remainder)
        assert end is not None
        return end


def add_working_days(received: datetime, days: Decimal | int | float | str) -> datetime:
    return Calendar().add_working_days(received, days)


def is_working_day(day: date) -> DayInfo:
    return Calendar().day_info(day)


def to_local(moment: datetime) -> datetime:
    return moment.astimezone(VN)


def end_of_day(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=VN)
