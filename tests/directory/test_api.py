"""Directory API: tree, agency by either code, search, admin units, errors."""

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(people):
    client = APIClient()
    client.force_authenticate(people.planner)
    return client


def test_tree_from_a_root_to_a_depth(api, province):
    r = api.get("/api/v1/directory/agencies/tree", {"root": "H57", "depth": 1})
    assert r.status_code == 200
    [root] = r.json()
    assert root["code"] == "H57" and root["legacy_code"] == "000.00.00.H57"
    assert [c["code"] for c in root["children"]] == ["H57.03", "H57.19", "H57.40"]
    skhdt = root["children"][1]
    assert skhdt["children"] == [] and skhdt["has_more"] is True


def test_tree_of_everything_and_closed(api, province):
    from tinhso.directory.services import close_agency

    close_agency(actor=None, agency=province.hdnd)
    assert [n["code"] for n in api.get("/api/v1/directory/agencies/tree").json()] == ["H57"]
    r = api.get("/api/v1/directory/agencies/tree", {"include_closed": "true", "depth": 0})
    assert [n["code"] for n in r.json()] == ["H57", "K57"]


def test_tree_bad_parameters(api, province):
    r = api.get("/api/v1/directory/agencies/tree", {"depth": "abc"})
    assert r.status_code == 400 and r.json()["code"] == "validation_failed"
    r = api.get("/api/v1/directory/agencies/tree", {"root": "57!"})
    assert r.status_code == 400 and r.json()["code"] == "invalid_agency_code"
    r = api.get("/api/v1/directory/agencies/tree", {"root": "H11"})
    assert r.status_code == 404 and r.json()["code"] == "agency_not_found"


@pytest.mark.parametrize("code", ["H57.19", "h57.19", "000.00.19.H57"])
def test_agency_by_either_code(api, province, code):
    r = api.get(f"/api/v1/directory/agencies/{code}")
    assert r.status_code == 200
    body = r.json()
    assert body["code"] == "H57.19" and body["legacy_code"] == "000.00.19.H57"
    assert body["parent_code"] == "H57"
    assert body["ancestors"] == [
        {"code": "H57", "legacy_code": "000.00.00.H57", "name": "Ủy ban nhân dân tỉnh Thử Nghiệm"}
    ]
    assert body["org_units"] == [{"name": "Phòng Tổng hợp", "short_name": ""}]
    assert [e["kind"] for e in body["events"]] == ["created"]


def test_merged_agency_shows_successor_and_predecessors(api, province):
    from tinhso.directory.services import merge_agencies

    merge_agencies(actor=None, predecessors=[province.skhdt], successor=province.stc)
    old = api.get("/api/v1/directory/agencies/H57.19").json()
    assert old["status"] == "merged" and old["successor_code"] == "H57.03"
    new = api.get("/api/v1/directory/agencies/H57.03").json()
    assert [p["code"] for p in new["predecessors"]] == ["H57.19"]


@pytest.mark.parametrize(
    ("code", "status", "error"),
    [
        ("H11", 404, "agency_not_found"),
        ("000.00.00.H11", 404, "agency_not_found"),
        ("1.2", 400, "invalid_agency_code"),
        ("H57..1", 400, "invalid_agency_code"),
        ("000.01.00.H57", 400, "invalid_agency_code"),
    ],
)
def test_agency_errors(api, province, code, status, error):
    r = api.get(f"/api/v1/directory/agencies/{code}")
    assert r.status_code == status
    body = r.json()
    assert body["code"] == error and body["message"]


def test_search(api, province):
    r = api.get("/api/v1/directory/agencies", {"q": "so tai chinh"})
    assert r.status_code == 200
    assert [a["code"] for a in r.json()["results"]] == ["H57.03"]
    r = api.get("/api/v1/directory/agencies", {"q": "000.00.03.H57"})
    assert [a["code"] for a in r.json()["results"]] == ["H57.03"]
    r = api.get("/api/v1/directory/agencies")
    assert r.json()["count"] == 8


def test_admin_units(api, province):
    r = api.get("/api/v1/directory/admin-units", {"level": "commune"})
    assert [u["code"] for u in r.json()["results"]] == ["57001"]
    r = api.get("/api/v1/directory/admin-units", {"level": "village"})
    assert r.status_code == 400 and r.json()["code"] == "validation_failed"


def test_requires_authentication(province):
    r = APIClient().get("/api/v1/directory/agencies/H57")
    assert r.status_code in (401, 403)
    assert r.json()["code"] in ("not_authenticated", "authentication_failed")


def test_endpoints_are_in_the_schema(api):
    r = api.get("/api/schema/", {"format": "json"})
    paths = r.json()["paths"]
    for path in [
        "/api/v1/directory/agencies/tree",
        "/api/v1/directory/agencies/{code}",
        "/api/v1/directory/agencies",
        "/api/v1/directory/admin-units",
    ]:
        assert path in paths
    params = {p["name"] for p in paths["/api/v1/directory/agencies/tree"]["get"]["parameters"]}
    assert {"root", "depth"} <= params


def test_people_search_public_fields_only(api, people):
    r = api.get("/api/v1/directory/people", {"q": "nguyen van hung"})
    assert r.status_code == 200
    [row] = r.json()
    assert row["full_name"] == "Nguyễn Văn Hùng" and row["agency_code"] == "H57.03"
    assert row["position"] == "Giám đốc" and "phone" not in row
    r = api.get("/api/v1/directory/people", {"q": "x"})
    assert r.status_code == 400 and r.json()["code"] == "validation_failed"
