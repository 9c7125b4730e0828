"""Each Decision 766 indicator on dossiers built through the one-stop services, with the
national edge rules: supplement time subtracted, a second supplement request is late,
withdrawn after acceptance, still open at the period's end, waiting for a supplement,
"online" only with an electronic result; and the drill-down to the dossiers behind it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tinhso.onestop import services
from tinhso.onestop.services.clock import frozen
from tinhso.reporting import index766

from .conftest import accepted, at_last_step, pdf_file, submit, vn

pytestmark = pytest.mark.django_db

MARCH = {"start": date(2026, 3, 1), "end": date(2026, 3, 31), "now": vn(2026, 4, 10, 9, 0)}
MARCH_PERIOD = {"start": date(2026, 3, 1), "end": date(2026, 3, 31)}


def index_of(agency):
    return index766.compute(**MARCH).for_agency(agency.pk)


def lost(code, agency):
    return {i.code: i.reason for i in index766.drilldown(code=code, agency=agency, **MARCH)}


def finish(w, dossier, moment, *, draft=True):
    """Through the process to the leader, who approves (and signs) at `moment`."""
    with frozen(moment):
        services.forward_to_next_step(official=w.officer, dossier=dossier, to_user=w.specialist)
        if draft:
            services.attach_result(
                official=w.specialist, dossier=dossier, file=pdf_file("du-thao.pdf")
            )
        services.forward_to_next_step(official=w.specialist, dossier=dossier, to_user=w.leader)
        services.approve(official=w.leader, dossier=dossier)
    dossier.refresh_from_db()
    return dossier


def supplement(w, dossier, requested, answered=None):
    with frozen(requested):
        services.request_supplement(official=w.officer, dossier=dossier, items=["Bản sao CCCD"])
    if answered is not None:
        with frozen(answered):
            services.answer_supplement(user=w.citizen, dossier=dossier, note="Đã bổ sung")
    dossier.refresh_from_db()


def test_2_1_second_supplement_request_is_late_though_the_one_stop_rule_says_on_time(province):
    w = province
    with frozen(vn(2026, 3, 2, 9, 0)):
        dossier = accepted(w)
    supplement(w, dossier, vn(2026, 3, 2, 10, 0), vn(2026, 3, 2, 11, 0))
    supplement(w, dossier, vn(2026, 3, 3, 9, 0), vn(2026, 3, 3, 10, 0))
    finish(w, dossier, vn(2026, 3, 4, 9, 0))
    assert dossier.timeliness == "early"  # the one-stop module's own verdict
    result = index_of(w.dept).indicator("2.1")
    assert (result.numerator, result.denominator, result.value) == (0, 1, Decimal("0.00"))
    assert "một cửa" in result.also and "100" in result.also  # both rules, labelled
    assert "lần thứ hai" in lost("2.1", w.dept)[dossier.code]


def test_2_1_supplement_waiting_time_is_subtracted_from_the_end(province):
    w = province
    with frozen(vn(2026, 3, 2, 9, 0)):
        dossier = accepted(w)  # appointment: Monday 9 March
    supplement(w, dossier, vn(2026, 3, 3, 9, 0), vn(2026, 3, 10, 9, 0))  # 7 days waiting
    finish(w, dossier, vn(2026, 3, 13, 9, 0))  # after the first appointment...
    result = index_of(w.dept).indicator("2.1")
    assert (result.numerator, result.denominator) == (1, 1)  # ...but on time without the wait
    # 2.2: working days from acceptance to result minus the wait (2/3 → 13/3: 9; wait 5)
    average = index_of(w.dept).indicator("2.2")
    assert average.value == Decimal("4.00") and average.points == 0


def test_2_1_withdrawn_after_acceptance_counts_and_is_judged_at_the_withdrawal(province):
    w = province
    with frozen(vn(2026, 3, 2, 9, 0)):
        late = accepted(w)
        in_time = accepted(w)
    with frozen(vn(2026, 3, 20, 9, 0)):
        services.withdraw(user=w.citizen, dossier=late)
    with frozen(vn(2026, 3, 3, 9, 0)):
        services.withdraw(user=w.citizen, dossier=in_time)
    with frozen(vn(2026, 3, 2, 9, 0)):
        never_received = submit(w)
    with frozen(vn(2026, 3, 3, 9, 0)):
        services.withdraw(user=w.citizen, dossier=never_received)
    result = index_of(w.dept).indicator("2.1")
    assert (result.numerator, result.denominator) == (1, 2)  # not the one never received
    assert list(lost("2.1", w.dept)) == [late.code]
    assert "Kết thúc sau hạn" in lost("2.1", w.dept)[late.code]


def test_2_1_still_open_at_the_period_end_is_judged_at_the_end(province):
    w = province
    with frozen(vn(2026, 3, 2, 9, 0)):
        overdue = accepted(w)
    with frozen(vn(2026, 3, 30, 9, 0)):
        fresh = accepted(w)  # appointment in April
    result = index_of(w.dept).indicator("2.1")
    assert (result.numerator, result.denominator) == (1, 2)
    reasons = lost("2.1", w.dept)
    assert list(reasons) == [overdue.code] and "Đang giải quyết" in reasons[overdue.code]
    assert fresh.code not in reasons


def test_2_1_waiting_for_a_supplement_never_returned_ends_at_the_request(province):
    w = province
    with frozen(vn(2026, 3, 2, 9, 0)):
        dossier = accepted(w)
    supplement(w, dossier, vn(2026, 3, 3, 9, 0))  # the citizen never comes back
    result = index_of(w.dept).indicator("2.1")
    assert (result.numerator, result.denominator) == (1, 1)


def test_3_3_4_1_4_2_online_without_an_electronic_result_is_not_online(province):
    w = province
    with frozen(vn(2026, 3, 2, 9, 0)):
        paper = accepted(w, return_method="counter")
        electronic = accepted(w)
        counter = services.receive_counter_dossier(
            officer=w.officer, procedure=w.procedure, applicant_name="C", form_data={"ho_ten": "Cc"}
        )
    finish(w, paper, vn(2026, 3, 4, 9, 0), draft=False)  # a paper result, no e-result
    finish(w, electronic, vn(2026, 3, 4, 10, 0))
    agency = index_of(w.dept)
    online = agency.indicator("3.3")
    assert (online.numerator, online.denominator) == (1, 3)
    assert online.value == Decimal("33.33")
    assert online.points == Decimal("4.00")  # 33.33 × 6 / 50 (full points at 50 %)
    reasons = lost("3.3", w.dept)
    assert "kết quả không có bản điện tử" in reasons[paper.code]
    assert reasons[counter.code] == "Nộp trực tiếp"
    e_result = agency.indicator("4.1")
    assert (e_result.numerator, e_result.denominator) == (1, 2)
    assert list(lost("4.1", w.dept)) == [paper.code]
    digitised = agency.indicator("4.2")
    assert (digitised.numerator, digitised.denominator) == (1, 3)


def test_3_6_paid_online_out_of_dossiers_with_a_fee(province):
    from tinhso.onestop.payments import sandbox
    from tinhso.onestop.payments.services import handle_callback

    w = province
    w.procedure.fee_vnd = 8000
    w.procedure.save()
    with frozen(vn(2026, 3, 2, 9, 0)):
        paid = submit(w)
        unpaid = submit(w)
    payment = paid.payments.get()
    params = sandbox.SandboxProvider().callback_params(
        reference=payment.reference,
        amount=payment.amount_vnd,
        order=str(paid.uid),
        success=True,
        txn="SBX1",
    )
    assert handle_callback(provider="sandbox", params=params)[0] == "applied"
    paid.refresh_from_db()
    with frozen(vn(2026, 3, 2, 10, 0)):
        services.accept_dossier(officer=w.officer, dossier=paid)
        services.accept_dossier(officer=w.officer, dossier=unpaid)
    unpaid.refresh_from_db()
    result = index_of(w.dept).indicator("3.6")
    assert (result.numerator, result.denominator) == (1, 2)
    assert list(lost("3.6", w.dept)) == [unpaid.code]


def test_4_3_4_4_reuse_from_the_wallet_and_results_pushed_to_it(province):
    w = province
    item = services.add_to_wallet(user=w.citizen, file=pdf_file("cccd.pdf", b"%x"), name="CCCD")
    with frozen(vn(2026, 3, 2, 9, 0)):
        reused = accepted(w, attachments=[services.Attachment(wallet_item=item, paper=w.paper)])
        fresh = accepted(w)
    agency = index_of(w.dept)
    assert (agency.indicator("4.3").numerator, agency.indicator("4.3").denominator) == (1, 2)
    assert (agency.indicator("4.4").numerator, agency.indicator("4.4").denominator) == (1, 2)
    assert list(lost("4.3", w.dept)) == [fresh.code]
    assert reused.code not in lost("4.4", w.dept)


def test_5_4_satisfaction_is_100_minus_overdue_and_dislike_rates(province):
    w = province
    with frozen(vn(2026, 3, 2, 9, 0)):
        liked = at_last_step(w)
        disliked = at_last_step(w)
        overdue = accepted(w)
        fine = accepted(w)
    with frozen(vn(2026, 3, 3, 9, 0)):
        services.approve(official=w.leader, dossier=liked)
        services.approve(official=w.leader, dossier=disliked)
        services.rate(user=w.citizen, dossier=liked, score=5)
        services.rate(user=w.citizen, dossier=disliked, score=1)
        services.withdraw(user=w.citizen, dossier=fine)
    result = index_of(w.dept).indicator("5.4")
    assert result.value == Decimal("50.00")  # 100 − 25 (overdue) − 25 (dislike)
    assert result.points == Decimal("3.33")  # 50 × 6 / 90
    assert set(lost("5.4", w.dept)) == {disliked.code, overdue.code}


def test_1_3_3_1_3_2_3_5_from_the_procedure_catalogue(province):
    from tinhso.onestop.models import Procedure

    w = province
    complete = Procedure.objects.create(
        code="1.000001",
        name="Thủ tục đủ bộ phận",
        field=w.field,
        agency=w.other,
        processing_days=Decimal("3"),
        fee_vnd=10000,
        online_type="partial",
        sequence_description="Bước 1...",
        applicant_description="Công dân",
    )
    complete.papers.create(name="Đơn", order=1)
    with frozen(vn(2026, 3, 2, 9, 0)):
        submit(w)  # an online dossier of w.procedure (the department's)
    province_index = index_of(w.province)
    parts = province_index.indicator("1.3")
    assert (parts.numerator, parts.denominator) == (1, 2)
    missing = index766.drilldown(code="1.3", agency=w.province, **MARCH)
    assert [m.code for m in missing] == [w.procedure.code]
    assert "trình tự thực hiện" in missing[0].reason
    online = province_index.indicator("3.1")
    assert online.value == Decimal("100.00") and "Toàn trình: 50" in online.also
    used = province_index.indicator("3.2")
    assert (used.numerator, used.denominator) == (0, 2)  # submitted, not yet received
    with frozen(vn(2026, 3, 2, 10, 0)):
        accepted(w)
    used = index_of(w.province).indicator("3.2")
    assert (used.numerator, used.denominator) == (1, 2)
    assert index_of(w.province).indicator("3.5").value == Decimal("100.00")
    assert index_of(w.dept).indicator("1.3").denominator == 1  # its own procedure only


def test_indicators_tinhso_does_not_hold_say_so_and_leave_the_maximum(province):
    w = province
    agency = index_of(w.province)
    for code in ("1.1", "1.2", "1.4", "4.5", "5.1", "5.2", "5.3"):
        result = agency.indicator(code)
        assert not result.available and result.points is None and result.note
    assert agency.computable_max < 100
    transparency = agency.groups[0]
    assert transparency.max_points == 18 and transparency.computable_max == 4
    assert sum(g.max_points for g in agency.groups) == 100
    assert sum(i.points for i in index766.INDICATORS) == 100


def test_unknown_indicator_code_is_refused_with_a_stable_code(province):
    from tinhso.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as err:
        index766.drilldown(code="9.9", agency=province.dept, **MARCH)
    assert err.value.code == "unknown_766_indicator"


def test_the_province_rolls_up_its_departments_and_communes(province):
    w = province
    with frozen(vn(2026, 3, 2, 9, 0)):
        accepted(w)
        accepted(w)
    index = index766.compute(**MARCH)
    assert index.for_agency(w.province.pk).indicator("2.1").denominator == 2
    assert index.for_agency(w.dept.pk).indicator("2.1").denominator == 2
    assert [a.node.id for a in index.agencies(departments=True)] == [w.dept.pk]


def test_grouped_sql_and_one_by_one_judging_give_the_same_index(province):
    """The fast path (grouped SQL for dossiers without supplements) = judge() for all."""
    w = province
    item = services.add_to_wallet(user=w.citizen, file=pdf_file("cccd.pdf", b"%y"), name="CCCD")
    with frozen(vn(2026, 3, 2, 9, 0)):
        done = at_last_step(w)
        disliked = at_last_step(w)
        paper = accepted(w, return_method="counter")
        restarted = accepted(w)
        accepted(w, attachments=[services.Attachment(wallet_item=item, paper=w.paper)])
        withdrawn = accepted(w)
        services.receive_counter_dossier(
            officer=w.officer, procedure=w.procedure, applicant_name="C", form_data={"ho_ten": "Cc"}
        )
    with frozen(vn(2026, 3, 3, 9, 0)):
        services.approve(official=w.leader, dossier=done)
        services.rate(user=w.citizen, dossier=done, score=4)
    with frozen(vn(2026, 3, 12, 9, 0)):
        services.approve(official=w.leader, dossier=disliked)
        services.rate(user=w.citizen, dossier=disliked, score=2)
        services.withdraw(user=w.citizen, dossier=withdrawn)
    supplement(w, restarted, vn(2026, 3, 3, 9, 0), vn(2026, 3, 5, 9, 0))
    finish(w, paper, vn(2026, 3, 6, 9, 0), draft=False)
    with frozen(vn(2026, 3, 30, 9, 0)):
        accepted(w)
    for month in (3, 4):
        period = {**MARCH, "end": date(2026, month, 30 if month == 4 else 31)}
        fast = index766.compute(**period)
        slow = index766.compute(**period, fast=False)
        for agency in (w.province, w.dept):
            a, b = fast.for_agency(agency.pk), slow.for_agency(agency.pk)
            for group_a, group_b in zip(a.groups, b.groups, strict=True):
                for x, y in zip(group_a.indicators, group_b.indicators, strict=True):
                    assert (x.code, x.numerator, x.denominator, x.value) == (
                        y.code,
                        y.numerator,
                        y.denominator,
                        y.value,
                    ), (month, agency.code, x.code)


def test_cached_drilldown_pages_match_the_list_across_cache_chunks(monkeypatch):
    """A page reads only its chunk of the cached list; a chunk the cache dropped is
    rebuilt; the items are the ones `drilldown` found, in order."""
    from types import SimpleNamespace

    from django.core.cache import cache

    full = [index766.LostItem(id=n, code=f"HS-{n}", reason=f"lý do {n}") for n in range(7)]
    built = []

    def drilldown(**kwargs):
        built.append(kwargs)
        return full

    monkeypatch.setattr(index766, "_CHUNK", 3)
    monkeypatch.setattr(index766, "drilldown", drilldown)
    cache.clear()
    agency = SimpleNamespace(pk=42)
    items = index766.cached_drilldown(code="2.1", agency=agency, **MARCH_PERIOD)
    assert len(items) == 7 and len(built) == 1
    assert [i.code for i in items[2:6]] == ["HS-2", "HS-3", "HS-4", "HS-5"]
    assert items[-1].reason == "lý do 6" and items[7:9] == []
    again = index766.cached_drilldown(code="2.1", agency=agency, **MARCH_PERIOD)
    assert [i.id for i in again[0:7]] == list(range(7)) and len(built) == 1  # from the cache
    cache.delete(f"{again.key}:1")
    dropped = index766.cached_drilldown(code="2.1", agency=agency, **MARCH_PERIOD)
    assert [i.id for i in dropped[3:6]] == [3, 4, 5] and len(built) == 2
