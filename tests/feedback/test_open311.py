"""Open311 GeoReport v2 conformance, every endpoint in XML and JSON, errors as the spec says."""

from __future__ import annotations

import json
from xml.etree import ElementTree as ET

import pytest

from tinhso.feedback import services
from tinhso.feedback.models import Report

from .conftest import A_POINT, OUTSIDE, submit

BASE = "/api/v1/feedback/open311/v2/"


@pytest.fixture
def key(world) -> str:
    _row, key = services.issue_open311_key(actor=world.admin, name="Ứng dụng thử")
    return key


def xml(response) -> ET.Element:
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)


def js(response):
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(response.content)


def test_discovery_advertises_xml_and_json(client, world):
    root = xml(client.get(BASE + "discovery.xml"))
    assert root.tag == "discovery"
    assert [f.text for f in root.iter("format")] == ["text/xml", "application/json"]
    data = js(client.get(BASE + "discovery.json"))
    assert data["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"


def test_services_and_service_definitions(client, world):
    root = xml(client.get(BASE + "services.xml"))
    assert root.tag == "services"
    services_xml = {s.findtext("service_code"): s for s in root.findall("service")}
    assert services_xml["giao-thong"].findtext("metadata") == "true"
    assert services_xml["rac-thai"].findtext("metadata") == "false"
    assert services_xml["rac-thai"].findtext("type") == "realtime"
    rows = js(client.get(BASE + "services.json"))
    assert {r["service_code"] for r in rows} == {"rac-thai", "giao-thong", "chay-no"}
    definition = xml(client.get(BASE + "services/giao-thong.xml"))
    assert definition.tag == "service_definition"
    attribute = definition.find("attributes/attribute")
    assert attribute.findtext("code") == "muc_do"
    assert attribute.findtext("datatype") == "singlevaluelist"
    assert [v.findtext("key") for v in attribute.findall("values/value")] == ["nhe", "nang"]
    data = js(client.get(BASE + "services/giao-thong.json"))
    assert data["attributes"][0]["values"][1] == {"key": "nang", "name": "Nặng"}
    missing = client.get(BASE + "services/khong-co.json")
    assert missing.status_code == 404
    assert js(missing)[0]["code"] == "service_not_found"


def _post(client, fmt="xml", **fields):
    return client.post(BASE + f"requests.{fmt}", fields)


def test_post_request_needs_a_valid_key_and_creates_the_report(client, world, key):
    no_key = _post(
        client, service_code="rac-thai", lat=A_POINT[0], long=A_POINT[1], description="Rác"
    )
    assert no_key.status_code == 403
    error = xml(no_key)
    assert error.tag == "errors" and error.findtext("error/code") == "api_key_required"
    bad = _post(client, "json", api_key="sai", service_code="rac-thai", description="Rác")
    assert bad.status_code == 403 and js(bad)[0]["code"] == "api_key_invalid"
    assert Report.objects.count() == 0

    response = _post(
        client,
        api_key=key,
        jurisdiction_id="thu.example",
        service_code="giao-thong",
        lat=A_POINT[0],
        long=A_POINT[1],
        description="Ổ gà lớn",
        email="nguoidan@example.org",
        first_name="Lê",
        last_name="Chi",
        **{"attribute[muc_do]": "nang"},
    )
    assert response.status_code == 201
    row = xml(response).find("request")
    code = row.findtext("service_request_id")
    report = Report.objects.get(code=code)
    assert report.source == "open311" and report.attributes == {"muc_do": "nang"}
    assert report.reporter_email == "nguoidan@example.org" and report.reporter_name == "Lê Chi"
    token = row.findtext("token")
    assert js(client.get(BASE + f"tokens/{token}.json")) == [
        {"service_request_id": code, "token": token}
    ]
    assert client.get(BASE + "tokens/khong-co.xml").status_code == 404


@pytest.mark.parametrize(
    "fields, status, code",
    [
        ({"jurisdiction_id": "khac.example"}, 404, "jurisdiction_not_found"),
        ({"service_code": ""}, 400, "service_code_required"),
        ({"service_code": "khong-co"}, 404, "service_not_found"),
        ({"lat": OUTSIDE[0], "long": OUTSIDE[1]}, 400, "feedback_outside_province"),
        ({"description": "<b>HTML</b>"}, 400, "feedback_html_not_allowed"),
        ({"description": "x" * 4001}, 400, "feedback_description_too_long"),
        ({"attribute[muc_do]": "rat-nang"}, 400, "feedback_invalid_attribute"),
    ],
)
def test_bad_post_requests_answer_errors_and_write_nothing(
    client, world, key, fields, status, code
):
    body = {
        "api_key": key,
        "service_code": "giao-thong",
        "lat": A_POINT[0],
        "long": A_POINT[1],
        "description": "Ổ gà",
        **fields,
    }
    for fmt in ("xml", "json"):
        response = client.post(BASE + f"requests.{fmt}", body)
        assert response.status_code == status
        if fmt == "json":
            assert js(response) == [{"code": code, "description": js(response)[0]["description"]}]
        else:
            assert xml(response).findtext("error/code") == code
    assert Report.objects.count() == 0


def test_get_requests_filters_and_the_90_day_window(client, world):
    a = submit(world)
    b = submit(world, category="giao-thong")
    services.act(actor=world.centre_officer, report=b, action="reject", reason="Không rõ")
    c = submit(world, category="giao-thong")
    c = services.act(actor=world.centre_officer, report=c, action="accept", note="")
    services.act(actor=world.handler_dept, report=c, action="answer", text="Đã vá.")
    root = xml(client.get(BASE + "requests.xml"))
    assert root.tag == "service_requests"
    codes = [r.findtext("service_request_id") for r in root.findall("request")]
    assert set(codes) == {a.code, c.code}  # rejected ones are not public
    closed = js(client.get(BASE + "requests.json", {"status": "closed"}))
    assert [r["service_request_id"] for r in closed] == [c.code]
    assert closed[0]["status_notes"] == "Đã vá."
    assert closed[0]["agency_responsible"] == "Sở Xây dựng"
    assert closed[0]["requested_datetime"].endswith("+07:00")
    by_code = js(client.get(BASE + "requests.json", {"service_code": "rac-thai"}))
    assert [r["service_request_id"] for r in by_code] == [a.code]
    by_id = js(client.get(BASE + "requests.json", {"service_request_id": f"{a.code},{c.code}"}))
    assert {r["service_request_id"] for r in by_id} == {a.code, c.code}
    too_wide = client.get(
        BASE + "requests.xml",
        {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"},
    )
    assert too_wide.status_code == 400
    assert xml(too_wide).findtext("error/code") == "date_window_too_large"
    old = js(
        client.get(
            BASE + "requests.json",
            {"start_date": "2020-01-01T00:00:00+07:00", "end_date": "2020-02-01T00:00:00+07:00"},
        )
    )
    assert old == []
    bad_date = client.get(BASE + "requests.json", {"start_date": "hôm qua"})
    assert bad_date.status_code == 400 and js(bad_date)[0]["code"] == "invalid_date"


def test_one_request_in_xml_and_json_without_the_reporters_identity(client, world):
    report = submit(world)
    root = xml(client.get(BASE + f"requests/{report.code}.xml"))
    row = root.find("request")
    assert row.findtext("status") == "open"
    assert float(row.findtext("lat")) == pytest.approx(A_POINT[0])
    data = js(client.get(BASE + f"requests/{report.code}.json"))
    assert data[0]["service_code"] == "rac-thai"
    assert "Nguyễn Văn An" not in client.get(BASE + f"requests/{report.code}.json").content.decode()
    assert client.get(BASE + "requests/PA000.json").status_code == 404
    assert client.get(BASE + "requests.csv").status_code == 400
