"""Calls through the real data plane (its HTTP server) to a real provider HTTP server."""

from __future__ import annotations

import requests

from tinhso.gateway import services
from tinhso.gateway.messagelog import verify_log
from tinhso.gateway.models import MessageLog

from .conftest import ProviderHandler


def call(gw, path, key=None, method="GET", **kwargs):
    headers = kwargs.pop("headers", {})
    if key:
        headers["X-Api-Key"] = key
    return requests.request(method, gw.url + path, headers=headers, timeout=5, **kwargs)


def test_a_granted_call_reaches_the_provider_with_correlation_headers_and_is_logged(
    published, gateway
):
    gateway.reload()
    response = call(
        gateway,
        "/datdai/parcels/parcels/42?full=1",
        published.key,
        headers={"X-Tinhso-Issue": "H57.03-260101-0001", "X-Request-Id": "abc-123"},
    )
    assert response.status_code == 200
    assert response.json() == {"path": "/parcels/42?full=1", "client": "ketoan"}
    assert response.headers["X-Request-Id"] == "abc-123"
    assert response.headers["Server"] == "tinhso-gateway"  # one Server, one Date: the gateway's
    assert "," not in response.headers["Date"].split(" ", 1)[1]
    seen = ProviderHandler.seen[-1]
    assert seen["headers"]["X-Tinhso-Issue"] == "H57.03-260101-0001"
    assert seen["headers"]["X-Request-Id"] == "abc-123"
    assert "X-Api-Key" not in seen["headers"]  # the consumer's key never reaches the provider

    posted = call(gateway, "/datdai/parcels/parcels", published.key, "POST", data=b'{"a":1}')
    assert posted.status_code == 201 and posted.json() == {"echo": '{"a":1}'}

    assert gateway.ingest().records == 2
    first, second = MessageLog.objects.order_by("seq")
    assert (first.consumer_code, first.provider_code, first.service_code) == (
        "ketoan",
        "datdai",
        "parcels",
    )
    assert first.endpoint == "GET /parcels/{id}" and first.issue == "H57.03-260101-0001"
    assert first.result == "ok" and first.status_code == 200 and first.provider_ms is not None
    assert second.request_size == 7 and second.endpoint == "POST /parcels"
    import hashlib

    assert second.request_hash == hashlib.sha256(b'{"a":1}').hexdigest()
    assert second.response_hash == hashlib.sha256(posted.content).hexdigest()
    assert verify_log().ok


def test_an_issue_in_vietnamese_reaches_the_provider_and_the_log(published, gateway):
    gateway.reload()
    issue = "Hồ sơ đất đai H57.03-260101-0001"
    response = call(
        gateway,
        "/datdai/parcels/parcels/7",
        published.key,
        headers={"X-Tinhso-Issue": issue.encode()},
    )
    assert response.status_code == 200
    assert gateway.ingest().records == 1
    assert MessageLog.objects.get().issue == issue


def _refusal(response, code, status, source):
    body = response.json()
    assert response.status_code == status, body
    assert body["code"] == code
    assert body["source"] == source
    assert body["message"] and body["request_id"] == response.headers["X-Request-Id"]
    assert response.headers["X-Tinhso-Error"] == code
    return body


def test_refusals_have_one_shape_a_stable_code_and_a_log_record(org, published, gateway):
    gateway.reload()
    _refusal(
        call(gateway, "/datdai/parcels/parcels"), "gateway_missing_credentials", 401, "consumer"
    )
    _refusal(
        call(gateway, "/datdai/parcels/parcels", "tsk_wrong_key"),
        "gateway_invalid_key",
        401,
        "consumer",
    )
    _refusal(
        call(gateway, "/datdai/nope/x", published.key), "gateway_unknown_service", 404, "consumer"
    )
    _refusal(
        call(gateway, "/datdai/parcels/unknown", published.key),
        "gateway_unknown_endpoint",
        404,
        "consumer",
    )
    body = _refusal(
        call(gateway, "/datdai/parcels/parcels", published.other_key),
        "gateway_access_denied",
        403,
        "consumer",
    )
    assert "quyền" in body["message"]
    _refusal(
        call(gateway, "/datdai/parcels/slow", published.key),
        "gateway_provider_timeout",
        504,
        "provider",
    )
    _refusal(
        call(gateway, "/datdai/parcels/garbage", published.key),
        "gateway_provider_bad_response",
        502,
        "provider",
    )
    services.disable_service(
        actor=org.provider_admin,
        service=published.service,
        notice="Bảo trì đến 17:00 ngày 01/12/2026.",
    )
    gateway.reload()
    body = _refusal(
        call(gateway, "/datdai/parcels/parcels", published.key),
        "gateway_service_disabled",
        503,
        "gateway",
    )
    assert body["notice"] == "Bảo trì đến 17:00 ngày 01/12/2026."
    assert gateway.ingest().records == 8
    results = list(MessageLog.objects.order_by("seq").values_list("result", flat=True))
    assert results == [
        "gateway_missing_credentials",
        "gateway_invalid_key",
        "gateway_unknown_service",
        "gateway_unknown_endpoint",
        "gateway_access_denied",
        "gateway_provider_timeout",
        "gateway_provider_bad_response",
        "gateway_service_disabled",
    ]


