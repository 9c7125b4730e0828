"""Publishing, consumers, keys, rights and requests: the control plane's rules."""

from __future__ import annotations

import datetime as dt
import itertools
import json

import pytest
from django.utils import timezone

from tinhso.audit.models import AuditEntry
from tinhso.core.errors import PermissionDenied
from tinhso.gateway import services
from tinhso.gateway.errors import GatewayErrorCode
from tinhso.gateway.models import AccessRequest, AccessRight, Endpoint, Service

from .conftest import OPENAPI
from .test_proxy import call


def test_a_published_service_starts_disabled_with_the_endpoints_of_its_description(org, published):
    provider = published.provider
    service = services.publish_service(
        actor=org.provider_admin,
        provider=provider,
        code="second",
        openapi_text=json.dumps(OPENAPI),
        base_url="http://127.0.0.1:1",
    )
    assert service.status == Service.Status.DRAFT
    assert service.title == "Tra cứu hồ sơ đất đai" and service.version == "1.0"
    assert sorted(str(e) for e in service.endpoints.all()) == [
        "GET /broken",
        "GET /garbage",
        "GET /parcels",
        "GET /parcels/{id}",
        "GET /slow",
        "POST /parcels",
    ]
    assert AuditEntry.objects.filter(action="gateway.publish_service").count() == 2


def test_bad_descriptions_and_codes_are_refused_with_nothing_changed(org, published):
    before = Service.objects.count()
    for text in ["not json: [", json.dumps({"swagger": "2.0", "paths": {}}), "{}"]:
        with pytest.raises(Exception) as exc:
            services.publish_service(
                actor=org.provider_admin,
                provider=published.provider,
                code="bad",
                openapi_text=text,
                base_url="http://x.example",
            )
        assert exc.value.code == GatewayErrorCode.INVALID_OPENAPI
    with pytest.raises(Exception) as exc:
        services.publish_service(
            actor=org.provider_admin,
            provider=published.provider,
            code="Bad Code!",
            base_url="http://x.example",
            title="x",
        )
    assert exc.value.code == GatewayErrorCode.INVALID_CODE
    assert Service.objects.count() == before


def test_only_the_providers_agency_administrator_publishes(org, published):
    for outsider in (org.consumer_admin, org.specialist):
        with pytest.raises(PermissionDenied):
            services.publish_service(
                actor=outsider,
                provider=published.provider,
                code="rest",
                base_url="http://x.example",
                title="x",
            )
        with pytest.raises(PermissionDenied):
            services.enable_service(actor=outsider, service=published.service)


def test_refresh_shows_the_diff_and_applies_only_when_confirmed(org, published, provider_server):
    service = published.service
    endpoint = service.endpoints.get(method="GET", path="/parcels/{id}")
    services.grant_right(
        actor=org.provider_admin, service=service, consumer=published.other, endpoint=endpoint
    )
    changed = json.loads(json.dumps(OPENAPI))
    changed["info"]["version"] = "2.0"
    del changed["paths"]["/parcels/{id}"]
    changed["paths"]["/parcels/{id}/owners"] = {"get": {"operationId": "owners"}}
    changed["paths"]["/parcels"]["get"]["summary"] = "Danh sách thửa đất"
    provider_server.openapi = changed

    spec, diff = services.preview_refresh(service=service)
    assert [str(e.path) for e in diff.added] == ["/parcels/{id}/owners"]
    assert [str(e.path) for e in diff.removed] == ["/parcels/{id}"]
    assert [b.summary for _, b in diff.changed] == ["Danh sách thửa đất"]
    with pytest.raises(Exception) as exc:
        services.refresh_service(actor=org.provider_admin, service=service)
    assert exc.value.code == GatewayErrorCode.REFRESH_NOT_CONFIRMED
    assert service.endpoints.filter(path="/parcels/{id}").exists()  # nothing changed

    services.refresh_service(actor=org.provider_admin, service=service, confirm=spec.digest)
    service.refresh_from_db()
    assert service.version == "2.0"
    assert not Endpoint.objects.filter(service=service, path="/parcels/{id}").exists()
    assert Endpoint.objects.filter(service=service, path="/parcels/{id}/owners").exists()
    # the removed endpoint took its access right with it; the service timeout stayed
    assert not AccessRight.objects.filter(consumer=published.other).exists()
    assert service.timeout_ms == 500


