"""The trail page, entry page, API and admin: who sees what, filters, pagination."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tinhso.accounts.middleware import SESSION_KEY
from tinhso.accounts.models import Role
from tinhso.accounts.services import create_official, grant_role
from tinhso.audit.services import record
from tinhso.directory.models import Agency


def login(client, user):
    client.force_login(user)
    session = client.session
    session[SESSION_KEY] = True
    session.save()


@pytest.fixture
def world(db):
    province = Agency(code="H99", name="UBND tỉnh Thử nghiệm")
    province.save()
    finance = Agency(code="H99.01", name="Sở Tài chính", parent=province)
    finance.save()
    health = Agency(code="H99.02", name="Sở Y tế", parent=province)
    health.save()
    platform = create_official(username="qtnt", full_name="Quản trị Nền tảng")
    grant_role(user=platform, agency=province, role=Role.PLATFORM_ADMIN)
    fin_admin = create_official(username="qtcq", full_name="Quản trị Sở Tài chính")
    grant_role(user=fin_admin, agency=finance, role=Role.AGENCY_ADMIN)
    specialist = create_official(username="chuyenvien", full_name="Chuyên Viên")
    grant_role(user=specialist, agency=finance, role=Role.SPECIALIST)
    record(actor=specialist, action="test.finance_edit", agency=finance, summary={"x": "Tài"})
    record(actor=platform, action="test.health_edit", agency=health, object_id="HS-7")
    record(actor=None, action="test.system_job", summary={"job": "nightly"})
    return {
        "finance": finance,
        "health": health,
        "platform": platform,
        "fin_admin": fin_admin,
        "specialist": specialist,
    }


def actions_on_page(response) -> set[str]:
    return {e.action for e in response.context["page"].object_list}


def test_platform_admin_sees_every_entry(client, world):
    login(client, world["platform"])
    response = client.get(reverse("audit:trail"), {"action": "test."})
    assert response.status_code == 200
    assert actions_on_page(response) == {
        "test.finance_edit",
        "test.health_edit",
        "test.system_job",
    }


def test_agency_admin_sees_only_their_agencies_entries(client, world):
    login(client, world["fin_admin"])
    response = client.get(reverse("audit:trail"), {"action": "test."})
    assert response.status_code == 200
    assert actions_on_page(response) == {"test.finance_edit"}


def test_official_without_admin_role_is_refused(client, world):
    login(client, world["specialist"])
    assert client.get(reverse("audit:trail")).status_code == 403
    response = client.get("/api/v1/audit/entries")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_anonymous_is_sent_to_login(client, world):
    response = client.get(reverse("audit:trail"))
    assert response.status_code == 302
    assert "/accounts/" in response["Location"]


def test_filters_by_actor_action_object_agency_and_dates(client, world):
    login(client, world["platform"])
    url = reverse("audit:trail")
    assert actions_on_page(client.get(url, {"actor": "chuyenvien", "action": "test."})) == {
        "test.finance_edit"
    }
    assert actions_on_page(client.get(url, {"object": "HS-7"})) == {"test.health_edit"}
    assert actions_on_page(client.get(url, {"agency": "H99.02"})) == {"test.health_edit"}
    assert actions_on_page(client.get(url, {"agency": "so y te"})) == {"test.health_edit"}
    today = timezone.localdate()
    assert actions_on_page(client.get(url, {"action": "test.", "date_from": today})) == {
        "test.finance_edit",
        "test.health_edit",
        "test.system_job",
    }
    tomorrow = today + timedelta(days=1)
    assert actions_on_page(client.get(url, {"action": "test.", "date_from": tomorrow})) == set()
    yesterday = today - timedelta(days=1)
    assert actions_on_page(client.get(url, {"action": "test.", "date_to": yesterday})) == set()


def test_bad_date_in_the_page_shows_an_error_not_a_500(client, world):
    login(client, world["platform"])
    response = client.get(reverse("audit:trail"), {"date_from": "31/02/2026"})
    assert response.status_code == 200
    assert response.context["form"].errors["date_from"]


def test_trail_is_paginated(client, world):
    for i in range(60):
        record(actor=None, action="test.bulk", object_id=str(i))
    login(client, world["platform"])
    first = client.get(reverse("audit:trail"), {"action": "test.bulk"})
    assert len(first.context["page"].object_list) == 50
    second = client.get(reverse("audit:trail"), {"action": "test.bulk", "page": 2})
    assert len(second.context["page"].object_list) == 10
    assert b"action=test.bulk&amp;page=2" in first.content


def test_entry_page_shows_the_summary_json_and_hides_other_agencies(client, world):
    finance_entry = record(
        actor=world["specialist"],
        action="test.detail",
        agency=world["finance"],
        summary={"trích yếu": "Công văn số 12"},
    )
    health_entry = record(actor=None, action="test.detail", agency=world["health"])
    login(client, world["fin_admin"])
    response = client.get(reverse("audit:entry", args=[finance_entry.pk]))
    assert response.status_code == 200
    assert "Công văn số 12" in response.content.decode()
    assert "trích yếu" in response.content.decode()
    assert client.get(reverse("audit:entry", args=[health_entry.pk])).status_code == 404


def test_api_lists_visible_entries_with_the_same_filters(client, world):
    login(client, world["fin_admin"])
    response = client.get("/api/v1/audit/entries", {"action": "test."})
    assert response.status_code == 200
    body = response.json()
    assert [e["action"] for e in body["results"]] == ["test.finance_edit"]
    assert body["results"][0]["agency_code"] == "H99.01"
    assert body["results"][0]["summary"] == {"x": "Tài"}
    login(client, world["platform"])
    body = client.get("/api/v1/audit/entries", {"object": "HS-7"}).json()
    assert [e["action"] for e in body["results"]] == ["test.health_edit"]


def test_api_bad_date_is_a_400_with_a_code(client, world):
    login(client, world["platform"])
    response = client.get("/api/v1/audit/entries", {"date_to": "2026-13-40"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_date"


def test_django_admin_shows_the_trail_read_only(client, world):
    admin = create_official(username="sieuquantri", full_name="Siêu quản trị")
    admin.is_superuser = True
    admin.is_staff = True
    admin.save()
    login(client, admin)
    assert client.get("/admin/audit/auditentry/").status_code == 200
    assert client.get("/admin/audit/auditentry/add/").status_code == 403


def test_trail_page_entry_page_and_api_show_unsealed_entries_with_a_badge(client, world):
    from tinhso.audit.services import seal_pending

    seal_pending()  # the fixture's three entries
    pending = record(actor=None, action="test.pending", agency=world["finance"])
    login(client, world["platform"])
    page = client.get(reverse("audit:trail"), {"action": "test."})
    html = page.content.decode()
    assert actions_on_page(page) >= {"test.pending", "test.finance_edit"}
    assert html.count("chưa niêm phong") == 1
    assert reverse("audit:entry", args=[pending.pk]) in html
    detail = client.get(reverse("audit:entry", args=[pending.pk])).content.decode()
    assert "chưa niêm phong" in detail
    body = client.get("/api/v1/audit/entries", {"action": "test."}).json()
    newest = body["results"][0]
    assert (newest["action"], newest["sealed"], newest["seq"], newest["hash"]) == (
        "test.pending",
        False,
        None,
        None,
    )
    last_sealed = body["results"][1]["seq"]
    assert body["results"][1]["sealed"] is True and isinstance(last_sealed, int)
    seal_pending()
    html = client.get(reverse("audit:trail"), {"action": "test."}).content.decode()
    assert "chưa niêm phong" not in html
    detail = client.get(reverse("audit:entry", args=[pending.pk])).content.decode()
    assert f"#{last_sealed + 1}" in detail
