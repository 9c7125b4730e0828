"""The OpenAPI schema is the contract: schemathesis generates requests from it for every
operation and sends each one as a citizen, an official and a platform administrator
(token authentication) through the WSGI application, on SQLite.

It fails on any server error (5xx), any response that differs from the schema (body,
status code, content type, headers) and any request the schema calls invalid that the
API accepts. The run is bounded (fixed seed, a few examples per operation) so that the
whole leg takes a few minutes on two cores; FUZZ_EXAMPLES raises the bound locally.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, connection
from hypothesis import HealthCheck, Phase, settings

from tests.api.conftest import build_world

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))
ROLES = ("citizen", "official", "admin")

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "sqlite", reason="the schema fuzz leg runs on SQLite only"
    ),
]


CONFIG = schemathesis.config.SchemathesisConfig.from_dict(
    {"seed": 20260101, "generation": {"max-examples": EXAMPLES, "deterministic": True}}
)
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application(), config=CONFIG)


@pytest.fixture
def fuzz_world(db):
    # Requests run inside the test's transaction: keep Django from closing the connection
    # between requests, as its own test client does.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield build_world()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_within_its_schema_for_every_role(case, fuzz_world):
    for who in ROLES:
        case.call_and_validate(headers=fuzz_world.headers(who))
