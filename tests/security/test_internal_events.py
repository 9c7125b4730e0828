"""tinhso's own events reach the centre: permission denials (also when the refusing
transaction rolls back), a broken audit chain, invalid signatures, expiring certificates."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.signals import request_finished
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from tinhso.audit.selectors import verify_chain
from tinhso.audit.services import record, seal_pending
from tinhso.core.errors import DomainError
from tinhso.core.signals import security_event
from tinhso.security import services
from tinhso.security.models import Alert, Event


@pytest.mark.django_db
def test_a_permission_denial_is_recorded_with_the_account(soc):
    with pytest.raises(DomainError):
        services.open_incident(actor=soc.syt_admin, title="X", severity="low", agency=soc.stc)
    event = Event.objects.get(category="permission_denied")
    assert event.user_name == "quantri.syt"
    assert "security.handle_incident" in event.description
    assert event.source.name == "tinhso"


@pytest.mark.django_db
def test_an_event_sent_in_a_transaction_that_rolls_back_is_written_when_the_request_ends(soc):
    class Refused(Exception):
        pass

    with pytest.raises(Refused), transaction.atomic():
        security_event.send(__name__, kind="permission_denied", user_name="ai-do", detail="x")
        raise Refused
    assert not Event.objects.filter(user_name="ai-do").exists()
    # as Django's test client does: the request ends without closing the test's connection
    request_finished.disconnect(close_old_connections)
    try:
        request_finished.send(sender=None)
    finally:
        request_finished.connect(close_old_connections)
    assert Event.objects.filter(user_name="ai-do").count() == 1


@pytest.mark.django_db
def test_a_broken_audit_chain_raises_a_critical_alert(soc):
    entries = [
        record(actor=None, action="test.act", object_type="t", object_id=str(i)) for i in range(3)
    ]
    seal_pending()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER USER")
        cursor.execute(
            "UPDATE audit_auditentry SET object_id = 'changed' WHERE id = %s", [entries[1].pk]
        )
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER USER")
    assert not verify_chain().ok
    alert = Alert.objects.get(rule__code="integrity-broken")
    assert alert.severity == "critical"
    assert Event.objects.get(category="audit_chain").severity == "critical"


@pytest.mark.django_db
def test_expiring_certificates_raise_one_event_a_day(soc):
    from tinhso.signing.services.pki import ensure_demo_ca, issue_certificate

    _root, ca = ensure_demo_ca()
    now = timezone.now()
    issue_certificate(
        ca=ca,
        kind="personal",
        owner_user=soc.stc_admin,
        not_before=now - dt.timedelta(days=300),
        not_after=now + dt.timedelta(days=10),
    )
    issue_certificate(
        ca=ca,
        kind="personal",
        owner_user=soc.syt_admin,
        not_before=now - dt.timedelta(days=10),
        not_after=now + dt.timedelta(days=300),
    )
    assert services.scan_certificates() == 1
    assert services.scan_certificates() == 0  # idempotent for the day
    event = Event.objects.get(category="certificate_expiry")
    assert event.rule_id == "certificate_expiring" and event.user_name == "quantri.stc"
    assert Alert.objects.filter(rule__code="certificate-expiry").count() == 1
