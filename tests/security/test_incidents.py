"""Incidents: opened from alerts (their agency, system, severity), deadlines in working
days by severity, assignment to someone who may handle the agency's incidents, the
workflow table (closing needs a resolution and evidence), the timeline, the agency's
security contact told, and the report to the national centre."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from tests.security.conftest import sample
from tinhso.core.errors import DomainError
from tinhso.notify.models import Message
from tinhso.security import services
from tinhso.security.intake import ingest
from tinhso.security.models import Alert, Incident, IncidentEntry
from tinhso.security.parsing import from_json
from tinhso.workdays.services import add_working_days


def _alert(soc, rule="wazuh-high-level"):
    alert = sample("wazuh4_sshd.json")
    alert["rule"]["level"] = 13
    ingest(source=soc.source, items=[from_json(alert, json.dumps(alert))])
    return Alert.objects.get(rule__code=rule)


@pytest.mark.django_db
def test_an_incident_opened_from_an_alert_takes_its_agency_system_and_deadline(soc):
    alert = _alert(soc)
    assert alert.severity == "critical" and alert.agency == soc.stc
    before = timezone.now()
    incident = services.open_incident(actor=soc.analyst, title="", severity="", alerts=[alert])
    assert incident.code.startswith(f"SOC-{timezone.localtime().year}-")
    assert incident.agency == soc.stc and incident.system == soc.portal
    assert incident.severity == "critical"
    # critical: 1 working day (IncidentDeadline rows)
    assert abs((incident.deadline - add_working_days(before, 1)).total_seconds()) < 5
    assert incident.must_report  # critical, and the portal is level 3
    alert.refresh_from_db()
    assert alert.status == "in_incident" and alert.incident == incident
    with pytest.raises(DomainError) as err:
        services.open_incident(actor=soc.analyst, title="again", severity="", alerts=[alert])
    assert err.value.code == "security_alert_already_in_incident"


@pytest.mark.django_db
def test_deadlines_follow_the_severity_in_working_days(soc):
    low = services.open_incident(
        actor=soc.analyst, title="Quét cổng", severity="low", agency=soc.stc
    )
    high = services.open_incident(
        actor=soc.analyst, title="Mã độc", severity="high", agency=soc.stc
    )
    assert low.deadline > high.deadline
    assert not low.must_report and high.must_report
    assert low.code != high.code


@pytest.mark.django_db
def test_the_agencys_security_contact_is_told_and_the_assignee_too(soc):
    services.save_system(
        actor=soc.stc_admin,
        owner=soc.stc,
        code="STC-DVC",
        system=soc.portal,
        name=soc.portal.name,
        security_contact=soc.stc_admin,
    )
    Message.objects.all().delete()
    incident = services.open_incident(
        actor=soc.analyst, title="Dò mật khẩu", severity="high", agency=soc.stc, system=soc.portal
    )
    assert Message.objects.filter(
        recipient=soc.stc_admin, template="security_incident_opened"
    ).exists()
    services.assign_incident(actor=soc.analyst, incident=incident, assignee=soc.stc_admin)
    mail = Message.objects.get(recipient=soc.stc_admin, template="security_incident_assigned")
    assert incident.code in mail.subject


@pytest.mark.django_db
def test_only_someone_who_may_handle_the_agency_is_assigned(soc):
    incident = services.open_incident(actor=soc.analyst, title="X", severity="low", agency=soc.stc)
    for wrong in (soc.syt_admin, soc.clerk):
        with pytest.raises(DomainError) as err:
            services.assign_incident(actor=soc.analyst, incident=incident, assignee=wrong)
        assert err.value.code == "security_assignee_not_analyst"
    with pytest.raises(DomainError) as err:
        services.open_incident(actor=soc.syt_admin, title="X", severity="low", agency=soc.stc)
    assert err.value.code == "permission_denied"


@pytest.mark.django_db
def test_closing_needs_a_resolution_and_evidence_and_the_timeline_tells_it_all(soc):
    incident = services.open_incident(
        actor=soc.analyst, title="Mã độc trên máy trạm", severity="medium", agency=soc.stc
    )
    with pytest.raises(DomainError) as err:
        services.transition_incident(actor=soc.analyst, incident=incident, action="close")
    assert err.value.code == "security_resolution_required"
    with pytest.raises(DomainError) as err:
        services.transition_incident(
            actor=soc.analyst, incident=incident, action="close", resolution="Đã cách ly máy."
        )
    assert err.value.code == "security_evidence_required"
    incident.refresh_from_db()
    assert incident.status == "new"
    services.transition_incident(actor=soc.analyst, incident=incident, action="start")
    with pytest.raises(DomainError) as err:
        services.transition_incident(actor=soc.analyst, incident=incident, action="start")
    assert err.value.code == "invalid_transition"
    services.add_note(actor=soc.analyst, incident=incident, text="Đã liên hệ đơn vị.")
    incident = services.transition_incident(
        actor=soc.analyst,
        incident=incident,
        action="close",
        resolution="Đã cách ly máy, quét lại sạch.",
        evidence=("quet-lai.txt", b"scan clean"),
    )
    assert incident.status == "closed" and incident.closed_at and incident.resolved_at
    evidence = incident.evidence.get()
    assert evidence.file.read() == b"scan clean"
    kinds = list(incident.entries.values_list("kind", flat=True))
    assert kinds == ["opened", "status", "note", "evidence", "status"]
    reopened = services.transition_incident(actor=soc.analyst, incident=incident, action="reopen")
    assert reopened.status == "investigating" and reopened.closed_at is None


@pytest.mark.django_db
def test_the_national_report_lists_the_incidents_that_must_be_reported(soc):
    must = services.open_incident(
        actor=soc.analyst, title="Tấn công", severity="high", agency=soc.stc
    )
    services.open_incident(actor=soc.analyst, title="Nhỏ", severity="low", agency=soc.syt)
    today = timezone.localdate()
    report = services.export_national_report(
        actor=soc.analyst, period_start=today - dt.timedelta(days=30), period_end=today
    )
    data = json.loads(report.content)
    assert data["schema"] == "tinhso.soc-report/1"
    assert [row["code"] for row in data["incidents"]] == [must.code]
    assert data["incidents"][0]["agency_code"] == "H58.03"
    must.refresh_from_db()
    assert must.reported_at is not None and must.report == report
    assert must.entries.filter(kind=IncidentEntry.Kind.REPORTED).exists()
    csv_report = services.export_national_report(
        actor=soc.analyst, period_start=today, period_end=today, adapter="csv"
    )
    assert csv_report.content.startswith("code,title,severity")
    with pytest.raises(DomainError) as err:
        services.export_national_report(
            actor=soc.analyst, period_start=today, period_end=today, adapter="stix"
        )
    assert err.value.code == "security_unknown_adapter"
    with pytest.raises(DomainError):
        services.export_national_report(actor=soc.stc_admin, period_start=today, period_end=today)
    assert Incident.objects.filter(reported_at__isnull=True).count() == 1
