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
