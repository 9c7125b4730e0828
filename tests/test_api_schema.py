"""The OpenAPI schema generates cleanly and validates; the docs page is self-contained."""

from __future__ import annotations

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def _generate():
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return schema, GENERATOR_STATS


def test_schema_generates_without_errors_or_warnings_and_validates():
    from drf_spectacular.validation import validate_schema

    schema, stats = _generate()
    assert not stats._error_cache, f"schema errors: {list(stats._error_cache)}"
    assert not stats._warn_cache, f"schema warnings: {list(stats._warn_cache)}"
    validate_schema(schema)  # raises on an invalid OpenAPI 3 document
    assert schema["openapi"].startswith("3.")


def test_me_endpoint_and_auth_schemes_are_documented():
    schema, _ = _generate()
    assert "/api/v1/me" in schema["paths"]
    me = schema["paths"]["/api/v1/me"]["get"]
    assert "200" in me["responses"]
    schemes = schema["components"]["securitySchemes"]
    assert {"tokenAuth", "cookieAuth"} <= set(schemes)


def test_schema_endpoint_serves_the_schema():
    response = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert b'"openapi"' in response.content


def test_docs_page_loads_only_local_assets():
    response = Client().get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    urls = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    assert urls, html
    external = [u for u in urls if re.match(r"^(https?:)?//", u)]
    assert not external, external
    assert not re.search(r"https?://(?!127\.0\.0\.1|localhost|testserver)", html), html


def test_error_codes_of_every_app_are_published_as_one_enum():
    from tinhso.core.errors import registered_error_codes

    schema, _ = _generate()
    published = set(schema["components"]["schemas"]["ErrorCode"]["enum"])
    enums = {enum.__name__: enum for enum in registered_error_codes()}
    for name in [
        "CoreErrorCode",
        "DirectoryErrorCode",
        "SigningErrorCode",
        "WorkdaysErrorCode",
        "AuditErrorCode",
        "DocumentErrorCode",
    ]:
        assert name in enums, sorted(enums)
        assert {str(member) for member in enums[name]} <= published, name
    assert {"not_found", "invalid_pagination", "agency_not_found", "invalid_pdf"} <= published


def test_every_operation_documents_its_error_answers_with_the_error_body():
    schema, _ = _generate()
    missing = []
    for path, operations in schema["paths"].items():
        if "/open311/" in path:
            continue  # GeoReport v2 prescribes its own error body: [{code, description}]
        for method, operation in operations.items():
            responses = operation["responses"]
            expected = {"400", "404"}
            if operation.get("security") and {} not in operation["security"]:
                expected |= {"401", "403"}
            if method in ("post", "put", "patch"):
                expected |= {"409"}
            for status in sorted(expected - set(responses)):
                missing.append(f"{method.upper()} {path} {status}")
            for status in expected & set(responses):
                body = responses[status].get("content", {}).get("application/json", {})
                if body.get("schema", {}).get("$ref") != "#/components/schemas/ApiError":
                    missing.append(f"{method.upper()} {path} {status} body")
    assert not missing, missing


def test_rate_limited_operations_document_429():
    schema, _ = _generate()
    for path in ["/api/v1/onestop/lookup/", "/api/v1/signing/verify"]:
        operation = schema["paths"][path].get("get") or schema["paths"][path].get("post")
        assert "429" in operation["responses"], path


def test_lists_are_documented_as_the_page_objects_they_return():
    schema, _ = _generate()
    components = schema["components"]["schemas"]
    for path in [
        "/api/v1/onestop/dossiers/",
        "/api/v1/onestop/procedures/",
        "/api/v1/audit/entries",
        "/api/v1/directory/agencies",
    ]:
        ref = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
        page = components[ref["schema"]["$ref"].rsplit("/", 1)[1]]
        assert {"count", "results"} <= set(page["properties"]), path
        names = {p["name"]: p for p in schema["paths"][path]["get"]["parameters"]}
        assert names["limit"]["schema"]["maximum"] == 200, path


def test_choice_filters_are_enums_and_nullable_outputs_are_marked():
    schema, _ = _generate()
    procedures = {
        p["name"]: p for p in schema["paths"]["/api/v1/onestop/procedures/"]["get"]["parameters"]
    }
    assert set(procedures["online_type"]["schema"]["enum"]) == {"full", "partial"}
    detail = schema["components"]["schemas"]["DossierDetail"]["properties"]
    assert detail["handling_agency"].get("nullable") is True
    assert detail["assignee"].get("nullable") is True
    audit = schema["components"]["schemas"]["AuditEntry"]["properties"]
    assert audit["agency_code"].get("nullable") is True
