"""Queue rules: numbering per group per day, double taps, priority and group order,
transfer, recall/absent, closing a counter with tickets waiting."""

from __future__ import annotations

import pytest

from tinhso.audit.models import AuditEntry
from tinhso.core.errors import DomainError
from tinhso.counter import services
from tinhso.counter.errors import CounterErrorCode as E
from tinhso.counter.models import Appointment, Desk, Ticket

from .conftest import at, take

pytestmark = pytest.mark.django_db


def test_numbers_run_per_group_and_start_again_every_morning(centre):
    w = centre
    a1, a2 = take(w), take(w, minute=1)
    b1 = take(w, w.land, minute=2)
    assert [a1.display, a2.display, b1.display] == ["A001", "A002", "B001"]
    tomorrow = services.take_ticket(centre=w.centre, group=w.civil, at=at(8, 0, day=2))
    assert tomorrow.display == "A001" and tomorrow.day.day == 2


def test_a_double_tap_gives_one_ticket(centre):
    w = centre
    first = take(w, request_key="kiosk-form-key-1")
    again = take(w, minute=0, request_key="kiosk-form-key-1")
    assert again.pk == first.pk
    assert Ticket.objects.count() == 1
    assert AuditEntry.objects.filter(action="counter.take_ticket").count() == 1
    assert take(w, request_key="kiosk-form-key-2").display == "A002"


def test_bad_kiosk_input_is_refused_with_a_code_and_nothing_taken(centre):
    w = centre
    for kwargs, code in [
        ({"id_number": "12345"}, E.INVALID_ID_NUMBER),
        ({"priority_reason": "vip"}, E.INVALID_PRIORITY),
        ({"purpose": "lunch"}, E.INVALID_PURPOSE),
        ({"dossier_code": "<script>"}, E.INVALID_DOSSIER_CODE),
    ]:
        with pytest.raises(DomainError) as err:
            take(w, **kwargs)
        assert err.value.code == code and err.value.message
    assert not Ticket.objects.exists()


def _open(w, desk, officer, *groups):
    return services.open_desk(officer=officer, desk=desk, groups=list(groups), at=at(7, 30))


def test_priority_first_then_order_of_issue_within_the_counter_groups(centre):
    w = centre
    a1 = take(w, minute=0)
    b1 = take(w, w.land, minute=1)
    a2 = take(w, minute=2)
    elderly = take(w, minute=3, priority_reason=Ticket.Priority.ELDERLY)
    _open(w, w.desk1, w.officer, w.civil)
    called = []
    for minute in (10, 20, 30):
        t = services.call_next(officer=w.officer, desk=w.desk1, at=at(8, minute))
        called.append(t.display)
        services.finish(officer=w.officer, desk=w.desk1, at=at(8, minute + 5))
    assert called == [elderly.display, a1.display, a2.display]
    # group B is not this counter's: it stays waiting
    with pytest.raises(DomainError) as err:
        services.call_next(officer=w.officer, desk=w.desk1, at=at(8, 40))
    assert err.value.code == E.QUEUE_EMPTY
    b1.refresh_from_db()
    assert b1.state == Ticket.State.WAITING


def test_an_appointment_checks_in_with_the_priority_of_its_slot_late_ones_lose_it(centre):
    w = centre
    on_time = services.book_appointment(
        group=w.civil,
        day=at(9).date(),
        slot=at(9).time(),
        name="Lê Thị C",
        phone="0912000111",
        at=at(0),
    )
    late = services.book_appointment(
        group=w.civil,
        day=at(9).date(),
        slot=at(9).time(),
        name="Đỗ Văn D",
        phone="0912000222",
        at=at(0),
    )
    first = services.check_in(centre=w.centre, code=on_time.code, at=at(8, 40))
    assert first.kind == Ticket.Kind.APPOINTMENT and first.priority_from == at(9)
    second = services.check_in(centre=w.centre, code=late.code, at=at(9, 20))
    assert second.kind == Ticket.Kind.NORMAL and second.priority_from is None
    on_time.refresh_from_db()
    assert on_time.state == Appointment.State.CHECKED_IN
    # checked in once: the code does not give a second ticket
    with pytest.raises(DomainError) as err:
        services.check_in(centre=w.centre, code=on_time.code, at=at(8, 41))
    assert err.value.code == E.APPOINTMENT_STATE


