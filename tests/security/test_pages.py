"""The centre's pages: the analyst sees every page, an agency admin only their agency's
data, people outside the centre see nothing; forms go through the services."""

from __future__ import annotations

import json

import pytest

from tests.security.conftest import login, sample
from tinhso.security import services
from tinhso.security.intake import ingest
from tinhso.security.models import Alert, Incident, InformationSystem
from tinhso.security.parsing import from_json


def _alerts(soc):
    for name in ("wazuh4_sshd.json", "wazuh5_finding.json"):
        alert = sample(name)
        if "rule" in alert and "level" in alert["rule"]:
            alert["rule"]["level"] = 13
        ingest(source=soc.source, items=[from_json(alert, json.dumps(alert))])


@pytest.mark.django_db
def test_every_page_renders_for_the_analyst(client, soc):
    _alerts(soc)
    login(client, soc.analyst)
    alert = Alert.objects.filter(agency=soc.stc).first()
    incident = services.open_incident(actor=soc.analyst, title="T", severity="high", alerts=[alert])
    services.generate_dossier(actor=soc.analyst, system=soc.portal, fmt="docx")
    event = alert.first_event
    for url in [
        "/security/",
        "/security/canh-bao/",
        "/security/canh-bao/?status=all&severity=critical&q=x",
        f"/security/canh-bao/{alert.uid}/",
        "/security/su-kien/",
        f"/security/su-kien/{event.pk}/",
        "/security/su-co/",
        "/security/su-co/?status=open",
        f"/security/su-co/{incident.code}/",
        "/security/he-thong/",
        "/security/he-thong/them/",
        f"/security/he-thong/{soc.portal.uid}/",
        f"/security/he-thong/{soc.portal.uid}/sua/",
        "/security/bao-cao/",
        "/security/bao-cao/?by=severity&start=2026-01-01&end=2026-12-31",
        "/security/cau-hinh/",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
    doc = soc.portal.documents.first()
    assert client.get(f"/security/ho-so/{doc.uid}/").status_code == 200


@pytest.mark.django_db
def test_an_agency_admin_sees_only_their_agencys_alerts(client, soc):
    _alerts(soc)
    login(client, soc.stc_admin)
    page = client.get("/security/canh-bao/?status=all").content.decode()
    assert "sshd" in page
    assert "Trojaned" not in page  # the Sở Y tế's
    other = Alert.objects.filter(agency=soc.syt).first()
    assert client.get(f"/security/canh-bao/{other.uid}/").status_code == 404
    assert client.get("/security/cau-hinh/").status_code == 403


@pytest.mark.django_db
def test_people_outside_the_centre_see_nothing(client, soc):
    login(client, soc.clerk)
    assert client.get("/security/").status_code == 404
    client.logout()
    assert client.get("/security/").status_code == 302


@pytest.mark.django_db
def test_opening_an_incident_from_the_alert_page(client, soc):
    _alerts(soc)
    alert = Alert.objects.filter(agency=soc.stc).first()
    login(client, soc.stc_admin)
    response = client.post(
        f"/security/canh-bao/{alert.uid}/",
        {
            "action": "open_incident",
            "title": "Dò mật khẩu SSH",
            "severity": "high",
            "assignee": str(soc.stc_admin.pk),
        },
    )
    incident = Incident.objects.get()
    assert response.status_code == 302 and response.url.endswith(f"/su-co/{incident.code}/")
    assert incident.assignee == soc.stc_admin


@pytest.mark.django_db
def test_registering_a_system_through_the_form(client, soc):
    login(client, soc.stc_admin)
    response = client.post(
        "/security/he-thong/them/",
        {
            "code": "stc-kt",
            "name": "Phần mềm kế toán",
            "owner": "H58.03",
            "criteria": ["internal-private"],
            "personal_data_subjects": "0",
            "user_count": "40",
        },
    )
    assert response.status_code == 302
    system = InformationSystem.objects.get(code="STC-KT")
    assert system.proposed_level == 2 and system.owner == soc.stc
    bad = client.post("/security/he-thong/them/", {"code": "", "name": "", "owner": "H58.07"})
    assert bad.status_code == 200 and InformationSystem.objects.count() == 2


@pytest.mark.django_db
def test_the_api_lists_alerts_incidents_and_systems(client, soc):
    _alerts(soc)
    login(client, soc.analyst)
    body = client.get("/api/v1/security/alerts?status=open&severity=critical").json()
    assert body["count"] >= 1
    assert client.get("/api/v1/security/alerts?status=bogus").status_code == 400
    assert client.get("/api/v1/security/systems?level=9").status_code == 400
    assert client.get("/api/v1/security/systems").json()["results"][0]["code"] == "STC-DVC"
    assert client.get("/api/v1/security/incidents?to_report=true").status_code == 200
    suggestion = client.post(
        "/api/v1/security/level-suggestion",
        {
            "criteria": ["internal-private"],
            "holds_personal_data": True,
            "personal_data_subjects": 20000,
        },
        content_type="application/json",
    ).json()
    assert suggestion["level"] == 3
    login(client, soc.clerk)
    assert client.get("/api/v1/security/alerts").status_code == 403