def test_provider_down_is_a_provider_failure(org, published, gateway):
    services.update_service(
        actor=org.provider_admin, service=published.service, base_url="http://127.0.0.1:9"
    )
    gateway.reload()
    _refusal(
        call(gateway, "/datdai/parcels/parcels", published.key),
        "gateway_provider_unavailable",
        502,
        "provider",
    )


def test_over_the_rate_limit_and_the_quota(org, published, gateway):
    services.set_limits(
        actor=org.consumer_admin, consumer=published.consumer, rate_per_minute=2, quota_per_day=1000
    )
    gateway.reload()
    assert call(gateway, "/datdai/parcels/parcels", published.key).status_code == 200
    assert call(gateway, "/datdai/parcels/parcels", published.key).status_code == 200
    _refusal(
        call(gateway, "/datdai/parcels/parcels", published.key),
        "gateway_rate_limited",
        429,
        "consumer",
    )
    services.set_limits(
        actor=org.consumer_admin, consumer=published.consumer, rate_per_minute=100, quota_per_day=2
    )
    gateway.reload()
    _refusal(
        call(gateway, "/datdai/parcels/parcels", published.key),
        "gateway_quota_exceeded",
        429,
        "consumer",
    )


def test_a_body_over_the_limit_is_refused_before_forwarding(published, gateway):
    gateway.app.max_body = 100
    gateway.reload()
    _refusal(
        call(gateway, "/datdai/parcels/parcels", published.key, "POST", data=b"x" * 101),
        "gateway_body_too_large",
        413,
        "consumer",
    )
    assert not [s for s in ProviderHandler.seen if s["method"] == "POST"]


def test_provider_errors_pass_through_and_count_as_provider_failures(published, gateway):
    gateway.reload()
    response = call(gateway, "/datdai/parcels/broken", published.key)
    assert response.status_code == 500 and response.json() == {"error": "provider bug"}
    gateway.ingest()
    row = MessageLog.objects.get()
    assert (row.result, row.error_source) == ("http_500", "provider")


def test_discovery_lists_services_and_what_this_consumer_may_call(published, gateway):
    gateway.reload()
    listed = call(gateway, "/listServices", published.other_key).json()
    assert [s["service"] for s in listed["services"]] == ["parcels"]
    assert call(gateway, "/allowedServices", published.other_key).json()["services"] == []
    allowed = call(gateway, "/allowedServices", published.key).json()["services"]
    assert allowed[0]["provider"] == "datdai" and "GET /parcels/{id}" in allowed[0]["endpoints"]
    spec = call(gateway, "/getOpenAPI?service=datdai/parcels", published.key).json()
    assert spec["info"]["title"] == "Tra cứu hồ sơ đất đai"
    assert call(gateway, "/listServices").status_code == 401


def test_health_and_metrics(published, gateway):
    gateway.reload()
    call(gateway, "/datdai/parcels/parcels", published.key)
    health = requests.get(gateway.url + "/health", timeout=5).json()
    assert health["status"] == "ok" and health["config"]["stale"] is False
    metrics = requests.get(gateway.url + "/metrics", timeout=5).text
    assert (
        'tinhso_gateway_calls_total{service="datdai/parcels",consumer="ketoan",result="ok"'
        in metrics
    )


def test_the_caller_behind_a_trusted_proxy_is_logged_and_forwarded_a_forged_one_is_not(
    published, gateway, settings
):
    """Behind nginx the peer is the proxy: the caller is the address nginx appended to
    X-Forwarded-For, believed from TRUSTED_PROXIES only (as the web side does); the
    provider gets that one address, never what the client wrote."""
    gateway.reload()
    forged = {"X-Forwarded-For": "198.51.100.9"}
    call(gateway, "/datdai/parcels/parcels/1", published.key, headers=forged)
    assert ProviderHandler.seen[-1]["headers"]["X-Forwarded-For"] == "127.0.0.1"
    settings.TRUSTED_PROXIES = ["127.0.0.1/32"]
    call(gateway, "/datdai/parcels/parcels/2", published.key, headers=forged)
    assert ProviderHandler.seen[-1]["headers"]["X-Forwarded-For"] == "198.51.100.9"
    assert gateway.ingest().records == 2
    first, second = MessageLog.objects.order_by("seq")
    assert (first.client_ip, second.client_ip) == ("127.0.0.1", "198.51.100.9")
