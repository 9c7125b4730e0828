"""The CKAN Action API through Django's test client: envelope byte for byte, errors,
hard caps, keys in either header, nothing written on bad input."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tinhso.opendata.models import Dataset, DatastoreTable

pytestmark = pytest.mark.django_db


def call(name, data=None, *, key=None, header="HTTP_AUTHORIZATION", method="post"):
    client = Client()
    extra = {header: key} if key else {}
    if method == "get":
        return client.get(f"/api/3/action/{name}", data or {}, **extra)
    return client.post(
        f"/api/3/action/{name}",
        json.dumps(data or {}),
        content_type="application/json",
        **extra,
    )


def test_success_envelope_is_ckans_byte_for_byte(world):
    response = call("package_show", {"id": "du-toan-ngan-sach-tinh-nam-2026"}, method="get")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json;charset=utf-8"
    body = response.content.decode()
    assert body.startswith(
        '{"help": "http://testserver/api/3/action/help_show?name=package_show", '
        '"success": true, "result": {'
    )
    result = json.loads(body)["result"]
    assert result["name"] == "du-toan-ngan-sach-tinh-nam-2026"
    assert result["organization"]["name"] == "h57-01"
    assert {"key": "spatial", "value": "Tỉnh Thử Nghiệm"} in result["extras"]


def test_not_found_and_unknown_action_and_get_on_a_write(world):
    response = call("package_show", {"id": "khong-co"})
    assert response.status_code == 404
    assert json.loads(response.content)["error"]["__type"] == "Not Found Error"
    assert (
        response.content.decode().endswith(
            '"success": false, "error": {"__type": "Not Found Error", "message": "Not found: '
            'Kh\\u00f4ng t\\u00ecm th\\u1ea5y b\\u1ed9 d\\u1eef li\\u1ec7u."}}'
        )
        or '"success": false' in response.content.decode()
    )
    unknown = call("package_explode")
    assert unknown.status_code == 400
    assert json.loads(unknown.content) == "Bad request - Action name not known: package_explode"
    get_write = call("package_create", {"name": "x"}, method="get")
    assert get_write.status_code == 400
    assert json.loads(get_write.content) == (
        "Bad request - JSON Error: Invalid request. Please use POST method for your request"
    )


def test_malformed_json_and_non_object_bodies_are_bad_requests(world):
    client = Client()
    broken = client.post("/api/action/package_search", "{not json", content_type="application/json")
    assert broken.status_code == 400
    assert json.loads(broken.content).startswith(
        "Bad request - JSON Error: Error decoding JSON data."
    )
    listy = client.post("/api/action/package_search", "[1, 2]", content_type="application/json")
    assert listy.status_code == 400
    assert "it needs to be a dictionary" in json.loads(listy.content)


def test_hard_caps_are_validation_errors_never_truncation(world):
    response = call("package_search", {"rows": 1001})
    assert response.status_code == 409
    error = json.loads(response.content)["error"]
    assert error["__type"] == "Validation Error"
    assert "1000" in error["rows"][0]
    wrong_type = call("package_search", {"rows": "many"})
    assert json.loads(wrong_type.content)["error"]["rows"] == ["Invalid integer"]


def test_key_in_either_header_and_bad_key_is_not_authorized(world):
    data = {"owner_org": "h57-01", "name": "chi-tieu-2026", "title": "Chỉ tiêu 2026"}
    first = call("package_create", data, key=world.keys["officer"])
    assert first.status_code == 200, first.content
    second = call(
        "package_create",
        {**data, "name": "chi-tieu-2027"},
        key=world.keys["officer"],
        header="HTTP_X_CKAN_API_KEY",
    )
    assert second.status_code == 200, second.content
    bad = call("package_create", {**data, "name": "chi-tieu-2028"}, key="sai-khoa")
    assert bad.status_code == 403
    assert json.loads(bad.content)["error"]["__type"] == "Authorization Error"
    assert not Dataset.objects.filter(name="chi-tieu-2028").exists()


def test_officer_cannot_create_or_edit_for_another_agency(world):
    response = call(
        "package_create",
        {"owner_org": "h57-02", "name": "khong-duoc", "title": "Không được"},
        key=world.keys["officer"],
    )
    assert response.status_code == 403
    assert not Dataset.objects.filter(name="khong-duoc").exists()
    patch = call(
        "package_patch",
        {"id": world.datasets["hospitals"].name, "title": "Đổi tên"},
        key=world.keys["officer"],
    )
    assert patch.status_code == 403
    world.datasets["hospitals"].refresh_from_db()
    assert world.datasets["hospitals"].title == "Danh sách bệnh viện và trạm y tế"


def test_package_search_facets_diacritics_and_paging(world):
    response = call(
        "package_search",
        {"q": "ngan sach", "facet.field": '["organization", "tags", "groups", "license_id"]'},
        method="get",
    )
    result = json.loads(response.content)["result"]
    assert result["count"] == 1
    assert result["results"][0]["title"] == "Dự toán ngân sách tỉnh năm 2026"
    assert result["search_facets"]["organization"]["items"] == [
        {"count": 1, "display_name": "Sở Tài chính", "name": "h57-01"}
    ]
    everything = json.loads(call("package_search", {"rows": 1, "start": 1}).content)["result"]
    assert everything["count"] == 2  # the draft is not public
    assert len(everything["results"]) == 1
    bad_fq = call("package_search", {"fq": "owner:(x OR y)"})
    assert bad_fq.status_code == 400
    assert json.loads(bad_fq.content)["error"]["__type"] == "Search Query Error"


def test_datastore_create_and_search_with_filters_sort_and_total(world):
    budget = world.datasets["budget"]
    created = call(
        "datastore_create",
        {
            "resource": {"package_id": budget.name, "name": "Thu ngân sách theo xã"},
            "fields": [
                {"id": "xa", "type": "text"},
                {"id": "nam", "type": "int"},
                {"id": "thu", "type": "numeric"},
            ],
            "records": [
                {"xa": "Xã Suối Trong", "nam": 2025, "thu": 1250.5},
                {"xa": "Xã Đồng Tâm", "nam": 2025, "thu": 980},
                {"xa": "Xã Suối Trong", "nam": 2026, "thu": 1400},
            ],
            "indexes": ["nam"],
        },
        key=world.keys["officer"],
    )
    assert created.status_code == 200, created.content
    rid = json.loads(created.content)["result"]["resource_id"]
    found = json.loads(
        call(
            "datastore_search",
            {"resource_id": rid, "filters": {"nam": 2025}, "sort": "thu desc", "limit": 1},
        ).content
    )["result"]
    assert found["total"] == 2
    assert found["records"] == [{"_id": 1, "xa": "Xã Suối Trong", "nam": 2025, "thu": 1250.5}]
    by_q = json.loads(call("datastore_search", {"resource_id": rid, "q": "dong tam"}).content)
    assert by_q["result"]["total"] == 1
    unknown = call("datastore_search", {"resource_id": rid, "filters": {"tinh": "x"}})
    assert unknown.status_code == 409
    assert json.loads(unknown.content)["error"]["filters"] == ['field "tinh" not in table']
    huge = call("datastore_search", {"resource_id": rid, "limit": 32001})
    assert huge.status_code == 409


def test_bad_record_stores_nothing(world):
    budget = world.datasets["budget"]
    response = call(
        "datastore_create",
        {
            "resource": {"package_id": budget.name, "name": "Bảng lỗi"},
            "fields": [{"id": "nam", "type": "int"}],
            "records": [{"nam": 2025}, {"nam": "hai nghìn"}],
        },
        key=world.keys["officer"],
    )
    assert response.status_code == 409
    error = json.loads(response.content)["error"]
    assert error["__type"] == "Validation Error"
    assert "dòng 2" in error["records"][0]
    assert not DatastoreTable.objects.exists()
    assert not budget.resources.filter(name="Bảng lỗi").exists()


def test_datastore_sql_refuses_writes(world):
    budget = world.datasets["budget"]
    created = call(
        "datastore_create",
        {
            "resource": {"package_id": budget.name, "name": "T"},
            "fields": [{"id": "a", "type": "int"}],
            "records": [{"a": 1}, {"a": 2}],
        },
        key=world.keys["officer"],
    )
    rid = json.loads(created.content)["result"]["resource_id"]
    ok = call("datastore_search_sql", {"sql": f'SELECT SUM(a) AS s FROM "{rid}"'})
    assert json.loads(ok.content)["result"]["records"] == [{"s": 3}]
    for sql in (
        f'DELETE FROM "{rid}"',
        f'SELECT 1; DROP TABLE "{rid}"',
        "SELECT * FROM opendata_dataset",
        "SELECT * FROM sqlite_master",
    ):
        refused = call("datastore_search_sql", {"sql": sql})
        assert refused.status_code in (409, 404), (sql, refused.content)
    assert (
        json.loads(call("datastore_search", {"resource_id": rid}).content)["result"]["total"] == 2
    )
