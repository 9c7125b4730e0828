"""The period calculator: Decree 09 cut-offs (15th → 14th) and deadlines in working days,
across Tết."""

from __future__ import annotations

from datetime import date

import pytest

from tinhso.core.errors import ValidationFailed
from tinhso.reporting import periods
from tinhso.reporting.models import Frequency

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("frequency", "key", "start", "end"),
    [
        (Frequency.MONTHLY, "2026-01", date(2025, 12, 15), date(2026, 1, 14)),
        (Frequency.MONTHLY, "2026-03", date(2026, 2, 15), date(2026, 3, 14)),
        (Frequency.QUARTERLY, "2026-Q1", date(2025, 12, 15), date(2026, 3, 14)),
        (Frequency.QUARTERLY, "2026-Q3", date(2026, 6, 15), date(2026, 9, 14)),
        (Frequency.SIX_MONTHLY, "2026-H1", date(2025, 12, 15), date(2026, 6, 14)),
        (Frequency.SIX_MONTHLY, "2026-H2", date(2026, 6, 15), date(2026, 12, 14)),
        (Frequency.YEARLY, "2026", date(2025, 12, 15), date(2026, 12, 14)),
    ],
)
def test_cutoffs_run_from_the_15th_to_the_14th(frequency, key, start, end):
    assert periods.cutoff(frequency, key)[:2] == (start, end)


def test_february_deadline_jumps_over_tet_2026():
    # cut-off ends Saturday 14/2/2026; Tết holidays 16–20/2; 3 working days → 25/2
    feb = periods.period(Frequency.MONTHLY, "2026-02", deadline_working_days=3)
    assert feb.cutoff_end == date(2026, 2, 14)
    assert feb.deadline.date() == date(2026, 2, 25)
    # an ordinary month: 14/4/2026 is a Tuesday → Friday 17/4
    april = periods.period(Frequency.MONTHLY, "2026-04", deadline_working_days=3)
    assert april.deadline.date() == date(2026, 4, 17)


def test_every_day_falls_in_exactly_one_period_and_previous_keys_chain():
    assert periods.period_containing(Frequency.MONTHLY, date(2026, 12, 20)) == "2027-01"
    assert periods.period_containing(Frequency.QUARTERLY, date(2026, 3, 14)) == "2026-Q1"
    assert periods.period_containing(Frequency.QUARTERLY, date(2026, 3, 15)) == "2026-Q2"
    assert periods.previous_key(Frequency.MONTHLY, "2026-01") == "2025-12"
    assert periods.previous_key(Frequency.YEARLY, "2026") == "2025"
    schedule = periods.schedule(Frequency.MONTHLY, 2026)
    for earlier, later in zip(schedule, schedule[1:], strict=False):
        assert (later.cutoff_start - earlier.cutoff_end).days == 1


@pytest.mark.parametrize("key", ["2026-13", "2026-Q5", "26-01", "2026-H1", "", "1899-01"])
def test_a_bad_period_key_is_refused(key):
    with pytest.raises(ValidationFailed) as err:
        periods.cutoff(Frequency.MONTHLY, key)
    assert err.value.code == "invalid_report_period"
