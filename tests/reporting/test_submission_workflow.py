"""Definitions as data, submission by the department's reporting officer with validation
and last period's value, leader approval with a PAdES signature, the late flag, return for
correction with its history, period locks, templates changing mid-year, the roll-up."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from tinhso.core.errors import Conflict, InvalidTransition, PermissionDenied, ValidationFailed
from tinhso.reporting import exports, selectors, services
from tinhso.reporting.models import Aggregation, Submission, ValueType
from tinhso.reporting.services import IndicatorSpec as Spec

pytestmark = pytest.mark.django_db

SPECS = [
    Spec("KT01", "Thu ngân sách trên địa bàn", "triệu đồng", ValueType.INTEGER, Aggregation.SUM, 0),
    Spec(
        "KT02",
        "Tỷ lệ hồ sơ trực tuyến",
        "%",
        ValueType.PERCENT,
        Aggregation.WEIGHTED,
        weight_code="KT03",
    ),
    Spec("KT03", "Số hồ sơ tiếp nhận", "hồ sơ", ValueType.INTEGER, Aggregation.SUM, 0),
    Spec("KT04", "Số cán bộ", "người", ValueType.INTEGER, Aggregation.NONE, 0, required=False),
]


@pytest.fixture
def definition(province):
    from tinhso.accounts.models import User

    admin = User.objects.get(username="quantri")
    return services.create_definition(
        actor=admin,
        code="ktxh-thang",
        title="Báo cáo tình hình kinh tế - xã hội hằng tháng",
        receiver=province.province,
        reporter_levels=["department"],
        deadline_working_days=3,
        indicators=SPECS,
        valid_from=date(2025, 12, 15),
    )


def fill(w, definition, key="2026-01", user=None, agency=None, **values):
    return services.save_report(
        actor=user or w.reporter,
        definition=definition,
        agency=agency or w.dept,
        period_key=key,
        values=values or {"KT01": "1200", "KT02": "50,5", "KT03": "100"},
        narrative="Tình hình ổn định.",
    )


def test_definition_names_its_reporters_by_level(definition, province):
    assert definition.code == "KTXH-THANG"
    names = [a.name for a in selectors.reporting_agencies(definition)]
    assert names == ["Sở Tư pháp", "Sở Xây dựng"]  # departments, not the commune


def test_officer_fills_leader_signs_receiver_returns_history_kept(definition, province):
    w = province
    sub = fill(w, definition)
    assert sub.state == "draft" and sub.values.count() == 3
    sub = services.send_for_approval(actor=w.reporter, submission=sub)
    with pytest.raises(PermissionDenied):
        services.approve_and_submit(actor=w.reporter, submission=sub)
    sub = services.approve_and_submit(actor=w.leader, submission=sub)
    assert sub.state == "submitted" and sub.signed_sha256 and sub.is_late  # Jan 2026 is past
    from tinhso.signing.selectors import verify_pdf

    sub.signed_pdf.open("rb")
    reports = verify_pdf(sub.signed_pdf.read())
    sub.signed_pdf.close()
    assert len(reports) == 1 and reports[0].intact
    with pytest.raises(PermissionDenied):  # only the receiver returns a report
        services.return_for_correction(actor=w.reporter, submission=sub, reason="x")
    with pytest.raises(ValidationFailed) as err:
        services.return_for_correction(actor=w.office, submission=sub, reason="  ")
    assert err.value.code == "reason_required"
    sub = services.return_for_correction(actor=w.office, submission=sub, reason="Sai KT01")
    assert sub.state == "returned"
    sub = fill(w, definition, KT01="1300")
    actions = [e.action for e in selectors.history(sub)]
    assert actions == ["create", "send_for_approval", "approve", "return", "save"]
    assert [e.note for e in selectors.history(sub) if e.action == "return"] == ["Sai KT01"]


def test_values_checked_against_type_range_and_code_nothing_half_written(definition, province):
    w = province
    fill(w, definition)
    cases = [
        ({"KT01": "12.5"}, "value_not_integer"),
        ({"KT01": "abc"}, "value_not_a_number"),
        ({"KT01": "-1"}, "value_out_of_range"),
        ({"KT02": "101"}, "value_out_of_range"),
        ({"KT01": "5", "XX99": "1"}, "unknown_indicator"),
    ]
    for values, code in cases:
        with pytest.raises(ValidationFailed) as err:
            fill(w, definition, **values)
        assert err.value.code == code, values
    sub = Submission.objects.get()
    assert {v.indicator.code: v.value for v in sub.values.all()}["KT01"] == Decimal("1200")


def test_last_periods_value_is_shown_beside(definition, province):
    w = province
    fill(w, definition, "2026-01")
    sub = fill(w, definition, "2026-02", KT01="1500")
    rows = {r.indicator.code: r for r in selectors.value_rows(sub)}
    assert rows["KT01"].value == Decimal("1500") and rows["KT01"].previous == Decimal("1200")


def test_only_reporters_of_the_agency_and_of_a_reporting_agency(definition, province):
    w = province
    with pytest.raises(PermissionDenied):
        fill(w, definition, user=w.other_reporter)  # not in Sở Tư pháp
    with pytest.raises(ValidationFailed) as err:
        services.save_report(
            actor=w.office,
            definition=definition,
            agency=w.province,
            period_key="2026-01",
            values={"KT01": 1},
        )
    assert err.value.code == "agency_not_a_reporter"


def test_locked_period_refuses_submissions_and_changes(definition, province):
    w = province
    sub = fill(w, definition)
    services.lock_period(actor=w.office, definition=definition, period_key="2026-01")
    with pytest.raises(InvalidTransition) as err:
        fill(w, definition)
    assert err.value.code == "period_locked"
    with pytest.raises(InvalidTransition):
        services.send_for_approval(actor=w.reporter, submission=sub)
    assert services.allowed_actions(w.reporter, sub) == []


def test_on_time_submission_is_not_flagged_late(definition, province):
    from tinhso.reporting import periods

    w = province
    current = periods.period_containing(definition.frequency, timezone.localdate())
    sub = fill(w, definition, current)
    services.send_for_approval(actor=w.reporter, submission=sub)
    sub = services.approve_and_submit(actor=w.leader, submission=sub)
    assert not sub.is_late and sub.submitted_at <= sub.deadline
    assert fill(w, definition, "2026-01").deadline.date() == date(2026, 1, 19)


def test_template_change_mid_year_keeps_old_periods_on_the_old_template(definition, province):
    from tinhso.accounts.models import User

    w = province
    admin = User.objects.get(username="quantri")
    old = fill(w, definition, "2026-01")
    with pytest.raises(Conflict) as err:  # January already has reports
        services.publish_template(
            actor=admin, definition=definition, indicators=SPECS[:1], period_key="2026-01"
        )
    assert err.value.code == "template_in_use"
    new = [*SPECS[:1], Spec("KT05", "Vốn đầu tư công giải ngân", "tỷ đồng", ValueType.DECIMAL)]
    services.publish_template(
        actor=admin, definition=definition, indicators=new, period_key="2026-06"
    )
    old.refresh_from_db()
    assert [r.indicator.code for r in selectors.value_rows(old)] == ["KT01", "KT02", "KT03", "KT04"]
    june = fill(w, definition, "2026-06", KT01="10", KT05="2.5")
    assert [r.indicator.code for r in selectors.value_rows(june)] == ["KT01", "KT05"]
    with pytest.raises(ValidationFailed) as err:
        fill(w, definition, "2026-07", KT02="5")
    assert err.value.code == "unknown_indicator"


def _submit(w, sub, leader):
    services.send_for_approval(actor=sub.prepared_by, submission=sub)
    return services.approve_and_submit(actor=leader, submission=sub)


def test_roll_up_sum_weighted_and_not_additive(definition, province):
    w = province
    a = fill(w, definition, KT01="100", KT02="50", KT03="100", KT04="7")
    b = fill(
        w, definition, user=w.other_reporter, agency=w.other, KT01="300", KT02="80", KT03="300"
    )
    _submit(w, a, w.leader)
    assert {r.indicator.code: r.total for r in selectors.aggregate(definition, "2026-01")}[
        "KT01"
    ] == 100
    _submit(w, b, w.other_leader)
    rows = {r.indicator.code: r for r in selectors.aggregate(definition, "2026-01")}
    assert rows["KT01"].total == Decimal("400") and rows["KT01"].count == 2
    assert rows["KT02"].total == Decimal("72.5000")  # (50×100 + 80×300) / 400
    assert rows["KT04"].total is None  # not additive
    data = exports.national_adapter().aggregate(
        definition, "2026-01", list(rows.values()), w.province
    )
    assert data["format"] == "tinhso-httbc-1"
    assert data["indicators"][0] == {
        "code": "KT01",
        "name": "Thu ngân sách trên địa bàn",
        "unit": "triệu đồng",
        "value": "400",
        "aggregation": "sum",
        "disaggregation": "",
    }


def test_xlsx_matches_the_template(definition, province):
    from io import BytesIO

    from openpyxl import load_workbook

    w = province
    sub = fill(w, definition)
    ws = load_workbook(BytesIO(exports.submission_xlsx(sub))).active
    header = [c.value for c in ws[3]]
    assert header[:6] == exports.XLSX_HEADER
    codes = [ws.cell(row=r, column=2).value for r in range(4, ws.max_row + 1)]
    assert codes == [i.code for i in sub.template.rows.all()]
    assert ws.cell(row=4, column=7).value == 1200
