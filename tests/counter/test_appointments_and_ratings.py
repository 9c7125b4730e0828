"""Online appointments (capacity per slot, working days, cancel, the SMS) and the rating
at the counter (one per ticket, only the ticket the counter just served)."""

from __future__ import annotations

from datetime import date, time

import pytest

from tinhso.core.errors import DomainError
from tinhso.counter import selectors, services
from tinhso.counter.errors import CounterErrorCode as E
from tinhso.counter.models import Appointment, DeskRating
from tinhso.notify.models import Message

from .conftest import at, take

pytestmark = pytest.mark.django_db


def _book(w, group=None, **kwargs):
    args = dict(
        group=group or w.land,
        day=date(2025, 12, 2),
        slot=time(9, 0),
        name="Lê Thị C",
        phone="0912000111",
        at=at(10),
    )
    args.update(kwargs)
    return services.book_appointment(**args)


def test_a_slot_takes_as_many_bookings_as_its_capacity(centre):
    w = centre  # group B: one booking per slot
    first = _book(w)
    assert first.code.startswith("LH")
    with pytest.raises(DomainError) as err:
        _book(w, phone="0912000222")
    assert err.value.code == E.SLOT_FULL
    assert Appointment.objects.count() == 1
    free = {
        s["slot"]: s["left"] for s in selectors.free_slots(w.land, date(2025, 12, 2), at=at(10))
    }
    assert free[time(9, 0)] == 0 and free[time(9, 30)] == 1
    # cancelled: the slot is free again
    services.cancel_appointment(
        appointment=services.find_appointment(code=first.code, phone="0912000111")
    )
    _book(w, phone="0912000222")
    # the booking and the cancellation went out by SMS
    sms = Message.objects.filter(channel="sms", address="0912000111").order_by("pk")
    assert [m.template for m in sms] == ["counter_booked", "counter_cancelled"]
    assert first.code in sms[0].body


def test_bookings_only_on_working_days_in_the_future_and_on_a_slot(centre):
    w = centre
    for kwargs, code in [
        ({"day": date(2025, 12, 6)}, E.NOT_WORKING_DAY),  # a Saturday
        ({"day": date(2025, 12, 1), "slot": time(8, 0)}, E.SLOT_IN_PAST),
        ({"slot": time(12, 0)}, E.INVALID_SLOT),
        ({"day": date(2026, 3, 1)}, E.SLOT_TOO_FAR),
        ({"phone": "12"}, E.INVALID_PHONE),
        ({"name": " "}, E.INVALID_NAME),
    ]:
        with pytest.raises(DomainError) as err:
            _book(w, **kwargs)
        assert err.value.code == code, kwargs
    assert not Appointment.objects.exists()
    with pytest.raises(DomainError) as err:
        services.find_appointment(code="LHXXXXXX", phone="0912000111")
    assert err.value.code == E.UNKNOWN_APPOINTMENT


def _served(w):
    t = take(w)
    services.open_desk(officer=w.officer, desk=w.desk1, groups=[w.civil], at=at(7))
    services.call_next(officer=w.officer, desk=w.desk1, at=at(8, 5))
    services.start_serving(officer=w.officer, desk=w.desk1, at=at(8, 6))
    services.finish(officer=w.officer, desk=w.desk1, at=at(8, 16))
    return t


def test_one_rating_per_ticket_on_the_tablet_of_its_counter(centre):
    w = centre
    t = _served(w)
    assert services.ticket_to_rate(w.desk1, at(8, 17)).pk == t.pk
    rating = services.rate(
        desk=w.desk1,
        ticket=t,
        attitude=3,
        timeliness=2,
        result="3",
        comment="Cán bộ nhiệt tình",
        at=at(8, 17),
    )
    assert rating.officer == w.officer and rating.satisfied
    with pytest.raises(DomainError) as err:
        services.rate(desk=w.desk1, ticket=t, attitude=1, timeliness=1, result=1, at=at(8, 18))
    assert err.value.code == E.ALREADY_RATED
    assert DeskRating.objects.count() == 1
    assert services.ticket_to_rate(w.desk1, at(8, 18)) is None


def test_a_rating_for_someone_elses_ticket_is_refused(centre):
    w = centre
    t = _served(w)
    # another counter's tablet cannot rate it
    with pytest.raises(DomainError) as err:
        services.rate(desk=w.desk2, ticket=t, attitude=3, timeliness=3, result=3, at=at(8, 17))
    assert err.value.code == E.RATING_NOT_ALLOWED
    # nor an hour later, when other citizens stand at the counter
    with pytest.raises(DomainError) as err:
        services.rate(desk=w.desk1, ticket=t, attitude=3, timeliness=3, result=3, at=at(9, 30))
    assert err.value.code == E.RATING_NOT_ALLOWED
    with pytest.raises(DomainError) as err:
        services.rate(desk=w.desk1, ticket=t, attitude=5, timeliness=3, result=3, at=at(8, 17))
    assert err.value.code == E.INVALID_RATING
    assert not DeskRating.objects.exists()


def test_statistics_count_waits_service_times_no_shows_and_ratings(centre):
    w = centre
    t = _served(w)  # issued 08:00, called 08:05, served 08:06-08:16
    services.rate(desk=w.desk1, ticket=t, attitude=1, timeliness=3, result=3, at=at(8, 17))
    take(w, minute=20)
    services.call_next(officer=w.officer, desk=w.desk1, at=at(8, 30))
    services.mark_absent(officer=w.officer, desk=w.desk1, at=at(8, 33))
    day = at(8).date()
    [row] = selectors.statistics(w.centre, day, day, by="officer")
    assert row["tickets"] == 2 and row["served"] == 1 and row["absent"] == 1
    assert row["avg_wait_min"] == 7.5  # (5 + 10) / 2
    assert row["avg_service_min"] == 10.0
    assert row["ratings"] == 1 and row["satisfaction"] == 0.0
    totals = selectors.totals(w.centre, day, day)
    assert totals["tickets"] == 2
    # what the satisfaction indicators read
    assert selectors.satisfaction(day, day) == {
        "ratings": 1,
        "not_satisfied": 1,
        "satisfaction_rate": 0.0,
    }
    assert selectors.satisfaction(day, day, agency_ids=[w.other.pk])["ratings"] == 0


def test_ratings_at_the_counter_feed_the_satisfaction_indicator_of_the_centres_agency(centre):
    from tinhso.reporting import kpis

    w = centre
    first = _served(w)
    services.rate(desk=w.desk1, ticket=first, attitude=3, timeliness=2, result=3, at=at(8, 17))
    second = take(w, minute=20)
    services.call_next(officer=w.officer, desk=w.desk1, at=at(8, 25))
    services.start_serving(officer=w.officer, desk=w.desk1, at=at(8, 26))
    services.finish(officer=w.officer, desk=w.desk1, at=at(8, 36))
    services.rate(desk=w.desk1, ticket=second, attitude=3, timeliness=1, result=3, at=at(8, 37))
    values = kpis.compute(root=w.dept, start=date(2025, 12, 1), end=date(2025, 12, 31))
    indicator = values[w.dept.pk].get("counter_satisfaction")
    assert (indicator.numerator, indicator.denominator) == (1, 2)
    assert indicator.value == 50 and indicator.met is False
    before = kpis.compute(root=w.dept, start=date(2025, 11, 1), end=date(2025, 11, 30))
    assert before[w.dept.pk].get("counter_satisfaction").denominator == 0
