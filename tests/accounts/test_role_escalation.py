"""An agency administrator cannot grant roles elsewhere, nor to themselves (issue 7 item 11).

Each test is the attacker's request; each checks that nothing changed.
"""

from __future__ import annotations

import pytest

from tests.accounts.factories import login_fully, official, province_tree
from tinhso.accounts import services
from tinhso.accounts.errors import AccountsErrorCode
from tinhso.accounts.models import Role, RoleGrant
from tinhso.audit.models import AuditEntry
from tinhso.core.errors import PermissionDenied

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    return province_tree()


def _grants() -> set[tuple[int, int, str]]:
    return set(RoleGrant.objects.values_list("user_id", "agency_id", "role"))


def test_page_refuses_a_grant_in_an_agency_the_admin_does_not_manage(client, tree):
    admin = official(roles=[(tree["stc"], Role.AGENCY_ADMIN)])
    target = official()
    before = _grants()
    login_fully(client, admin)
    for code in ["H99.02", "H99", "KHONG-CO", ""]:
        response = client.post(
            "/accounts/roles/",
            {"action": "grant", "agency": code, "username": target.username, "role": "leader"},
        )
        assert response.status_code == 403, code
        assert "Bạn chỉ quản lý được vai trò trong cơ quan mình quản trị." in (
            response.content.decode()
        )
    # Nothing was granted, in that agency or silently in the admin's own one.
    assert _grants() == before
    assert not AuditEntry.objects.filter(action="accounts.grant_role", actor_id=admin.pk).exists()


def test_page_refuses_a_revoke_in_an_agency_the_admin_does_not_manage(client, tree):
    admin = official(roles=[(tree["stc"], Role.AGENCY_ADMIN)])
    other = official(roles=[(tree["huyen"], Role.LEADER), (tree["stc"], Role.LEADER)])
    before = _grants()
    login_fully(client, admin)
    response = client.post(
        "/accounts/roles/",
        {"action": "revoke", "agency": "H99.02", "user": str(other.uid), "role": "leader"},
    )
    assert response.status_code == 403
    assert _grants() == before


def test_api_refuses_a_grant_in_an_agency_the_admin_does_not_manage(client, tree):
    admin = official(roles=[(tree["stc"], Role.AGENCY_ADMIN)])
    target = official()
    before = _grants()
    login_fully(client, admin)
    response = client.post(
        "/api/v1/accounts/agencies/H99.02/roles",
        {"username": target.username, "role": "leader"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json()["code"] == "agency_not_managed"
    assert "cơ quan mình quản trị" in response.json()["message"]
    assert _grants() == before
    # The agency they do manage works through the same endpoint.
    response = client.post(
        "/api/v1/accounts/agencies/H99.01/roles",
        {"username": target.username, "role": "clerk"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["role"] == "clerk"
    assert RoleGrant.objects.filter(user=target, agency=tree["stc"], role="clerk").exists()


def test_service_refuses_a_grant_outside_with_a_stable_code(tree):
    admin = official(roles=[(tree["stc"], Role.AGENCY_ADMIN)])
    target = official()
    with pytest.raises(PermissionDenied) as err:
        services.assign_role(actor=admin, user=target, agency=tree["huyen"], role=Role.CLERK)
    assert err.value.code == AccountsErrorCode.AGENCY_NOT_MANAGED == "agency_not_managed"
    assert not RoleGrant.objects.filter(user=target).exists()


def test_admin_cannot_grant_themselves_the_leader_role_anywhere(client, tree):
    admin = official(roles=[(tree["huyen"], Role.AGENCY_ADMIN)])
    before = _grants()
    with pytest.raises(PermissionDenied) as err:
        services.assign_role(actor=admin, user=admin, agency=tree["huyen"], role=Role.LEADER)
    assert err.value.code == "self_grant"

    login_fully(client, admin)
    page = client.post(
        "/accounts/roles/",
        {"action": "grant", "agency": "H99.02.01", "username": admin.username, "role": "leader"},
    )
    assert page.status_code == 403
    assert "Bạn không thể tự cấp vai trò cho chính mình" in page.content.decode()

    api = client.post(
        "/api/v1/accounts/agencies/H99.02/roles",
        {"username": admin.username, "role": "leader"},
        content_type="application/json",
    )
    assert api.status_code == 403
    assert api.json()["code"] == "self_grant"
    assert _grants() == before


def test_api_lists_and_withdraws_roles_only_for_managed_agencies(client, tree):
    admin = official(roles=[(tree["huyen"], Role.AGENCY_ADMIN)])
    clerk = official(roles=[(tree["xa"], Role.CLERK), (tree["stc"], Role.CLERK)])
    login_fully(client, admin)
    listing = client.get("/api/v1/accounts/agencies/H99.02.01/roles")
    assert listing.status_code == 200
    assert [(g["username"], g["role"]) for g in listing.json()] == [(clerk.username, "clerk")]
    assert client.get("/api/v1/accounts/agencies/H99.01/roles").status_code == 403
    assert (
        client.delete(f"/api/v1/accounts/agencies/H99.01/roles/{clerk.uid}/clerk").status_code
        == 403
    )
    assert RoleGrant.objects.filter(user=clerk, agency=tree["stc"]).exists()
    response = client.delete(f"/api/v1/accounts/agencies/H99.02.01/roles/{clerk.uid}/clerk")
    assert response.status_code == 204
    assert not RoleGrant.objects.filter(user=clerk, agency=tree["xa"]).exists()
    assert client.get("/api/v1/accounts/agencies/KHONG/roles").status_code == 404


def test_admin_cannot_appoint_themselves_leader_through_the_directory(tree):
    from tinhso.directory import services as directory_services

    admin = official(roles=[(tree["huyen"], Role.AGENCY_ADMIN)])
    before = _grants()
    with pytest.raises(PermissionDenied) as err:
        directory_services.appoint_official(
            actor=admin, agency=tree["xa"], username=admin.username, roles=[Role.LEADER]
        )
    assert err.value.code == "self_grant"
    assert _grants() == before
