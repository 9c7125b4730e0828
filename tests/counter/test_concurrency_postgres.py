"""PostgreSQL: kiosks taking numbers at the same moment, officers calling at once."""

from __future__ import annotations

import threading

import pytest
from django.db import close_old_connections, connection

from tinhso.accounts.models import Role
from tinhso.counter import services
from tinhso.counter.models import Desk, Ticket

from .conftest import _official, at

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _run_in_threads(fns):
    barrier = threading.Barrier(len(fns))
    results: list = [None] * len(fns)

    def runner(index, fn):
        try:
            barrier.wait()
            results[index] = fn()
        except Exception as exc:  # noqa: BLE001 - collected for the assertions
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i, fn)) for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    close_old_connections()
    return results


def test_concurrent_kiosks_get_distinct_consecutive_numbers(centre):
    w = centre

    def take(i):
        return lambda: (
            services.take_ticket(
                centre=w.centre, group=w.civil, request_key=f"kiosk-{i:04d}-key", at=at(8)
            ).number
        )

    numbers = _run_in_threads([take(i) for i in range(12)])
    assert sorted(numbers) == list(range(1, 13)), numbers
    # the same double tap from two threads: one ticket
    twice = _run_in_threads([take(99), take(99)])
    assert twice[0] == twice[1] == 13
    assert Ticket.objects.count() == 13


def test_officers_calling_at_once_never_get_the_same_ticket(centre):
    w = centre
    officers = [w.officer, w.officer2] + [
        _official(f"motcua{i}.stp", w.dept, Role.ONESTOP_OFFICER) for i in range(3, 9)
    ]
    desks = [w.desk1, w.desk2, w.desk3] + [
        services.create_desk(actor=None, centre=w.centre, number=n) for n in range(4, 9)
    ]
    for officer, desk in zip(officers, desks, strict=True):
        services.open_desk(officer=officer, desk=desk, groups=[w.civil], at=at(7))
    for minute in range(20):
        services.take_ticket(centre=w.centre, group=w.civil, at=at(8, minute))

    def officer_loop(officer, desk):
        def go():
            called = []
            for _ in range(10):
                try:
                    t = services.call_next(
                        officer=officer, desk=Desk.objects.get(pk=desk.pk), at=at(9)
                    )
                except services.DomainError:
                    break
                called.append(t.pk)
                services.finish(officer=officer, desk=Desk.objects.get(pk=desk.pk), at=at(9, 1))
            return called

        return go

    results = _run_in_threads([officer_loop(o, d) for o, d in zip(officers, desks, strict=True)])
    assert all(isinstance(r, list) for r in results), results
    called = [pk for r in results for pk in r]
    assert len(called) == 20 and len(set(called)) == 20  # every ticket once
    assert Ticket.objects.filter(state=Ticket.State.DONE, call_count=1).count() == 20


def test_a_double_click_at_one_counter_calls_one_ticket(centre):
    """The counter's row lock: two call-next of the same counter at the same moment call one
    ticket; the other is told the counter is busy (no ticket left half-called)."""
    w = centre
    services.open_desk(officer=w.officer, desk=w.desk1, groups=[w.civil], at=at(7))
    for minute in range(3):
        services.take_ticket(centre=w.centre, group=w.civil, at=at(8, minute))

    def click():
        return services.call_next(officer=w.officer, desk=Desk.objects.get(pk=w.desk1.pk), at=at(9))

    results = _run_in_threads([click for _ in range(4)])
    called = [r for r in results if isinstance(r, Ticket)]
    refused = [r for r in results if isinstance(r, services.DomainError)]
    assert len(called) == 1 and len(refused) == 3, results
    assert {e.code for e in refused} == {"counter_desk_busy"}
    assert Ticket.objects.filter(state=Ticket.State.CALLED).count() == 1
    assert Ticket.objects.filter(state=Ticket.State.WAITING).count() == 2


def test_many_counters_over_shared_groups_with_priorities_call_each_ticket_once(centre):
    """Twelve counters over two overlapping groups, transfers and priority tickets among
    the waiting: all call at once until the queues are empty; every ticket is called exactly
    once, and each counter's own calls keep the queue order of its groups."""
    w = centre
    officers = [w.officer, w.officer2] + [
        _official(f"motcua{i}.stp", w.dept, Role.ONESTOP_OFFICER) for i in range(3, 13)
    ]
    desks = [w.desk1, w.desk2, w.desk3] + [
        services.create_desk(actor=None, centre=w.centre, number=n) for n in range(4, 13)
    ]
    for i, (officer, desk) in enumerate(zip(officers, desks, strict=True)):
        groups = [[w.civil], [w.land], [w.civil, w.land]][i % 3]
        services.open_desk(officer=officer, desk=desk, groups=groups, at=at(7))
    tickets = []
    for minute in range(60):
        group = w.civil if minute % 2 else w.land
        reason = "elderly" if minute % 7 == 0 else ""
        tickets.append(
            services.take_ticket(
                centre=w.centre, group=group, priority_reason=reason, at=at(8, minute)
            )
        )
    # two tickets transferred to counter 12 beforehand
    Ticket.objects.filter(pk__in=[tickets[10].pk, tickets[11].pk]).update(target_desk=desks[-1])

    def officer_loop(officer, desk):
        def go():
            called = []
            while True:
                try:
                    t = services.call_next(
                        officer=officer, desk=Desk.objects.get(pk=desk.pk), at=at(9, 30)
                    )
                except services.DomainError as exc:
                    assert exc.code == "counter_queue_empty", exc
                    break
                called.append(t)
                services.finish(officer=officer, desk=Desk.objects.get(pk=desk.pk), at=at(9, 31))
            return called

        return go

    results = _run_in_threads([officer_loop(o, d) for o, d in zip(officers, desks, strict=True)])
    assert all(isinstance(r, list) for r in results), results
    called = [t.pk for r in results for t in r]
    assert len(called) == 60 and len(set(called)) == 60
    assert Ticket.objects.filter(state=Ticket.State.DONE, call_count=1).count() == 60
    # counter 12 called its transfers first; every counter's calls: priority before normal
    # (within what it could still take), each class in the order issued
    assert {t.pk for t in results[-1][:2]} == {tickets[10].pk, tickets[11].pk}
    for calls in results:
        own = [t for t in calls if t.pk not in (tickets[10].pk, tickets[11].pk)]
        ranks = [(0 if t.priority_from else 1, t.issued_at) for t in own]
        for earlier, later in zip(ranks, ranks[1:], strict=False):
            assert earlier[0] < later[0] or (earlier[0] == later[0] and earlier[1] < later[1])