def test_the_access_rights_matrix_only_granted_calls_pass(org, published, gateway):
    """consumer × service × endpoint: a service right opens every endpoint, an endpoint
    right only its endpoint, a group right its members, and nothing else passes."""
    service = published.service
    second = services.publish_service(
        actor=org.provider_admin,
        provider=published.provider,
        code="mirror",
        openapi_text=json.dumps(OPENAPI),
        base_url=service.base_url,
    )
    services.enable_service(actor=org.provider_admin, service=second)
    third = services.create_consumer(
        actor=org.consumer_admin, code="thuba", name="Thứ ba", agency=org.stc, contact_name="X"
    )
    _, third_key = services.issue_key(actor=org.consumer_admin, consumer=third)
    one = second.endpoints.get(method="GET", path="/parcels/{id}")
    services.grant_right(
        actor=org.provider_admin, service=second, consumer=published.other, endpoint=one
    )
    group = services.create_group(actor=org.platform, code="nhom-ke-toan", name="Nhóm")
    services.add_to_group(actor=org.platform, group=group, consumer=third)
    services.grant_right(actor=org.provider_admin, service=second, group=group)
    gateway.reload()

    keys = {"ketoan": published.key, "khac": published.other_key, "thuba": third_key}
    granted = {
        ("ketoan", "parcels", "GET /parcels/1"),
        ("ketoan", "parcels", "GET /parcels"),
        ("khac", "mirror", "GET /parcels/1"),
        ("thuba", "mirror", "GET /parcels/1"),
        ("thuba", "mirror", "GET /parcels"),
    }
    for consumer, svc, endpoint in itertools.product(
        keys, ["parcels", "mirror"], ["GET /parcels/1", "GET /parcels"]
    ):
        method, path = endpoint.split(" ")
        response = call(gateway, f"/datdai/{svc}{path}", keys[consumer], method)
        expected = 200 if (consumer, svc, endpoint) in granted else 403
        assert response.status_code == expected, (consumer, svc, endpoint, response.text)


def test_rotation_and_revocation_of_keys(org, published, gateway):
    key_row = published.consumer.keys.get()
    new_row, new_key = services.rotate_key(actor=org.consumer_admin, key=key_row, overlap_hours=1)
    gateway.reload()
    assert call(gateway, "/datdai/parcels/parcels", published.key).status_code == 200
    assert call(gateway, "/datdai/parcels/parcels", new_key).status_code == 200
    key_row.refresh_from_db()
    key_row.expires_at = timezone.now() - dt.timedelta(seconds=1)
    key_row.save()
    gateway.reload()
    old = call(gateway, "/datdai/parcels/parcels", published.key)
    assert old.status_code == 401 and old.json()["code"] == "gateway_expired_key"
    services.revoke_key(actor=org.consumer_admin, key=new_row)
    gateway.reload()
    revoked = call(gateway, "/datdai/parcels/parcels", new_key)
    assert revoked.status_code == 401 and revoked.json()["code"] == "gateway_invalid_key"
    assert new_row.key_hash != new_key and new_key not in str(
        list(AuditEntry.objects.values_list("summary", flat=True))
    )


def test_an_access_request_is_answered_within_five_working_days(org, published, gateway):
    request = services.request_access(
        actor=org.consumer_admin,
        consumer=published.other,
        service=published.service,
        reason="Đối chiếu thửa đất khi thu tiền sử dụng đất",
    )
    assert request.status == AccessRequest.Status.ASKED
    assert request.due_at - request.asked_at >= dt.timedelta(days=5)
    with pytest.raises(Exception) as exc:
        services.request_access(
            actor=org.consumer_admin,
            consumer=published.other,
            service=published.service,
            reason="lần hai",
        )
    assert exc.value.code == GatewayErrorCode.REQUEST_PENDING
    with pytest.raises(PermissionDenied):
        services.decide_request(actor=org.consumer_admin, request=request, approve=True)
    services.decide_request(actor=org.provider_admin, request=request, approve=True)
    gateway.reload()
    assert call(gateway, "/datdai/parcels/parcels", published.other_key).status_code == 200
    with pytest.raises(Exception) as exc:
        services.decide_request(actor=org.provider_admin, request=request, approve=False, note="x")
    assert exc.value.code == GatewayErrorCode.REQUEST_DECIDED


def test_every_configuration_change_is_in_the_audit_trail(published):
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "gateway.create_provider",
        "gateway.publish_service",
        "gateway.enable_service",
        "gateway.create_consumer",
        "gateway.issue_key",
        "gateway.grant_right",
    } <= actions
