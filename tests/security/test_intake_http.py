"""The HTTP intake a Wazuh `custom-` integration posts to: both Wazuh shapes, batches,
replays, bad tokens, malformed and oversize input, and the per-source rate limit."""

from __future__ import annotations

import json

import pytest

from tests.security.conftest import sample
from tinhso.security.models import Alert, Event, RejectedInput

URL = "/api/v1/security/intake/wazuh"


def post(client, body, token, content_type="application/json"):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(
        URL, data=data, content_type=content_type, HTTP_AUTHORIZATION=f"Bearer {token}"
    )


@pytest.mark.django_db
def test_a_wazuh_4_alert_is_stored_raw_mapped_and_attributed(client, soc):
    alert = sample("wazuh4_sshd.json")
    response = post(client, alert, soc.token)
    assert response.status_code == 202, response.content
    assert response.json()["accepted"] == 1
    event = Event.objects.get(format="wazuh4")  # (tinhso may record events of its own)
    assert event.format == "wazuh4"
    assert event.source_event_id == "1764465296.99481500"
    assert event.rule_id == "5712" and event.level == 10
    assert event.severity == "high"  # level 10 → high (SeverityBand rows)
    assert event.agent_id == "017" and event.agent_name == "stc-web-01"
    assert event.src_ip == "203.0.113.77"
    assert event.agency == soc.stc and event.system == soc.portal  # agent 017 → STC portal
    assert json.loads(event.raw) == alert  # the raw event is kept
    assert event.occurred_at.isoformat().startswith("2026-11-30T01:14:56")


@pytest.mark.django_db
def test_a_wazuh_5_ecs_finding_is_stored_and_raises_the_malware_alert(client, soc):
    response = post(client, sample("wazuh5_finding.json"), soc.token)
    assert response.status_code == 202, response.content
    event = Event.objects.get()
    assert event.format == "wazuh5"
    assert event.level == 12 and event.severity == "critical"
    assert event.user_name == "nguyenvanb"
    assert event.agency == soc.syt  # host IP 10.30.8.112 in the Sở Y tế range
    assert "malware" in event.groups
    alerts = {a.rule.code for a in Alert.objects.all()}
    assert {"malware", "wazuh-high-level"} <= alerts


@pytest.mark.django_db
def test_an_indexer_hit_of_5x_is_accepted_too(client, soc):
    hit = {
        "_index": "wazuh-findings-v5-2026.11.30",
        "_id": "abc123",
        "_source": sample("wazuh5_finding.json"),
    }
    hit["_source"]["event"].pop("id")
    assert post(client, hit, soc.token).status_code == 202
    assert Event.objects.get().source_event_id == "abc123"


@pytest.mark.django_db
def test_replayed_alerts_are_idempotent_by_source_and_alert_id(client, soc):
    alert = sample("wazuh4_sshd.json")
    assert post(client, alert, soc.token).json()["accepted"] == 1
    again = post(client, [alert, alert], soc.token).json()
    assert again["accepted"] == 0 and again["duplicates"] == 2
    assert Event.objects.count() == 1


@pytest.mark.django_db
def test_an_ndjson_batch_is_accepted_in_one_request(client, soc):
    lines = []
    for n in range(5):
        alert = sample("wazuh4_sshd.json")
        alert["id"] = f"1764465296.{n}"
        lines.append(json.dumps(alert))
    response = post(client, "\n".join(lines), soc.token, content_type="application/x-ndjson")
    assert response.status_code == 202
    assert response.json()["accepted"] == 5


@pytest.mark.django_db
def test_a_wrong_token_is_refused_and_nothing_stored(client, soc):
    response = post(client, sample("wazuh4_sshd.json"), "soc_not-the-token")
    assert response.status_code == 401
    assert response.json()["code"] == "security_intake_token_invalid"
    assert Event.objects.count() == 0
    assert client.post(URL, data="{}", content_type="application/json").status_code == 401


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ('{"rule": {"level": 3', "security_malformed_json"),
        ("[1, 2]", "security_malformed_json"),
        ('{"foo": "bar"}', "security_unknown_shape"),
        ("", "security_empty_batch"),
        ('{"a":' * 200 + "1" + "}" * 200, "security_malformed_json"),
    ],
)
@pytest.mark.django_db
def test_malformed_input_is_refused_with_a_reason_and_nothing_stored(client, soc, body, code):
    response = post(client, body, soc.token)
    assert response.status_code == 400, response.content
    assert response.json()["code"] == code
    assert response.json()["message"]
    assert Event.objects.count() == 0
    assert RejectedInput.objects.filter(code=code).exists()


@pytest.mark.django_db
def test_an_oversize_event_is_refused_and_the_others_of_the_batch_kept(client, soc):
    good = sample("wazuh4_sshd.json")
    big = sample("wazuh4_sshd.json")
    big["id"] = "big.1"
    big["full_log"] = "x" * 70_000
    response = post(client, [good, big], soc.token)
    assert response.status_code == 202
    body = response.json()
    assert body["accepted"] == 1
    assert body["refused"] == [
        {"index": 1, "code": "security_event_too_large", "message": body["refused"][0]["message"]}
    ]


@pytest.mark.django_db
def test_unknown_fields_are_kept_in_the_raw_event_and_ignored(client, soc):
    alert = sample("wazuh4_sshd.json")
    alert["vendor_extension"] = {"x": [1, 2, 3]}
    alert["rule"]["new_thing"] = True
    assert post(client, alert, soc.token).status_code == 202
    assert "vendor_extension" in Event.objects.get().raw


@pytest.mark.django_db
def test_a_flood_from_one_source_is_refused_with_429_beyond_its_budget(client, soc):
    soc.source.rate_per_minute = 3
    soc.source.save()
    batch = []
    for n in range(3):
        alert = sample("wazuh4_sshd.json")
        alert["id"] = f"flood.{n}"
        batch.append(alert)
    assert post(client, batch, soc.token).status_code == 202
    extra = sample("wazuh4_sshd.json")
    extra["id"] = "flood.x"
    response = post(client, extra, soc.token)
    assert response.status_code == 429
    assert response.json()["code"] == "security_intake_rate_limited"
    assert Event.objects.count() == 3


@pytest.mark.django_db
def test_a_large_but_allowed_event_is_kept_whole(client, soc):
    alert = sample("wazuh4_sshd.json")
    alert["full_log"] = "y" * 40_000
    assert post(client, alert, soc.token).status_code == 202
    assert len(Event.objects.get().raw) > 40_000
