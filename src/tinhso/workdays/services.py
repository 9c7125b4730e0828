"""Working days and deadline arithmetic (domain/workdays.md).

Rules we apply (the settings live in `tinhso.workdays.conf`):

- Monday–Friday are working days, minus public holidays (the `holidays` package, VN,
  which knows 24 November from 2026 and the Prime Minister's swaps up to 2026). A swap
  has two dates and we apply both: the day off (a holiday in the package) and the
  make-up working day, a Saturday that is worked (the package's `weekend_workdays`,
  which may fall in another year than the day off: 27/12/2014 for 02/01/2015). On top of
  the package, the admin-edited exceptions (`CalendarException`): extra days off and
  make-up working days for swaps the package does not know yet. An exception wins over
  everything else.
- Counting a period (Civil Code art. 147–148): the day of receipt is not counted; a
  period of N working days ends at the close of office hours (afternoon end, 17:00 by
  default) of the N-th working day after it. Because only working days are counted, a
  period can never end on a day off: it ends on the next working day.
- Received on a day off (online submission on a Sunday): the first working day after
  it is day 1, exactly as if received on that day off.
- The 15:00 cut-off — the domain leaves open whether the processing time starts at the
  hand-over. **Our choice:** yes (`WORKDAYS_CUTOFF_SHIFTS_START = True`, default). A
  dossier received at or after `WORKDAYS_CUTOFF` (15:00) on a working day is handed to
  the competent agency on the next working day, and that hand-over day is treated as the
  day of receipt (not counted): day 1 is the working day after the hand-over. With the
  setting off, the cut-off only governs the hand-over and the count starts from the day
  of receipt as usual.
- Fractions (half days, hours): a working day is two half-days — morning
  (`WORKDAYS_MORNING_*`, 07:30–11:30) and afternoon (`WORKDAYS_AFTERNOON_*`,
  13:00–17:00). Counting always starts at the beginning of day 1's morning, so 0.5 day
  ends at the close of day 1's morning (11:30), 2.5 days at the close of day 3's
  morning, and a fraction smaller than a half-day is spread over that half-day's
  office hours (0.25 day = 2 office hours: 09:30).

Holidays are cached per year (process-wide), and so are the exceptions, until one changes
(`tinhso.core.stamps`); a `Calendar` takes them once, so build one per request or
computation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays
from django.db import transaction

from tinhso.core.errors import NotFound, ValidationFailed
from tinhso.core.stamps import Kept, Stamp
from tinhso.workdays import conf

VN = ZoneInfo("Asia/Ho_Chi_Minh")
# The `holidays` package computes the lunar holidays (Tết, Hùng Kings) for these years.
MIN_YEAR, MAX_YEAR = 1901, 2099
MAX_DAYS = Decimal(3650)


@dataclass(frozen=True)
class DayInfo:
    working: bool
    reason: str


@lru_cache(maxsize=256)
def _public_holidays(year: int) -> dict[date, str]:
    return dict(holidays.country_holidays("VN", years=year, language="vi"))


@lru_cache(maxsize=256)
def _make_up_working_days(year: int) -> dict[date, str]:
    """The swapped Saturdays of `year` that are worked, with the day off each pays for.

    The day off of a swap can fall in another year (27/12/2014 is worked for 02/01/2015,
    05/01/2019 for 31/12/2018), so the package is asked about the neighbouring years too
    and only this year's make-up dates are kept."""
    years = [y for y in (year - 1, year, year + 1) if MIN_YEAR <= y <= MAX_YEAR]
    package = holidays.country_holidays("VN", years=years, language="vi")
    days_off = dict(package)
    make_up: dict[date, str] = {}
    for day in sorted(d for d in package.weekend_workdays if d.year == year):
        # The day off's label names its make-up day ("Ngày nghỉ (thay cho ngày 26/04/2025)").
        written = day.strftime("%d/%m/%Y")
        paid_for = [d for d, name in sorted(days_off.items()) if written in name]
        make_up[day] = (
            f"làm bù cho ngày nghỉ {paid_for[0]:%d/%m/%Y}" if paid_for else "làm bù theo lịch nghỉ"
        )
    return make_up


def package_days(year: int) -> list[tuple[date, str, bool]]:
    """What the `holidays` package says about `year`: (day, label, is a working day)."""
    days = [(d, f"Ngày lễ, Tết: {name}", False) for d, name in _public_holidays(year).items()]
    days += [
        (d, f"Ngày làm việc bù: {why}", True) for d, why in _make_up_working_days(year).items()
    ]
    return sorted(days)


def _load_exceptions() -> dict[date, tuple[str, str]]:
    from tinhso.workdays.models import CalendarException

    return {
        d: (kind, reason)
        for d, kind, reason in CalendarException.objects.values_list("date", "kind", "reason")
    }


# Every deadline reads the exceptions, which change a few times a year: each process keeps
# them (tinhso.core.stamps); the model's signals (apps.py) tell the others.
EXCEPTIONS = Stamp("calendar-exceptions")
_kept_exceptions = Kept(EXCEPTIONS, _load_exceptions, seconds=30)


