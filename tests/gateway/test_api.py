"""The management API does what the pages do, with the platform's API tokens."""

from __future__ import annotations

import json

from rest_framework.test import APIClient

from tinhso.accounts.services import issue_token
from tinhso.gateway.models import AccessRequest, Service

from .conftest import OPENAPI


def _client(user) -> APIClient:
    client = APIClient()
    key = issue_token(user=user, name="test")
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_publish_enable_request_approve_and_read_the_log_over_the_api(org, published):
    provider = _client(org.provider_admin)
    consumer = _client(org.consumer_admin)
    created = provider.post(
        "/api/v1/gateway/providers/datdai/services/",
        {"code": "api-made", "openapi_text": json.dumps(OPENAPI), "base_url": "http://127.0.0.1:1"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert (
        created.json()["status"] == "draft" and "GET /parcels/{id}" in created.json()["endpoints"]
    )
    assert (
        provider.post("/api/v1/gateway/services/datdai/api-made/enable/").json()["status"]
        == "enabled"
    )
    refused = provider.post(
        "/api/v1/gateway/services/datdai/api-made/disable/", {"notice": ""}, format="json"
    )
    assert refused.status_code == 400 and refused.json()["code"] == "gateway_notice_required"
    asked = consumer.post(
        "/api/v1/gateway/requests/",
        {"consumer": "khac", "service": "datdai/api-made", "reason": "Đối chiếu"},
        format="json",
    )
    assert asked.status_code == 201
    uid = asked.json()["uid"]
    assert (
        consumer.post(
            f"/api/v1/gateway/requests/{uid}/decide/", {"approve": True}, format="json"
        ).status_code
        == 403
    )
    decided = provider.post(
        f"/api/v1/gateway/requests/{uid}/decide/", {"approve": True}, format="json"
    )
    assert decided.json()["status"] == "approved"
    assert AccessRequest.objects.get(uid=uid).status == "approved"
    key = consumer.post(
        "/api/v1/gateway/consumers/khac/keys/", {"name": "api"}, format="json"
    ).json()
    assert key["key"].startswith("tsk_")
    assert (
        consumer.post(f"/api/v1/gateway/consumers/khac/keys/{key['uid']}/revoke/").status_code
        == 204
    )
    assert consumer.get("/api/v1/gateway/services/").json()["count"] >= 2
    assert consumer.get("/api/v1/gateway/log/?issue=x").status_code == 200
    assert Service.objects.get(code="api-made").rights.filter(consumer__code="khac").exists()


def test_refresh_over_the_api_answers_409_with_the_digest_then_applies(org, published):
    provider = _client(org.provider_admin)
    changed = json.loads(json.dumps(OPENAPI))
    changed["paths"]["/extra"] = {"get": {"operationId": "extra"}}
    first = provider.post(
        "/api/v1/gateway/services/datdai/parcels/refresh/",
        {"openapi_text": json.dumps(changed)},
        format="json",
    )
    assert first.status_code == 409 and first.json()["code"] == "gateway_refresh_not_confirmed"
    digest = first.json()["details"]["digest"]
    second = provider.post(
        "/api/v1/gateway/services/datdai/parcels/refresh/",
        {"openapi_text": json.dumps(changed), "confirm": digest},
        format="json",
    )
    assert second.status_code == 200 and "GET /extra" in second.json()["endpoints"]


def test_a_citizen_gets_403_and_unknown_things_404(org, published):
    from tinhso.accounts.services import create_citizen

    citizen = _client(create_citizen(username="dan2", full_name="Dân", citizen_id="099090000008"))
    assert citizen.get("/api/v1/gateway/services/").status_code == 403
    admin = _client(org.platform)
    missing = admin.get("/api/v1/gateway/services/datdai/none/")
    assert missing.status_code == 404 and missing.json()["code"] == "gateway_service_not_found"


def test_the_provider_credentials_are_set_over_the_api_forwarded_and_never_shown(
    org, published, gateway
):
    from .conftest import ProviderHandler
    from .test_proxy import call

    provider = _client(org.provider_admin)
    url = "/api/v1/gateway/services/datdai/parcels/"
    changed = provider.patch(
        url,
        {"timeout_ms": 2500, "upstream_headers": {"Authorization": "Token bi-mat-cua-lgsp"}},
        format="json",
    )
    assert changed.status_code == 200, changed.json()
    body = changed.json()
    assert body["timeout_ms"] == 2500 and body["upstream_headers"] == ["Authorization"]
    assert "bi-mat" not in changed.content.decode()
    assert "bi-mat" not in provider.get(url).content.decode()
    gateway.reload()
    assert call(gateway, "/datdai/parcels/parcels/7", published.key).status_code == 200
    assert ProviderHandler.seen[-1]["headers"]["Authorization"] == "Token bi-mat-cua-lgsp"

    bad = provider.patch(url, {"upstream_headers": {"X-Bad": "a\r\nX-Injected: 1"}}, format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "validation_failed"
    consumer = _client(org.consumer_admin)
    assert consumer.patch(url, {"upstream_headers": {}}, format="json").status_code == 403
    cleared = provider.patch(url, {"upstream_headers": {}}, format="json")
    assert cleared.json()["upstream_headers"] == []
