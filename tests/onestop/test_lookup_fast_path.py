"""The public lookup's fast path (issue 18): a plain GET is answered without DRF's
machinery, and answers exactly what the DRF view answers — same bytes, same limits."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.cache import cache
from django.test import Client, RequestFactory

from tinhso.onestop.api import lookup_answer, plain_lookup_params
from tinhso.onestop.selectors import LookupResult
from tinhso.onestop.serializers import LookupSerializer
from tinhso.onestop.services.clock import frozen

from .conftest import accepted, vn

pytestmark = pytest.mark.django_db

LOOKUP = "/api/v1/onestop/lookup/"
# What axios sends: JSON is acceptable, but the fast path leaves such headers to DRF.
DRF_ACCEPT = "application/json, text/plain, */*"


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()
    yield
    cache.clear()


def _result(**changes) -> LookupResult:
    values = {
        "code": "000.00.15.H41-260302-0001",
        "tracking_code": "TD-260302-ABCDEF",
        "procedure": "Cấp bản sao trích lục hộ tịch",
        "status": 2,
        "status_label": "Được tiếp nhận",
        "status_detail": "",
        "step": "Tiếp nhận, chuyển hồ sơ",
        "due_at": vn(2026, 3, 9, 17, 0),
        "received_at": datetime(2026, 3, 2, 2, 0, tzinfo=UTC),
    }
    return LookupResult(**{**values, **changes})


@pytest.mark.parametrize(
    "changes",
    [{}, {"due_at": None, "received_at": None}, {"status": 5, "status_detail": "tạm dừng"}],
)
def test_the_fast_answer_is_what_the_lookup_serializer_writes(changes):
    result = _result(**changes)
    assert lookup_answer(result) == dict(LookupSerializer(result.__dict__).data)


def test_only_a_plain_get_takes_the_fast_path():
    rf = RequestFactory()
    plain = rf.get(LOOKUP, {"code": " td-1 ", "secret": "5678"})
    assert plain_lookup_params(plain) == ("td-1", "5678")  # trimmed as DRF trims
    assert plain_lookup_params(rf.get(LOOKUP, {"code": "A", "secret": "1"}, HTTP_ACCEPT="*/*"))
    for request in [
        rf.get(LOOKUP, {"code": "A", "secret": "1"}, HTTP_ACCEPT=DRF_ACCEPT),
        rf.get(LOOKUP, {"code": "A", "secret": "1"}, HTTP_ACCEPT="text/html"),
        rf.get(LOOKUP, {"code": "A", "secret": "1", "format": "json"}),
        rf.get(LOOKUP, {"code": "A"}),
        rf.get(LOOKUP, {"code": "  ", "secret": "1"}),
        rf.get(LOOKUP, {"code": "A" * 41, "secret": "1"}),
        rf.get(LOOKUP, {"code": "A\x00", "secret": "1"}),
        rf.get(LOOKUP, {"code": "Á", "secret": "1"}),
        rf.post(LOOKUP, {"code": "A", "secret": "1"}),
        rf.options(LOOKUP),
    ]:
        assert plain_lookup_params(request) is None, request


def _answer(response) -> tuple:
    headers = {k: v for k, v in response.headers.items() if k in ("Allow", "Content-Type")}
    return response.status_code, response.content, headers


def test_fast_and_drf_answers_are_the_same_bytes(world):
    with frozen(vn(2026, 3, 2, 9, 0)):
        dossier = accepted(world)
    client = Client(REMOTE_ADDR="203.0.113.60")
    for params in [
        {"code": dossier.code, "secret": "5678"},
        {"code": f" {dossier.tracking_code.lower()} ", "secret": "1234"},
        {"code": dossier.code, "secret": "0000"},
        {"code": "X-1-2", "secret": "5678"},
    ]:
        fast = client.get(LOOKUP, params)
        through_drf = client.get(LOOKUP, params, HTTP_ACCEPT=DRF_ACCEPT)
        assert _answer(fast) == _answer(through_drf), params
    assert fast.status_code == 404 and fast.json()["code"] == "lookup_not_found"


def test_the_fast_path_counts_against_the_same_limits(world, settings):
    settings.ONESTOP_LOOKUP_RATE = "3/min"
    client = Client(REMOTE_ADDR="203.0.113.61")
    statuses = [
        client.get(LOOKUP, {"code": f"X-{i}", "secret": "1111"}).status_code for i in range(2)
    ]
    statuses.append(
        client.get(LOOKUP, {"code": "X-9", "secret": "1111"}, HTTP_ACCEPT=DRF_ACCEPT).status_code
    )
    fast = client.get(LOOKUP, {"code": "X-3", "secret": "1111"})
    through_drf = client.get(LOOKUP, {"code": "X-4", "secret": "1111"}, HTTP_ACCEPT=DRF_ACCEPT)
    assert statuses == [404, 404, 404]
    assert fast.status_code == through_drf.status_code == 429
    assert fast.content == through_drf.content
    assert fast.json()["code"] == "throttled"
    assert 1 <= int(fast["Retry-After"]) <= 60 and 1 <= int(through_drf["Retry-After"]) <= 60


def test_wrong_digits_on_one_code_are_limited_on_the_fast_path_too(world, settings):
    settings.ONESTOP_LOOKUP_CODE_RATE = "2/day"
    dossier = accepted(world)
    answers = [
        Client(REMOTE_ADDR=f"198.51.100.{i}").get(LOOKUP, {"code": dossier.code, "secret": "0000"})
        for i in range(3)
    ]
    right = Client(REMOTE_ADDR="198.51.100.9").get(LOOKUP, {"code": dossier.code, "secret": "5678"})
    assert [a.status_code for a in answers] == [404, 404, 429]
    assert answers[2].json()["code"] == right.json()["code"] == "rate_limited"
    assert right.status_code == 429  # the right digits too, once the code is over its limit


def test_the_answer_varies_by_language_only(world, client):
    """The lookup never reads the session (the second-factor check skips exempt paths
    before loading the user): its answer does not vary by cookie, only by language."""
    response = client.get(LOOKUP, {"code": "X-1-2", "secret": "5678"})
    assert response["Vary"] == "Accept-Language"
    assert response["Content-Language"] == "vi"


def test_the_lookup_is_resolved_first_and_still_named(world):
    from django.urls import resolve, reverse

    assert reverse("onestop-api-lookup") == LOOKUP
    assert resolve(LOOKUP).func.view_class.__name__ == "Lookup"


def _full_answer(response) -> tuple:
    headers = {k: v for k, v in response.headers.items() if k not in ("Date",)}
    return response.status_code, response.content, headers


def test_the_hot_path_skips_session_user_and_messages_and_answers_the_same(world, settings):
    """The lookup goes through the shorter middleware chain (HOT_PATHS): the request never
    gets a session, a user or messages, and the answer — body, status, every header
    (security, frame, content policy, language) — is what the full chain gives."""
    with frozen(vn(2026, 3, 2, 9, 0)):
        dossier = accepted(world)
    requests = [
        {"code": dossier.code, "secret": "5678"},
        {"code": "X-1-2", "secret": "5678"},
        {"code": dossier.code, "secret": "0000"},
    ]
    hot = Client(REMOTE_ADDR="203.0.113.70", HTTP_COOKIE="django_language=en")
    hot_answers = [hot.get(LOOKUP, params) for params in requests]
    request = hot_answers[0].wsgi_request
    assert not any(hasattr(request, name) for name in ("session", "user", "_messages", "htmx"))
    assert hot_answers[1]["Content-Language"] == "en"
    assert hot_answers[0]["X-Frame-Options"] == "DENY"
    assert "Content-Security-Policy" in hot_answers[0]
    assert hot_answers[0]["Content-Length"] == str(len(hot_answers[0].content))

    cache.clear()
    settings.HOT_PATHS = []
    full = Client(REMOTE_ADDR="203.0.113.70", HTTP_COOKIE="django_language=en")
    full_answers = [full.get(LOOKUP, params) for params in requests]
    assert hasattr(full_answers[0].wsgi_request, "session")
    assert [_full_answer(a) for a in hot_answers] == [_full_answer(a) for a in full_answers]


def test_a_database_fault_on_the_hot_path_is_the_503_answer(world, monkeypatch):
    from django.db import OperationalError

    from tinhso.onestop import selectors

    def down(**_kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(selectors, "lookup", down)
    response = Client(REMOTE_ADDR="203.0.113.71").get(LOOKUP, {"code": "X-1", "secret": "1"})
    assert response.status_code == 503
    assert response["Content-Type"].startswith("application/json")


def test_the_hot_path_still_refuses_a_host_it_does_not_serve(world):
    response = Client(REMOTE_ADDR="203.0.113.72", HTTP_HOST="evil.example").get(
        LOOKUP, {"code": "X-1", "secret": "1"}
    )
    assert response.status_code == 400
