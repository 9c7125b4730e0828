"""Deadline arithmetic of domain/workdays.md."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from tinhso.core.errors import ValidationFailed
from tinhso.workdays import conf
from tinhso.workdays.models import CalendarException
from tinhso.workdays.services import Calendar, add_working_days, is_working_day

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def at(y, m, d, hh=9, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=VN)


@pytest.mark.django_db
def test_worked_example_five_days_across_tet_2026_ends_thursday_26_february():
    due = Calendar().add_working_days(datetime(2026, 2, 12, 9, 0, tzinfo=VN), 5)
    assert due == datetime(2026, 2, 26, 17, 0, tzinfo=VN)


@pytest.mark.django_db
def test_received_after_the_1500_cut_off_starts_counting_after_the_handover_day():
    cal = Calendar()
    # Mon 9 Mar 2026 at 15:30: handed over Tue 10, day 1 = Wed 11
    assert cal.handover_day(at(2026, 3, 9, 15, 30)) == date(2026, 3, 10)
    assert cal.add_working_days(at(2026, 3, 9, 15, 30), 1) == at(2026, 3, 11, 17, 0)
    # before the cut-off: day 1 = Tue 10
    assert cal.handover_day(at(2026, 3, 9, 14, 59)) == date(2026, 3, 9)
    assert cal.add_working_days(at(2026, 3, 9, 14, 59), 1) == at(2026, 3, 10, 17, 0)


@pytest.mark.django_db
def test_cut_off_hour_and_its_effect_on_counting_are_settings(monkeypatch):
    cal = Calendar()
    monkeypatch.setattr(conf, "CUTOFF", time(16, 0))
    assert cal.add_working_days(at(2026, 3, 9, 15, 30), 1) == at(2026, 3, 10, 17, 0)
    monkeypatch.setattr(conf, "CUTOFF", time(15, 0))
    monkeypatch.setattr(conf, "CUTOFF_SHIFTS_START", False)
    assert cal.add_working_days(at(2026, 3, 9, 15, 30), 1) == at(2026, 3, 10, 17, 0)
    assert cal.handover_day(at(2026, 3, 9, 15, 30)) == date(2026, 3, 10)


@pytest.mark.django_db
def test_utc_input_is_read_in_vietnam_time():
    # 08:30 UTC = 15:30 in Hanoi: after the cut-off
    received = datetime(2026, 3, 9, 8, 30, tzinfo=ZoneInfo("UTC"))
    assert add_working_days(received, 1) == at(2026, 3, 11, 17, 0)


@pytest.mark.django_db
def test_half_days_end_at_the_close_of_a_morning_or_afternoon():
    cal = Calendar()
    received = at(2026, 3, 9, 9, 0)  # Monday
    assert cal.add_working_days(received, "0.5") == at(2026, 3, 10, 11, 30)
    assert cal.add_working_days(received, 1) == at(2026, 3, 10, 17, 0)
    assert cal.add_working_days(received, "1.5") == at(2026, 3, 11, 11, 30)
    assert cal.add_working_days(received, "2.5") == at(2026, 3, 12, 11, 30)
    # a quarter day = half of a morning (07:30 + 2 h)
    assert cal.add_working_days(received, "0.25") == at(2026, 3, 10, 9, 30)
    # half a day from Friday afternoon lands on Monday morning
    assert cal.add_working_days(at(2026, 3, 13, 10, 0), "0.5") == at(2026, 3, 16, 11, 30)


@pytest.mark.django_db
def test_both_dates_of_a_swap_from_the_holidays_package_are_applied():
    # Official Dispatch 2025: Friday 2 May 2025 is a day off, Saturday 26 April is worked.
    cal = Calendar()
    assert not cal.is_working_day(date(2025, 5, 2))
    info = cal.day_info(date(2025, 4, 26))
    assert info.working
    assert info.reason == "Ngày làm việc bù: làm bù cho ngày nghỉ 02/05/2025"
    # received Fri 25 Apr 2025: day 1 is Saturday 26 Apr, then (30/4, 1/5, 2/5 off and
    # the weekend) Mon 28, Tue 29 Apr, Mon 5 May.
    assert cal.add_working_days(at(2025, 4, 25), 1) == at(2025, 4, 26, 17, 0)
    assert cal.add_working_days(at(2025, 4, 25), 4) == at(2025, 5, 5, 17, 0)


@pytest.mark.django_db
def test_every_swap_the_package_knows_has_its_make_up_day_worked_and_its_day_off_off():
    import holidays

    package = holidays.country_holidays("VN", years=range(2010, 2027), language="vi")
    make_up_days = sorted(d for d in package.weekend_workdays if 2010 <= d.year <= 2026)
    assert date(2026, 8, 22) in make_up_days and len(make_up_days) >= 10
    cal = Calendar()
    for day in make_up_days:
        assert day.weekday() == 5 and cal.is_working_day(day), day
        days_off = [d for d, name in package.items() if f"{day:%d/%m/%Y}" in name]
        assert days_off and not any(cal.is_working_day(d) for d in days_off), day
        assert f"{days_off[0]:%d/%m/%Y}" in cal.day_info(day).reason


@pytest.mark.django_db
def test_a_make_up_day_in_the_year_before_its_day_off_is_worked():
    # Saturday 27 Dec 2014 was worked for Friday 2 Jan 2015.
    cal = Calendar()
    assert cal.is_working_day(date(2014, 12, 27))
    assert "02/01/2015" in cal.day_info(date(2014, 12, 27)).reason
    assert not cal.is_working_day(date(2015, 1, 2))
    # an ordinary Saturday stays a day off
    assert not cal.is_working_day(date(2014, 12, 20))


@pytest.mark.django_db
def test_the_admins_exceptions_win_over_the_packages_swaps():
    CalendarException.objects.create(
        date=date(2026, 8, 22), kind="day_off", reason="Hoãn làm bù theo quyết định mới"
    )
    CalendarException.objects.create(
        date=date(2026, 8, 31), kind="working_day", reason="Hủy hoán đổi"
    )
    cal = Calendar()
    assert not cal.is_working_day(date(2026, 8, 22))
    assert "Hoãn làm bù" in cal.day_info(date(2026, 8, 22)).reason
    assert cal.is_working_day(date(2026, 8, 31))


@pytest.mark.django_db
def test_admin_added_make_up_saturday_is_counted():
    # a swap the package does not know yet (2027)
    CalendarException.objects.create(
        date=date(2027, 4, 24), kind="working_day", reason="Làm bù cho ngày 03/05/2027"
    )
    cal = Calendar()
    assert cal.is_working_day(date(2027, 4, 24))
    assert "bù" in cal.day_info(date(2027, 4, 24)).reason
    # received Fri 23 Apr: day 1 is Saturday 24 Apr
    assert cal.add_working_days(at(2027, 4, 23), 1) == at(2027, 4, 24, 17, 0)


@pytest.mark.django_db
def test_extra_day_off_is_skipped():
    CalendarException.objects.create(
        date=date(2026, 3, 10), kind="day_off", reason="Nghỉ bổ sung theo quyết định của tỉnh"
    )
    cal = Calendar()
    info = cal.day_info(date(2026, 3, 10))
    assert not info.working and "Nghỉ bổ sung" in info.reason
    assert cal.add_working_days(at(2026, 3, 9), 1) == at(2026, 3, 11, 17, 0)


@pytest.mark.django_db
def test_period_whose_last_day_is_a_day_off_ends_on_the_next_working_day():
    # 3 working days from Tue 28 Apr 2026: Wed 29, (30/4 and 1/5 holidays, weekend) Mon 4,
    # Tue 5 May. Counted in calendar days it would end on Fri 1 May, a holiday.
    assert add_working_days(at(2026, 4, 28), 3) == at(2026, 5, 5, 17, 0)
    # received on Wed 29 Apr: day 1 = Mon 4 May (not the 30 Apr / 1 May holidays)
    assert add_working_days(at(2026, 4, 29), 1) == at(2026, 5, 4, 17, 0)


@pytest.mark.django_db
def test_received_on_a_day_off_counts_from_the_next_working_day():
    # Sunday 8 Mar 2026, even late in the evening: day 1 = Mon 9 March
    assert add_working_days(at(2026, 3, 8, 20, 0), 1) == at(2026, 3, 9, 17, 0)


@pytest.mark.django_db
def test_24_november_2026_vietnam_culture_day_is_a_holiday():
    info = is_working_day(date(2026, 11, 24))
    assert not info.working
    assert "Văn hóa" in info.reason
    # Mon 23 Nov 2026 + 1 day skips Tue 24 to Wed 25
    assert add_working_days(at(2026, 11, 23), 1) == at(2026, 11, 25, 17, 0)


@pytest.mark.django_db
def test_exceptions_are_read_once_per_calendar(django_assert_num_queries):
    with django_assert_num_queries(1):
        cal = Calendar()
        for month in range(1, 13):
            cal.add_working_days(at(2026, month, 5), 10)


@pytest.mark.django_db
@pytest.mark.parametrize("days", ["0", "-1", "abc", "NaN", "Infinity", "3651", "", "sNaN"])
def test_invalid_periods_are_refused_with_a_code(days):
    with pytest.raises(ValidationFailed) as exc:
        Calendar().add_working_days(at(2026, 3, 9), days)
    assert exc.value.code == "invalid_days"


@pytest.mark.django_db
def test_dates_outside_the_supported_years_are_refused():
    with pytest.raises(ValidationFailed) as exc:
        Calendar().day_info(date(2150, 1, 1))
    assert exc.value.code == "invalid_date"
