"""Triage rules as data: a threshold over a time window fires on the 10th failed login,
repeats fold into the open alert (deduplication), old matches fall out of the window,
and rules are validated before they are saved."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tinhso.accounts.services import create_official
from tinhso.core.errors import DomainError
from tinhso.security import services
from tinhso.security.intake import ingest
from tinhso.security.models import Alert, Event
from tinhso.security.parsing import Parsed


@pytest.mark.django_db
def test_the_threshold_rule_fires_on_the_tenth_failed_login(client, soc):
    create_official(username="ketoan.stc", full_name="Kế Toán", password="Dung-mat-khau-1")
    for attempt in range(1, 11):
        response = client.post(
            "/accounts/login/", {"username": "ketoan.stc", "password": f"sai-{attempt}"}
        )
        assert response.status_code in (200, 429)
        raised = Alert.objects.filter(rule__code="failed-login-burst").count()
        assert raised == (1 if attempt == 10 else 0), f"attempt {attempt}"
    events = Event.objects.filter(source__name="tinhso", user_name="ketoan.stc")
    assert events.count() == 10
    assert {"login_failed", "login_locked"} >= set(events.values_list("rule_id", flat=True))
    alert = Alert.objects.get(rule__code="failed-login-burst")
    assert alert.severity == "high" and alert.count == 10
    assert "user_name=ketoan.stc" in alert.title
    assert alert.agency == soc.ubnd  # host "tinhso" is the platform's, attributed by range


def _failed_login(user: str, at: dt.datetime) -> Parsed:
    return Parsed(
        format="tinhso",
        raw="{}",
        occurred_at=at,
        severity="low",
        category="authentication_failed",
        groups=["tinhso", "authentication_failed"],
        user_name=user,
        host="tinhso",
    )


@pytest.mark.django_db
def test_matches_outside_the_window_do_not_count(soc):
    source = services.internal_source()
    now = timezone.now()
    old = [_failed_login("an", now - dt.timedelta(minutes=20, seconds=n)) for n in range(9)]
    ingest(source=source, items=old)
    result = ingest(source=source, items=[_failed_login("an", now)])
    assert result.alerts_raised == 0
    result = ingest(source=source, items=[_failed_login("an", now) for _ in range(9)])
    assert result.alerts_raised == 1


@pytest.mark.django_db
def test_counts_are_kept_per_account(soc):
    source = services.internal_source()
    now = timezone.now()
    items = [_failed_login(f"user{n % 5}", now) for n in range(40)]  # 8 per account
    assert ingest(source=source, items=items).alerts_raised == 0


@pytest.mark.django_db
def test_repeated_alerts_fold_into_the_open_alert_until_it_is_closed(client, soc):
    from tests.security.conftest import sample
    from tinhso.security.parsing import from_json

    def wazuh(n: int) -> Parsed:
        alert = sample("wazuh5_finding.json")
        alert["event"]["id"] = f"dup-{n}"
        return from_json(alert, "{}")

    first = ingest(source=soc.source, items=[wazuh(1)])
    assert first.alerts_raised == 2  # malware + wazuh-high-level
    again = ingest(source=soc.source, items=[wazuh(2), wazuh(3)])
    assert again.alerts_raised == 0 and again.alerts_folded == 2
    malware = Alert.objects.get(rule__code="malware")
    assert malware.count == 3
    services.set_alert_status(actor=soc.analyst, alert=malware, status="dismissed")
    later = ingest(source=soc.source, items=[wazuh(4)])
    assert later.alerts_raised == 1  # a dismissed alert is not folded into
    assert Alert.objects.filter(rule__code="malware").count() == 2


@pytest.mark.django_db
def test_a_rule_saved_as_data_applies_to_the_next_events(soc):
    services.save_rule(
        actor=soc.analyst,
        code="vpn-admin",
        name="Đăng nhập VPN bằng tài khoản admin",
        conditions=[
            {"field": "user_name", "op": "eq", "value": "admin"},
            {"field": "src_ip", "op": "in_cidr", "value": "203.0.113.0/24"},
        ],
        group_by=["src_ip"],
        severity="critical",
    )
    item = Parsed(
        format="json", raw="{}", description="vpn login", user_name="admin", src_ip="203.0.113.9"
    )
    result = ingest(source=soc.source, items=[item])
    assert [a.rule.code for a in result.alerts] == ["vpn-admin"]
    assert result.alerts[0].severity == "critical"


@pytest.mark.parametrize(
    "conditions",
    [
        [],
        [{"field": "nope", "op": "eq", "value": 1}],
        [{"field": "host", "op": "regex", "value": "("}],
        [{"field": "host", "op": "like", "value": "x"}],
    ],
)
@pytest.mark.django_db
def test_an_invalid_rule_is_refused_and_nothing_saved(soc, conditions):
    with pytest.raises(DomainError) as err:
        services.save_rule(actor=soc.analyst, code="bad", name="Bad", conditions=conditions)
    assert err.value.code == "security_invalid_rule"


@pytest.mark.django_db
def test_only_the_centre_configures_rules(soc):
    with pytest.raises(DomainError) as err:
        services.save_rule(
            actor=soc.stc_admin,
            code="x",
            name="X",
            conditions=[{"field": "host", "op": "eq", "value": "a"}],
        )
    assert err.value.code == "permission_denied"


@pytest.mark.django_db
def test_raw_events_past_the_retention_are_purged(soc):
    source = services.internal_source()
    old = timezone.now() - dt.timedelta(days=400)
    ingest(source=source, items=[_failed_login("cu", old)], received_at=old)
    ingest(source=source, items=[_failed_login("moi", timezone.now())])
    assert services.purge_events(days=365) == 1
    assert list(Event.objects.values_list("user_name", flat=True)) == ["moi"]