def _exceptions() -> dict[date, tuple[str, str]]:
    """The admin-edited exceptions, shared by the process: read them, never change them."""
    return _kept_exceptions.get()


def check_supported(day: date) -> None:
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise ValidationFailed(
            f"Lịch chỉ hỗ trợ các ngày từ năm {MIN_YEAR} đến năm {MAX_YEAR}.",
            code="invalid_date",
        )


def parse_days(days: Any) -> Decimal:
    """A positive, finite number of working days (at most 3650), else `invalid_days`."""
    try:
        amount = Decimal(str(days).strip().replace(",", "."))  # "0,5" is how Vietnamese write 0.5
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise ValidationFailed(
            "Số ngày làm việc không hợp lệ (ví dụ: 5 hoặc 0.5).", code="invalid_days"
        ) from exc
    if not amount.is_finite() or amount <= 0 or amount > MAX_DAYS:
        raise ValidationFailed(
            "Số ngày làm việc phải lớn hơn 0 và không quá 3650.", code="invalid_days"
        )
    return amount


class Calendar:
    """A snapshot of the calendar; build one per request/computation (reads exceptions once)."""

    def __init__(self, exceptions: dict[date, tuple[str, str]] | None = None) -> None:
        self.exceptions = _exceptions() if exceptions is None else exceptions

    def day_info(self, day: date) -> DayInfo:
        check_supported(day)
        exception = self.exceptions.get(day)
        if exception:
            kind, reason = exception
            if kind == "working_day":
                return DayInfo(True, f"Ngày làm việc bù: {reason}")
            return DayInfo(False, f"Ngày nghỉ: {reason}")
        holiday = _public_holidays(day.year).get(day)
        if holiday:
            return DayInfo(False, f"Ngày lễ, Tết: {holiday}")
        make_up = _make_up_working_days(day.year).get(day)
        if make_up:
            return DayInfo(True, f"Ngày làm việc bù: {make_up}")
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
        """The day after which counting starts: the day of receipt, or the hand-over day
        when received at or after the cut-off on a working day (see module docstring)."""
        local = received.astimezone(VN)
        day = local.date()
        if self.is_working_day(day) and conf.CUTOFF_SHIFTS_START and local.time() >= conf.CUTOFF:
            return self.next_working_day(day)
        return day

    def handover_day(self, received: datetime) -> date:
        """When the one-stop counter passes the dossier to the competent agency."""
        local = received.astimezone(VN)
        day = local.date()
        if not self.is_working_day(day) or local.time() >= conf.CUTOFF:
            return self.next_working_day(day)
        return day

    def add_working_days(self, received: datetime, days: Decimal | int | float | str) -> datetime:
        """Due moment (aware, Vietnam time) for a period of `days` working days."""
        amount = parse_days(days)
        if received.tzinfo is None:
            received = received.replace(tzinfo=VN)
        half_days = amount * 2
        whole_halves = int(half_days)
        remainder = half_days - whole_halves  # fraction of a half-day
        day = self.next_working_day(self.counting_base(received))  # day 1
        morning = True
        end: datetime | None = None
        for _ in range(whole_halves):
            if morning:
                end = datetime.combine(day, conf.MORNING[1], tzinfo=VN)
                morning = False
            else:
                end = datetime.combine(day, conf.AFTERNOON[1], tzinfo=VN)
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


# ---------------------------------------------------------------------------------------
# Editing the yearly exceptions (platform administrators)


@transaction.atomic
def save_exception(*, actor: Any, day: date, kind: str, reason: str) -> Any:
    """Create or replace the exception for `day` (one per date)."""
    from tinhso.accounts.rules import require
    from tinhso.audit.services import record
    from tinhso.workdays.models import CalendarException

    require(actor, "workdays.manage_calendar")
    check_supported(day)
    if kind not in CalendarException.Kind.values:
        raise ValidationFailed("Loại ngày ngoại lệ không hợp lệ.", code="invalid_kind")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Cần ghi lý do (ví dụ: số quyết định).", code="reason_required")
    exception, created = CalendarException.objects.update_or_create(
        date=day, defaults={"kind": kind, "reason": reason[:200]}
    )
    record(
        actor=actor,
        action="workdays.save_exception",
        obj=exception,
        object_id=day.isoformat(),
        summary={"date": day.isoformat(), "kind": kind, "reason": reason, "created": created},
    )
    return exception


@transaction.atomic
def delete_exception(*, actor: Any, day: date) -> None:
    from tinhso.accounts.rules import require
    from tinhso.audit.services import record
    from tinhso.workdays.models import CalendarException

    require(actor, "workdays.manage_calendar")
    exception = CalendarException.objects.filter(date=day).first()
    if exception is None:
        raise NotFound("Không có ngày ngoại lệ này.", code="exception_not_found")
    summary = {"date": day.isoformat(), "kind": exception.kind, "reason": exception.reason}
    exception.delete()
    record(
        actor=actor,
        action="workdays.delete_exception",
        object_type="workdays.calendarexception",
        object_id=day.isoformat(),
        summary=summary,
    )
