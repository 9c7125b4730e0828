"""The control plane's pages: what each administrator sees and does."""

from __future__ import annotations

import json

from tinhso.gateway.models import AccessRequest, Service

from .conftest import OPENAPI, login
from .test_proxy import call


def test_every_page_answers_for_the_platform_admin(client, org, published, gateway):
    gateway.reload()
    call(gateway, "/datdai/parcels/parcels/1", published.key, headers={"X-Tinhso-Issue": "HS-1"})
    gateway.ingest()
    login(client, org.platform)
    for url in [
        "/gateway/",
        "/gateway/catalogue/",
        "/gateway/catalogue/?q=đất",
        "/gateway/services/datdai/parcels/",
        "/gateway/services/datdai/parcels/openapi.json",
        "/gateway/providers/",
        "/gateway/providers/datdai/",
        "/gateway/consumers/",
        "/gateway/consumers/ketoan/",
        "/gateway/requests/",
        "/gateway/log/",
        "/gateway/log/?issue=HS-1&result=ok&since=2026-01-01",
        "/gateway/monitoring/",
        "/gateway/monitoring/?window=7d",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
    log_page = client.get("/gateway/log/?issue=HS-1").content.decode()
    assert "HS-1" in log_page and "ketoan" in log_page
    assert "datdai/parcels" in client.get("/gateway/monitoring/").content.decode()


def test_the_log_tells_a_providers_refusal_from_a_success(client, org, published, gateway):
    """A provider's own 4xx is a successful exchange (`ok` in the log, as X-Road counts it)
    but not a success for the caller: the log page says the provider refused."""
    gateway.reload()
    assert call(gateway, "/datdai/parcels/parcels/refused", published.key).status_code == 403
    assert call(gateway, "/datdai/parcels/parcels/7", published.key).status_code == 200
    gateway.ingest()
    login(client, org.platform)
    rows = client.get("/gateway/log/").content.decode().split("<tr")
    refused = next(row for row in rows if "/parcels/refused" in row)
    success = next(row for row in rows if "/parcels/7" in row)
    assert "403 ok" in refused and "nhà cung cấp từ chối" in refused
    assert "text-success" not in refused and "text-warning-emphasis" in refused
    assert "200 ok" in success and "text-success" in success
    assert "nhà cung cấp từ chối" not in success


def test_a_citizen_and_an_outsider_are_refused(client, org, published):
    from tinhso.accounts.services import create_citizen

    citizen = create_citizen(username="dan", full_name="Dân", citizen_id="099090000009")
    client.force_login(citizen)
    assert client.get("/gateway/").status_code == 403
    login(client, org.specialist)
    assert client.get("/gateway/log/").status_code == 403
    assert client.get("/gateway/consumers/ketoan/").status_code == 403


def test_publish_from_a_pasted_description_then_enable_and_grant_on_the_pages(
    client, org, published
):
    login(client, org.provider_admin)
    response = client.post(
        "/gateway/providers/datdai/",
        {
            "code": "pasted",
            "openapi_text": json.dumps(OPENAPI),
            "base_url": "http://127.0.0.1:1",
            "timeout_ms": 1000,
        },
    )
    assert response.status_code == 302
    service = Service.objects.get(code="pasted")
    assert service.status == "draft" and service.endpoints.count() == 6
    client.post("/gateway/services/datdai/pasted/", {"action": "enable"})
    client.post("/gateway/services/datdai/pasted/", {"action": "grant", "consumer": "khac"})
    service.refresh_from_db()
    assert service.status == "enabled" and service.rights.get().consumer.code == "khac"
    page = client.post(
        "/gateway/services/datdai/pasted/", {"action": "disable", "notice": ""}, follow=True
    ).content.decode()
    assert "thông báo tạm ngừng" in page
    assert Service.objects.get(code="pasted").status == "enabled"


def test_a_key_is_shown_once_with_when_the_gateway_takes_it(client, org, published, settings):
    settings.GATEWAY_CONFIG_REFRESH_SECONDS = 5
    login(client, org.consumer_admin)
    page = client.post(
        "/gateway/consumers/ketoan/", {"action": "issue", "name": "mới"}
    ).content.decode()
    assert "tsk_" in page and "chỉ hiện một lần" in page
    assert "Cổng LGSP nhận khóa sau tối đa 5 giây." in page
    again = client.get("/gateway/consumers/ketoan/").content.decode()
    assert 'data-testid="new-key"' not in again


def test_request_and_approve_on_the_pages(client, org, published):
    login(client, org.consumer_admin)
    client.post(
        "/gateway/services/datdai/parcels/",
        {"action": "request", "consumer": "khac", "reason": "Đối chiếu dữ liệu"},
    )
    request = AccessRequest.objects.get()
    login(client, org.provider_admin)
    assert "Đối chiếu dữ liệu" in client.get("/gateway/requests/").content.decode()
    client.post("/gateway/requests/", {"request": str(request.uid), "decision": "approve"})
    request.refresh_from_db()
    assert request.status == "approved"
    assert published.service.rights.filter(consumer__code="khac").exists()


def test_refresh_page_shows_the_diff_and_asks(client, org, published, provider_server):
    changed = json.loads(json.dumps(OPENAPI))
    changed["paths"]["/new"] = {"get": {"operationId": "new", "summary": "Mới"}}
    provider_server.openapi = changed
    login(client, org.provider_admin)
    page = client.get("/gateway/services/datdai/parcels/refresh/").content.decode()
    assert "GET /new" in page and "Xác nhận" in page
    assert not published.service.endpoints.filter(path="/new").exists()
    import re

    digest = re.search(r'name="confirm" value="([0-9a-f]{64})"', page).group(1)
    client.post("/gateway/services/datdai/parcels/refresh/", {"confirm": digest})
    assert published.service.endpoints.filter(path="/new").exists()


def test_the_request_form_offers_only_the_consumers_that_may_still_ask(client, org, published):
    login(client, org.consumer_admin)
    page = client.get("/gateway/services/datdai/parcels/").content.decode()
    form = page[page.index('data-testid="request-form"') :]
    form = form[: form.index("</form>")]
    # "ketoan" holds the right already; "khac" may ask
    assert 'value="khac"' in form and 'value="ketoan"' not in form
    assert 'class="form-select' in form and 'class="form-control' in form
    client.post(
        "/gateway/services/datdai/parcels/",
        {"action": "request", "consumer": "khac", "reason": "Đối chiếu dữ liệu"},
    )
    page = client.get("/gateway/services/datdai/parcels/").content.decode()
    assert 'data-testid="request-form"' not in page
    assert 'data-testid="nothing-to-ask"' in page
    # a request for a consumer the form no longer offers changes nothing
    client.post(
        "/gateway/services/datdai/parcels/",
        {"action": "request", "consumer": "ketoan", "reason": "Lần nữa"},
    )
    assert AccessRequest.objects.count() == 1


def test_the_provider_credentials_are_set_on_the_page_and_only_their_names_shown(
    client, org, published
):
    login(client, org.provider_admin)
    url = "/gateway/services/datdai/parcels/"
    client.post(
        url,
        {
            "action": "settings",
            "timeout_ms": "3000",
            "upstream_headers": "Authorization: Token bi-mat\nX-Ma-Don-Vi: H57.20",
        },
    )
    page = client.get(url).content.decode()
    names = page[page.index('data-testid="upstream-headers"') :]
    names = names[: names.index("</p>")]
    assert "<code>Authorization</code>" in names and "<code>X-Ma-Don-Vi</code>" in names
    assert "bi-mat" not in page
    # saved again without credentials: kept; asked to clear: gone
    client.post(url, {"action": "settings", "timeout_ms": "3000", "upstream_headers": ""})
    assert 'data-testid="upstream-headers"' in client.get(url).content.decode()
    client.post(url, {"action": "settings", "timeout_ms": "3000", "clear_upstream_headers": "on"})
    assert 'data-testid="upstream-headers"' not in client.get(url).content.decode()
    published.service.refresh_from_db()
    assert published.service.upstream_headers_encrypted == ""
