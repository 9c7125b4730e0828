"""The pages: the report form with last period's value, the officer → leader → receiver
flow through the page, the assembled report and its exports, the index with its
drill-down, the KPIs and the chairman's page (charts from the vendored Chart.js)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.urls import reverse

from tinhso.accounts.middleware import SESSION_KEY
from tinhso.accounts.models import User
from tinhso.onestop.services.clock import frozen
from tinhso.reporting import services
from tinhso.reporting.models import Aggregation, Submission, ValueType
from tinhso.reporting.services import IndicatorSpec as Spec

from .conftest import accepted, vn

pytestmark = pytest.mark.django_db


def login(client, user) -> None:
    client.force_login(user)
    if user.needs_second_factor:
        session = client.session
        session[SESSION_KEY] = True
        session.save()


@pytest.fixture
def definition(province):
    admin = User.objects.get(username="quantri")
    return services.create_definition(
        actor=admin,
        code="KTXH",
        title="Báo cáo kinh tế - xã hội",
        receiver=province.province,
        reporter_levels=["department"],
        indicators=[
            Spec("A1", "Thu ngân sách", "triệu đồng", ValueType.INTEGER, Aggregation.SUM, 0),
            Spec("A2", "Tỷ lệ", "%", ValueType.PERCENT, Aggregation.AVERAGE),
        ],
        valid_from=date(2025, 12, 15),
    )


def test_officer_fills_leader_signs_province_sees_the_value(client, definition, province):
    w = province
    url = reverse("reporting:report", args=["KTXH", "2026-01", w.dept.code])
    login(client, w.reporter)
    page = client.get(url)
    assert page.status_code == 200 and b'name="v_A1"' in page.content
    bad = client.post(url, {"action": "save", "v_A1": "1,5", "v_A2": "20"})
    assert bad.status_code == 400 and "số nguyên" in bad.content.decode()
    assert not Submission.objects.exists()
    assert client.post(url, {"action": "save", "v_A1": "1500", "v_A2": "20"}).status_code == 302
    client.post(url, {"action": "send_for_approval"})
    login(client, w.leader)
    assert "Ký duyệt và gửi báo cáo" in client.get(url).content.decode()
    assert client.post(url, {"action": "approve"}).status_code == 302
    sub = Submission.objects.get()
    assert sub.state == "submitted" and sub.signed_sha256
    pdf = client.get(reverse("reporting:report_file", args=["KTXH", "2026-01", w.dept.code, "pdf"]))
    assert pdf.status_code == 200
    login(client, w.chairman)
    agg = client.get(reverse("reporting:aggregate", args=["KTXH", "2026-01"]))
    assert 'data-testid="total-A1">1500<' in agg.content.decode()
    data = json.loads(
        client.get(
            reverse("reporting:aggregate", args=["KTXH", "2026-01"]) + "?format=json"
        ).content
    )
    assert data["indicators"][0]["value"] == "1500"
    xlsx = client.get(reverse("reporting:aggregate", args=["KTXH", "2026-01"]) + "?format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_dashboards_render_for_the_chairman(client, definition, province):
    w = province
    with frozen(vn(2026, 3, 2, 9, 0)):
        dossier = accepted(w)
    login(client, w.chairman)
    for name in ("home", "definitions", "index", "kpis", "leadership"):
        response = client.get(reverse(f"reporting:{name}") + "?year=2026&month=3")
        assert response.status_code == 200, name
    body = client.get(reverse("reporting:index") + "?year=2026&month=3").content.decode()
    assert 'data-testid="indicator-2.1"' in body and "Chưa có dữ liệu" in body
    drill = client.get(reverse("reporting:index_drilldown", args=["2.1"]) + "?year=2026&month=3")
    assert dossier.code in drill.content.decode()
    leader = client.get(reverse("reporting:leadership") + "?year=2026&month=3").content.decode()
    assert "reporting/vendor/chartjs/chart.umd.js" in leader and 'id="leader-data"' in leader
    assert "<script>" not in leader.replace("<script src=", "")  # no inline script (CSP)
    kpi = client.get(
        reverse("reporting:kpi_drilldown", args=["online_full"]) + "?year=2026&month=3"
    )
    assert kpi.status_code == 200
    assert client.get(reverse("reporting:index_drilldown", args=["9.9"])).status_code == 404
    assert client.get(reverse("reporting:definition", args=["KTXH"])).status_code == 200


def test_citizens_do_not_see_the_dashboards(client, province):
    login(client, province.citizen)
    assert client.get(reverse("reporting:leadership")).status_code == 403


def test_api_index_kpis_periods_and_national_json(client, definition, province):
    w = province
    with frozen(vn(2026, 3, 2, 9, 0)):
        accepted(w)
    login(client, w.chairman)
    index = client.get("/api/v1/reporting/index-766?year=2026&month=3").json()
    assert index["agency"] == w.province.code
    by_code = {i["code"]: i for i in index["indicators"]}
    assert by_code["2.1"]["denominator"] == 1 and by_code["1.1"]["available"] is False
    lost = client.get("/api/v1/reporting/index-766/2.1/lost?year=2026&month=3").json()
    assert len(lost) == 1
    bad = client.get("/api/v1/reporting/index-766/9.9/lost?year=2026")
    assert bad.status_code == 400 and bad.json()["code"] == "unknown_766_indicator"
    assert client.get("/api/v1/reporting/index-766?year=1999").status_code == 400
    kpi = client.get("/api/v1/reporting/kpis?year=2026&month=3").json()
    assert {k["code"] for k in kpi} >= {"online_full", "work_records"}
    periods = client.get("/api/v1/reporting/definitions/KTXH/periods?year=2026").json()
    assert periods[1]["key"] == "2026-02" and periods[1]["deadline"].startswith("2026-02-25")
    national = client.get("/api/v1/reporting/definitions/KTXH/periods/2026-01/national").json()
    assert (
        national["format"] == "tinhso-httbc-1" and national["period"]["cutoff_end"] == "2026-01-14"
    )
    assert (
        client.get("/api/v1/reporting/definitions/KTXH/periods/2026-13/national").status_code == 400
    )
    assert client.get("/api/v1/reporting/definitions").json()[0]["code"] == "KTXH"
