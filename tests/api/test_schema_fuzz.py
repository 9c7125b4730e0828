"""The OpenAPI schema is the contract: schemathesis generates requests from it for every
operation and sends them through the WSGI application, on SQLite, as a citizen, an official
and a platform administrator in turn (token authentication).

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
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.api.conftest import build_world
from tinhso.core.dates import DATE_MAX, DATE_MIN

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))
ROLES = ("citizen", "official", "admin")

# `make test` runs this module in the SQLite leg only (scripts/test-legs): the API is the
# same on both databases, and running the suite's longest test twice would double it.
pytestmark = [pytest.mark.django_db]


# Dates are published as `format: date` with a pattern for the years 1900–2099: draw them
# in that range (drawing any date and keeping 2 % of them would starve the run).
schemathesis.openapi.format("date", st.dates(DATE_MIN, DATE_MAX).map(str))

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


# Codes that mean "the request does not have the documented shape". A request generated
# from the schema must never get one of them: the schema and the input validation agree.
# (A schema-valid request may still be refused by a rule the schema cannot express, with
# that rule's own code: an unknown agency, a PDF that is not one, a closed dossier.)
SHAPE_CODES = {"validation_failed", "parse_error", "invalid_pagination", "unsupported_media_type"}


@schemathesis.check
def schema_valid_input_passes_input_validation(ctx, response, case):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 400:
        return None
    try:
        body = response.json()
    except ValueError:
        body = None
    code = body.get("code") if isinstance(body, dict) else None  # Open311 errors are lists
    if code in SHAPE_CODES:
        raise AssertionError(
            f"A request valid per the schema was refused as malformed ({code}): "
            f"{response.text[:500]}"
        )
    return None


CALLS: dict[str, int] = {}


@pytest.fixture(scope="module", autouse=True)
def _report_calls():
    """FUZZ_REPORT=1 prints how many requests each operation got (run with -s)."""
    yield
    if os.environ.get("FUZZ_REPORT"):
        for label, count in sorted(CALLS.items()):
            print(f"{count:5d}  {label}")
        print(f"{sum(CALLS.values()):5d}  requests over {len(CALLS)} operations")


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
    # The roles take turns: each generated request goes out once, as the next role, so that
    # every operation is called by all three while the run stays bounded.
    seen = CALLS.get(case.operation.label, 0)
    CALLS[case.operation.label] = seen + 1
    case.call_and_validate(
        headers=fuzz_world.headers(ROLES[seen % len(ROLES)]),
        additional_checks=[schema_valid_input_passes_input_validation],
        excluded_checks=[positive_data_acceptance],
    )
