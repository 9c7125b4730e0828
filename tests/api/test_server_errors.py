"""Item 8 of the hardening issue, as an attacker sends it: each request below used to be a
server error (500). The tests cover the class of input, over every operation concerned."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tinhso.core.pagination import MAX_LIMIT, MAX_OFFSET

pytestmark = pytest.mark.django_db

BAD_PAGES = [
    {"limit": "1e20"},
    {"limit": str(10**20)},
    {"limit": "-1"},
    {"limit": "0"},
    {"limit": "abc"},
    {"limit": str(MAX_LIMIT + 1)},
    {"offset": "1e23"},
    {"offset": str(10**23)},
    {"offset": "-5"},
    {"offset": "x"},
    {"offset": str(MAX_OFFSET + 1)},
]


def _schema() -> dict:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def _paginated_list_paths() -> list[str]:
    paths = []
    for path, operations in _schema()["paths"].items():
        get = operations.get("get")
        names = {p["name"] for p in (get or {}).get("parameters", [])}
        if names >= {"limit", "offset"} and "{" not in path:
            paths.append(path)
    return sorted(paths)


def _client(world, who: str = "admin") -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {world.tokens[who]}")
    return client


def _is_json_error(response, status: int, code: str | None = None) -> None:
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) >= {"code", "message"}, body
    if code is not None:
        assert body["code"] == code, body


def test_every_paginated_api_list_refuses_page_bounds_out_of_range(api_world):
    paths = _paginated_list_paths()
    # the lists the issue names are among them
    assert {"/api/v1/onestop/dossiers/", "/api/v1/audit/entries"} <= set(paths), paths
    client = _client(api_world)
    for path in paths:
        for params in BAD_PAGES:
            response = client.get(path, params)
            _is_json_error(response, 400, "invalid_pagination")
        assert client.get(path, {"limit": MAX_LIMIT, "offset": MAX_OFFSET}).status_code == 200


def test_html_lists_show_a_page_whatever_the_page_parameter(api_world):
    client = Client()
    client.force_login(api_world.citizen)
    for path in ["/onestop/thu-tuc/", "/onestop/ho-so-cua-toi/", "/onestop/kho-giay-to/"]:
        for value in ["1e20", str(10**30), "-1", "abc", "0", "2.5"]:
            response = client.get(path, {"page": value})
            assert response.status_code == 200, (path, value)


def test_document_search_page_survives_any_offset(api_world):
    from tinhso.core.pagination import page_params

    for raw in ["1e23", str(10**23), "-4", "x"]:
        assert page_params({"offset": raw}, strict=False).offset == 0


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/documents/registers/1.exe",
        "/api/v1/documents/registers/1.pdf\x0b",
        "/api/v1/documents/registers/1.xlsx%0d%0aX-Injected:%201",
        "/api/v1/documents/registers/1.PDF",
    ],
)
def test_register_export_with_another_format_is_a_json_404(api_world, path):
    _is_json_error(_client(api_world, "official").get(path), 404, "not_found")


@pytest.mark.parametrize(
    "path",
    [
        "/documents/registers/1.exe",
        "/documents/registers/1.pdf\x0b",
        "/onestop/quan-tri/thu-tuc/xuat.exe",
        "/onestop/quan-tri/thu-tuc/xuat.json\x0b",
    ],
)
def test_page_exports_with_another_format_are_a_404_page(api_world, path):
    response = Client().get(path)  # refused by the router, before any login
    # a 404, or (for the catalog) the slash-appended address of another page: never a file
    assert response.status_code in (301, 404), response.status_code
    assert "Content-Disposition" not in response


def test_deeply_nested_json_is_a_400_on_every_json_operation(api_world):
    schema = _schema()
    body = "[" * 100_000
    client = _client(api_world, "official")
    checked = 0
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            content = (operation.get("requestBody") or {}).get("content", {})
            if "application/json" not in content:
                continue
            url = path.replace("{uid}", str(api_world.objects["dossier"].uid))
            url = url.replace("{code}", "H57.01").replace("{id}", "1")
            url = url.replace("{session_id}", "e3e70682-c209-4cac-a29f-6fbed82c07cd")
            url = url.replace("{user_uid}", str(api_world.citizen.uid)).replace("{role}", "leader")
            response = client.generic(method.upper(), url, body, content_type="application/json")
            assert response.status_code in (400, 401, 403, 404), (
                method,
                url,
                response.content[:200],
            )
            if response.status_code == 400:
                _is_json_error(response, 400, "parse_error")
            checked += 1
    assert checked > 20


def test_nesting_just_within_the_bound_still_parses():
    from tinhso.core.api import MAX_JSON_DEPTH, loads_json

    deep_ok = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert loads_json(deep_ok) == eval(deep_ok)  # noqa: S307 (a literal of brackets)
    with pytest.raises(ValueError):
        loads_json("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1))
    with pytest.raises(ValueError):
        loads_json('{"a": NaN}')


def test_integers_beyond_the_column_are_a_validation_error(api_world):
    from tinhso.onestop import services

    officer = _client(api_world, "official")
    dossier = services.accept_dossier(
        officer=api_world.official, dossier=api_world.objects["dossier"]
    )
    base = f"/api/v1/onestop/dossiers/{dossier.uid}"
    for amount in [10**20, 2**63, -1]:
        response = officer.post(
            f"{base}/request-obligation/", {"amount_vnd": amount}, format="json"
        )
        _is_json_error(response, 400, "validation_failed")
        assert "amount_vnd" in response.json()["details"]
    response = officer.post(f"{base}/forward/", {"version": 10**20}, format="json")
    _is_json_error(response, 400, "validation_failed")

    from tests.api.conftest import pdf_file

    response = officer.post(
        "/api/v1/documents/incoming",
        {
            "file": pdf_file(),
            "agency": "H57.01",
            "sender_name": "UBND tỉnh",
            "number_notation": "1/QĐ-UBND",
            "issued_on": "2026-01-05",
            "doc_type": "qd",
            "subject": "Về việc thử",
            "page_count": str(10**20),
        },
        format="multipart",
    )
    _is_json_error(response, 400, "validation_failed")
    assert "page_count" in response.json()["details"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/documents/files/100000000000000000000000",
        "/api/v1/documents/registers/100000000000000000000000.pdf",
        "/api/v1/documents/assignments/100000000000000000000000/finish",
        "/documents/files/100000000000000000000000/",
        "/audit/100000000000000000000000/",
    ],
)
def test_ids_beyond_the_column_in_a_path_are_a_404(api_world, path):
    client = _client(api_world, "official")
    response = client.post(path, {}, format="json") if "finish" in path else client.get(path)
    assert response.status_code == 404, (path, response.status_code)


def test_every_integer_input_of_the_schema_is_bounded():
    schema = _schema()
    unbounded = []

    def walk(node, where):
        if isinstance(node, dict):
            if node.get("type") == "integer" and not node.get("readOnly"):
                bounds = node.get("minimum"), node.get("maximum")
                if None in bounds or bounds[1] > 2**63 - 1:
                    unbounded.append(where)
            for key, value in node.items():
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{where}/{i}")

    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                walk(parameter.get("schema", {}), f"{method} {path} ?{parameter['name']}")
    for name, component in schema["components"]["schemas"].items():
        if name.endswith("Request") or name in {"PatchedRequest"}:
            walk(component, name)
    assert not unbounded, unbounded


@pytest.mark.parametrize(
    ("path", "params", "code"),
    [
        ("/api/v1/onestop/statistics/", {"start": "2026-01-01", "end": "9999-12-31"}, None),
        ("/api/v1/onestop/statistics/", {"start": "9999-01-01", "end": "9999-12-31"}, None),
        ("/api/v1/onestop/statistics/", {"start": "0000-01-01", "end": "2026-01-01"}, None),
        ("/api/v1/onestop/statistics/", {"start": "1800-01-01", "end": "1800-02-01"}, None),
        ("/api/v1/documents/statistics", {"date_to": "9999-12-31"}, "validation_failed"),
        ("/api/v1/documents/statistics", {"date_from": "0000-01-01"}, "validation_failed"),
        ("/api/v1/documents/incoming", {"date_to": "9999-12-31"}, "validation_failed"),
        ("/api/v1/workdays/is-working-day", {"date": "9999-12-31"}, "invalid_date"),
        ("/api/v1/workdays/is-working-day", {"date": "0000-01-01"}, "invalid_date"),
        (
            "/api/v1/workdays/due-date",
            {"start": "9999-12-31T23:59:59-12:00", "days": "1"},
            "invalid_date",
        ),
        ("/api/v1/workdays/due-date", {"start": "0001-01-01T00:00:00+14:00", "days": "1"}, None),
        ("/api/v1/workdays/due-date", {"start": "2099-12-30", "days": "3650"}, None),
    ],
)
def test_absurd_dates_in_statistics_and_calendar_apis_are_a_clear_400(
    api_world, path, params, code
):
    response = _client(api_world, "admin").get(path, params)
    _is_json_error(response, 400, code or ("invalid_period" if "onestop" in path else None))
    if "statistics" in path:
        assert "2099" in response.json()["message"] or "details" in response.json()


@pytest.mark.parametrize(
    "path",
    [
        "/onestop/thong-ke/?start=2026-01-01&end=9999-12-31",
        "/onestop/thong-ke/?start=9999-01-01&end=9999-12-31",
        "/onestop/thong-ke.xlsx?start=9999-01-01&end=9999-12-31",
        "/onestop/so-theo-doi/?start=2026-01-01&end=9999-12-31",
        "/documents/statistics/?date_from=2026-01-01&date_to=9999-12-31",
    ],
)
def test_absurd_dates_on_statistics_pages_are_a_400_page_that_says_the_range(api_world, path):
    client = Client()
    client.force_login(api_world.admin)
    session = client.session
    from tinhso.accounts.middleware import SESSION_KEY

    session[SESSION_KEY] = True
    session.save()
    response = client.get(path)
    assert response.status_code == 400, (path, response.status_code)
    html = response.content.decode()
    assert "2099" in html, html[:2000]


@pytest.mark.parametrize("method", ["get", "post", "put", "delete", "patch"])
@pytest.mark.parametrize(
    "path", ["/api/v1/nothing-here", "/api/v1/onestop/nope/", "/api/x", "/api/v1/me/extra"]
)
def test_unknown_api_routes_answer_json_404(method, path):
    response = getattr(Client(), method)(path)
    _is_json_error(response, 404, "not_found")


def test_a_server_error_under_the_api_answers_json_and_a_page_answers_html(api_world, monkeypatch):
    from tinhso.accounts import api as accounts_api

    def boom(self, request):
        raise RuntimeError("a bug")

    monkeypatch.setattr(accounts_api.MeView, "get", boom)
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_world.tokens['citizen']}")
    response = client.get("/api/v1/me")
    _is_json_error(response, 500, "server_error")
    assert "a bug" not in response.content.decode()

    page = Client().get("/khong-co-trang-nay/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


def test_the_api_answers_json_even_to_a_browser(api_world):
    client = Client()
    for path in ["/api/v1/onestop/procedures/", "/api/v1/me", "/api/v1/onestop/dossiers/x/"]:
        response = client.get(path, HTTP_ACCEPT="text/html,application/xhtml+xml")
        assert response["Content-Type"].startswith("application/json"), path