def test_coming_early_with_an_appointment_does_not_jump_the_queue_before_the_slot(centre):
    w = centre
    normal = take(w, minute=0)
    appt = services.book_appointment(
        group=w.civil,
        day=at(10).date(),
        slot=at(10).time(),
        name="Lê Thị C",
        phone="0912000111",
        at=at(0),
    )
    ticket = services.check_in(centre=w.centre, code=appt.code, at=at(8, 30))
    _open(w, w.desk1, w.officer, w.civil)
    assert services.call_next(officer=w.officer, desk=w.desk1, at=at(9)).pk == normal.pk
    services.finish(officer=w.officer, desk=w.desk1, at=at(9, 5))
    later = take(w, minute=0, at=at(9, 10))
    # 10:00: the slot began: the appointment goes before the ticket taken at 09:10
    assert services.call_next(officer=w.officer, desk=w.desk1, at=at(10)).pk == ticket.pk
    services.finish(officer=w.officer, desk=w.desk1, at=at(10, 5))
    assert services.call_next(officer=w.officer, desk=w.desk1, at=at(10, 6)).pk == later.pk


def test_two_counters_never_get_the_same_ticket_and_transfer_goes_first(centre):
    w = centre
    t1, t2, t3 = take(w, minute=0), take(w, minute=1), take(w, minute=2)
    _open(w, w.desk1, w.officer, w.civil)
    _open(w, w.desk2, w.officer2, w.civil, w.land)
    c1 = services.call_next(officer=w.officer, desk=w.desk1, at=at(8, 10))
    c2 = services.call_next(officer=w.officer2, desk=w.desk2, at=at(8, 10))
    assert {c1.pk, c2.pk} == {t1.pk, t2.pk}
    # desk 1 sends its citizen to desk 2: desk 2 calls them before t3
    services.transfer(officer=w.officer, desk=w.desk1, to_desk=w.desk2, at=at(8, 12))
    services.finish(officer=w.officer2, desk=w.desk2, at=at(8, 15))
    assert services.call_next(officer=w.officer2, desk=w.desk2, at=at(8, 16)).pk == c1.pk
    assert services.call_next(officer=w.officer, desk=w.desk1, at=at(8, 16)).pk == t3.pk


def test_recall_absent_and_a_busy_counter(centre):
    w = centre
    t = take(w)
    take(w, minute=1)
    _open(w, w.desk1, w.officer, w.civil)
    services.call_next(officer=w.officer, desk=w.desk1, at=at(8, 5))
    with pytest.raises(DomainError) as err:
        services.call_next(officer=w.officer, desk=w.desk1, at=at(8, 6))
    assert err.value.code == E.DESK_BUSY
    again = services.recall(officer=w.officer, desk=w.desk1, at=at(8, 7))
    assert again.call_count == 2
    gone = services.mark_absent(officer=w.officer, desk=w.desk1, at=at(8, 9))
    assert gone.pk == t.pk and gone.state == Ticket.State.ABSENT
    # another officer cannot drive this counter
    with pytest.raises(DomainError) as err:
        services.call_next(officer=w.officer2, desk=w.desk1, at=at(8, 10))
    assert err.value.code == E.DESK_TAKEN
    # a citizen or an official of another agency cannot open one
    with pytest.raises(DomainError):
        _open(w, w.desk3, w.outsider_officer, w.civil)


def test_closing_a_counter_with_tickets_waiting_asks_first(centre):
    w = centre
    take(w)
    _open(w, w.desk1, w.officer, w.civil)
    with pytest.raises(DomainError) as err:
        services.close_desk(officer=w.officer, desk=w.desk1, at=at(8, 1))
    assert err.value.code == E.DESK_WAITING_TICKETS
    assert Desk.objects.get(pk=w.desk1.pk).state == Desk.State.OPEN
    # another counter serving the group: no question asked
    _open(w, w.desk2, w.officer2, w.civil)
    services.close_desk(officer=w.officer, desk=w.desk1, at=at(8, 2))
    assert Desk.objects.get(pk=w.desk1.pk).state == Desk.State.CLOSED
    # forced: the last counter closes, the ticket waits for the next one
    services.close_desk(officer=w.officer2, desk=w.desk2, force=True, at=at(8, 3))
    assert Ticket.objects.get().state == Ticket.State.WAITING
