"""Statistics per agency/field/procedure and period, the form-06 register, queues."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db.models import Q

from tinhso.onestop import selectors, services
from tinhso.onestop import statistics as stats
from tinhso.onestop.services.clock import frozen

from .conftest import accepted, at_last_step, submit, vn

pytestmark = pytest.mark.django_db


def _scenario(w):
    with frozen(vn(2026, 3, 2, 9, 0)):
        early = at_last_step(w)
        late = at_last_step(w)
        open_overdue = accepted(w)
        withdrawn = accepted(w)
        refused = submit(w)
        counter = services.receive_counter_dossier(
            officer=w.officer, procedure=w.procedure, applicant_name="C", form_data={"ho_ten": "Cc"}
        )
    with frozen(vn(2026, 3, 3, 9, 0)):
        services.approve(official=w.leader, dossier=early)
        services.rate(user=w.citizen, dossier=early, score=5)
        services.withdraw(user=w.citizen, dossier=withdrawn)
        services.refuse_reception(officer=w.officer, dossier=refused, reasons="Sai thẩm quyền")
    with frozen(vn(2026, 3, 12, 9, 0)):
        services.approve(official=w.leader, dossier=late)
        services.rate(user=w.citizen, dossier=late, score=1)
    return early, late, open_overdue, counter


def test_summary_counts_received_resolved_timeliness_and_shares(world):
    w = world
    _scenario(w)
    row = stats.summary(period=stats.Period.month(2026, 3), now=vn(2026, 3, 20, 9, 0))[0]
    assert row["received"] == 5  # early, late, open, withdrawn, counter
    assert row["received_online"] == 4 and row["received_counter"] == 1
    assert row["online_full"] == 4 and row["online_partial"] == 0
    assert row["resolved"] == 2 and row["resolved_early"] == 1 and row["resolved_late"] == 1
    assert row["in_progress"] == 2  # open_overdue, counter
    assert row["in_progress_overdue"] == 2
    assert row["withdrawn"] == 1 and row["refused"] == 1
    assert row["ratings"] == 2 and row["not_satisfied"] == 1
    assert row["satisfaction_rate"] == 50.0 and row["on_time_rate"] == 50.0
    assert row["online_share"] == 80.0


def test_summary_grouped_by_agency_field_procedure_and_limited_to_an_agency(world):
    w = world
    _scenario(w)
    period = stats.Period.month(2026, 3)
    for group in ("agency", "field", "procedure"):
        rows = stats.summary(period=period, group_by=group, now=vn(2026, 3, 20, 9, 0))
        assert len(rows) == 1 and rows[0]["received"] == 5, group
    assert stats.summary(period=period, agency=w.other)[0]["received"] == 0
    assert stats.summary(period=period, agency=w.province)[0]["received"] == 5
    # a period before anything happened
    assert stats.summary(period=stats.Period.month(2026, 1))[0]["received"] == 0


def test_in_progress_at_the_end_of_an_earlier_period(world):
    w = world
    with frozen(vn(2026, 2, 26, 9, 0)):
        dossier = at_last_step(w)
    with frozen(vn(2026, 3, 3, 9, 0)):
        services.approve(official=w.leader, dossier=dossier)
    feb = stats.summary(period=stats.Period(date(2026, 2, 1), date(2026, 2, 28)))[0]
    assert feb["received"] == 1 and feb["in_progress"] == 1 and feb["resolved"] == 0
    mar = stats.summary(period=stats.Period.month(2026, 3))[0]
    assert mar["received"] == 0 and mar["resolved"] == 1


def test_register_form_06_rows(world):
    w = world
    early, late, *_ = _scenario(w)
    rows = stats.register_rows(period=stats.Period.month(2026, 3), receiving_agency=w.dept)
    assert [r["index"] for r in rows] == list(range(1, 6))
    first = next(r for r in rows if r["code"] == early.code)
    assert first["transferred_at"] is not None and first["status"] == "Đã xử lý xong"
    assert "Trước hạn" in first["note"]
    assert [c for c, _ in stats.REGISTER_COLUMNS][:2] == ["index", "code"]


def test_rules_text_states_early_on_time_late(world):
    assert "early" in stats.RULES.lower() or "trước" in stats.RULES.lower()
    assert "appointment" in stats.RULES


def test_queues_are_scoped_by_agency_and_role(world):
    w = world
    with frozen(vn(2026, 3, 2, 9, 0)):
        waiting = submit(w)
        overdue = accepted(w)
        mine = accepted(w)
        services.forward_to_next_step(official=w.officer, dossier=mine, to_user=w.specialist)
    services.request_supplement(official=w.officer, dossier=waiting, items=["Bản sao"])
    fresh = submit(w)
    assert list(selectors.to_receive(w.officer)) == [fresh]
    assert list(selectors.to_receive(w.outsider_officer)) == []
    assert list(selectors.to_process(w.specialist)) == [mine]
    # unassigned reception step: the one-stop officer's queue
    assert overdue in list(selectors.to_process(w.officer))
    assert set(selectors.overdue(w.leader, now=vn(2026, 3, 20, 9, 0))) == {overdue, mine}
    assert list(selectors.overdue(w.outsider, now=vn(2026, 3, 20, 9, 0))) == []
    assert list(selectors.waiting_for_citizen(w.officer)) == [waiting]
    soon = selectors.due_soon(w.leader, days=2, now=vn(2026, 3, 6, 9, 0))
    assert set(soon) == {overdue, mine}
    assert selectors.queue_counts(w.officer)["to_receive"] == 1


def test_queue_counts_are_each_queues_size_in_one_statement(world, django_assert_max_num_queries):
    w = world
    with frozen(vn(2026, 3, 2, 9, 0)):
        waiting = submit(w)
        accepted(w)
        mine = accepted(w)
        services.forward_to_next_step(official=w.officer, dossier=mine, to_user=w.specialist)
    services.request_supplement(official=w.officer, dossier=waiting, items=["Bản sao"])
    submit(w)
    for user in (w.officer, w.specialist, w.leader, w.outsider, w.outsider_officer):
        expected = {name: selectors.queue(user, name).count() for name in selectors.QUEUES}
        user = type(user).objects.get(pk=user.pk)  # grants not yet read
        # the user's grants, a leader's agencies below theirs, then every count at once
        with django_assert_max_num_queries(3):
            assert selectors.queue_counts(user) == expected
    assert selectors.queue_counts(w.officer)["to_receive"] == 1
    assert selectors.queue_counts(w.officer)["waiting"] == 1


def test_queue_counts_written_once_follow_the_moment_and_new_roles(world):
    """The counts' SQL is kept per person and roles (`tinhso.core.prepared`): asked later,
    the kept statement counts with the new moment (a dossier falls due, then overdue),
    and a role granted since is a new statement at once."""
    from tinhso.accounts.models import Role, RoleGrant

    w = world
    with frozen(vn(2026, 3, 2, 9, 0)):
        dossier = accepted(w)
    due = dossier.due_at
    moments = [due - timedelta(days=10), due - timedelta(hours=1), due + timedelta(hours=1)]
    seen = []
    for moment in moments:
        with frozen(moment):
            counts = selectors.queue_counts(type(w.leader).objects.get(pk=w.leader.pk))
            assert counts == {name: selectors.queue(w.leader, name).count() for name in counts}
            seen.append((counts["due_soon"], counts["overdue"]))
    assert seen == [(0, 0), (1, 0), (0, 1)]
    assert selectors.queue_counts(w.outsider_officer)["overdue"] == 0
    RoleGrant.objects.create(user=w.outsider_officer, agency=w.dept, role=Role.LEADER)
    with frozen(moments[-1]):
        fresh = type(w.outsider_officer).objects.get(pk=w.outsider_officer.pk)
        assert selectors.queue_counts(fresh)["overdue"] == 1


def test_a_prepared_aggregate_without_its_moment_is_run_by_the_orm_every_time(world):
    """A statement the moment does not reach (or two statements) is not kept: each call
    is the ORM's own, so nothing stale is ever answered."""
    from django.db.models import Count

    from tinhso.core.prepared import Prepared
    from tinhso.onestop.models import Dossier

    counts = Prepared(Dossier)

    def every(moment):
        return Dossier.objects.aggregate(n=Count("pk"))

    assert counts("every", every, moment=vn(2026, 3, 2, 9, 0)) == {"n": 0}
    submit(world)
    assert counts("every", every, moment=vn(2026, 3, 2, 9, 0)) == {"n": 1}
    assert dict(counts._kept) == {("default", "every"): None}

    def since(moment):
        return Dossier.objects.aggregate(n=Count("pk", filter=Q(submitted_at__gte=moment)))

    assert counts("since", since, moment=vn(2000, 1, 1, 0, 0)) == {"n": 1}
    assert counts("since", since, moment=vn(2100, 1, 1, 0, 0)) == {"n": 0}
    assert counts._kept[("default", "since")] is not None


def test_rollup_gives_the_same_figures_as_the_live_query(world):
    w = world
    _scenario(w)
    with frozen(vn(2026, 4, 2, 9, 0)):
        late_one = accepted(w)  # after the rollup's last day: read live
    del late_one
    period = stats.Period(date(2026, 2, 15), date(2026, 4, 30))
    now = vn(2026, 4, 20, 9, 0)
    live = {
        g: stats.summary(period=period, group_by=g, now=now, use_rollup=False)
        for g in (None, "agency", "field", "procedure", "receiving_agency")
    }
    assert stats.rollup_through() is None
    rows = stats.refresh_rollup(start=date(2026, 1, 1), end=date(2026, 3, 31))
    assert rows > 0 and stats.rollup_through() == date(2026, 3, 31)
    for group, expected in live.items():
        assert stats.summary(period=period, group_by=group, now=now) == expected, group
    # idempotent
    stats.refresh_rollup(start=date(2026, 3, 1), end=date(2026, 3, 31))
    assert stats.summary(period=period, now=now) == live[None]
    assert stats.summary(period=period, now=now)[0]["received"] == 6
