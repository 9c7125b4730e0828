"""In a real browser: a department's reporting officer fills the monthly report (last
period's value beside), sends it to the leader, the leader approves and signs it, and the
province's assembled report shows the value; the chairman's page draws its charts with
the vendored Chart.js."""

from __future__ import annotations

import re
from datetime import date

import pytest
from tests.browser.test_documents_flow import page_for, shoot
from tests.reporting.conftest import province, world  # noqa: F401  (fixtures)

from tinhso.reporting import services
from tinhso.reporting.models import Aggregation, Submission, ValueType
from tinhso.reporting.services import IndicatorSpec as Spec


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_officer_submits_leader_signs_province_aggregate_shows_it(
    chromium,
    live_server,
    province,  # noqa: F811
):
    from tinhso.accounts.models import User

    w = province
    admin = User.objects.get(username="quantri")
    services.create_definition(
        actor=admin,
        code="KTXH",
        title="Báo cáo kinh tế - xã hội hằng tháng",
        receiver=w.province,
        reporter_levels=["department"],
        indicators=[
            Spec("KT01", "Thu ngân sách", "triệu đồng", ValueType.INTEGER, Aggregation.SUM, 0),
        ],
        valid_from=date(2025, 12, 15),
    )
    base = live_server.url
    officer = page_for(chromium, base, w.reporter)
    officer.goto(f"{base}/reporting/che-do/KTXH/2026-01/{w.dept.code}/")
    officer.get_by_label("Thu ngân sách").fill("2.5")
    officer.get_by_role("button", name="Lưu số liệu").click()
    officer.get_by_text("phải là số nguyên").wait_for()  # refused, nothing written
    assert not Submission.objects.exists()
    officer.get_by_label("Thu ngân sách").fill("2500")
    officer.get_by_label("Thuyết minh", exact=True).fill("Thu ngân sách đạt kế hoạch.")
    officer.get_by_role("button", name="Lưu số liệu").click()
    officer.get_by_text("Đã lưu số liệu báo cáo.").wait_for()
    officer.get_by_role("button", name="Trình lãnh đạo ký duyệt").click()
    officer.get_by_text("Chờ lãnh đạo ký duyệt").first.wait_for()
    shoot(officer, "reporting-officer")
    leader = page_for(chromium, base, w.leader)
    leader.goto(f"{base}/reporting/che-do/KTXH/2026-01/{w.dept.code}/")
    leader.get_by_role("button", name="Ký duyệt và gửi báo cáo").click()
    leader.get_by_text("Đã ký số và gửi báo cáo.").wait_for()
    assert leader.get_by_role("link", name="Báo cáo đã ký số (PDF)").is_visible()
    assert Submission.objects.get().signed_sha256
    chairman = page_for(chromium, base, w.chairman)
    chairman.goto(f"{base}/reporting/che-do/KTXH/2026-01/tong-hop/")
    assert chairman.get_by_test_id("total-KT01").inner_text() == "2500"
    shoot(chairman, "reporting-aggregate")
    errors: list[str] = []
    chairman.on("pageerror", lambda exc: errors.append(str(exc)))
    chairman.goto(f"{base}/reporting/lanh-dao/?year=2026")
    chairman.wait_for_function("window.Chart !== undefined")
    assert chairman.locator("canvas#kpi-trend").is_visible()
    assert re.search(r"/100", chairman.get_by_test_id("leader-index").inner_text())
    shoot(chairman, "reporting-leadership")
    assert errors == []
