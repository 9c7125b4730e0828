"""Agency administrators grant and withdraw roles, only inside their agencies."""

from __future__ import annotations

import pytest

from tests.accounts.factories import citizen, login_fully, official, province_tree
from tinhso.accounts import services
from tinhso.accounts.models import Role, RoleGrant
from tinhso.audit.models import AuditEntry
from tinhso.core.errors import Conflict, PermissionDenied, ValidationFailed

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    return province_tree()


def test_district_admin_grants_a_role_in_a_commune_below(client, tree):
    admin = official(roles=[(tree["huyen"], Role.AGENCY_ADMIN)])
    clerk = official("vanthu.xa")
    login_fully(client, admin)
    page = client.get("/accounts/roles/?agency=H99.02.01")
    assert page.status_code == 200
    options = page.content.decode()
    assert "Ủy ban nhân dân xã Suối Trong" in options and "Sở Tài chính" not in options
    response = client.post(
        "/accounts/roles/",
        {"action": "grant", "agency": "H99.02.01", "username": "vanthu.xa", "role": "clerk"},
    )
    assert response.status_code == 302
    assert RoleGrant.objects.filter(user=clerk, agency=tree["xa"], role="clerk").exists()
    assert AuditEntry.objects.filter(action="accounts.grant_role", actor_id=admin.pk).exists()

    response = client.post(
        "/accounts/roles/",
        {"action": "revoke", "agency": "H99.02.01", "user": str(clerk.uid), "role": "clerk"},
    )
    assert response.status_code == 302
    assert not RoleGrant.objects.filter(user=clerk, agency=tree["xa"]).exists()


def test_admin_cannot_grant_outside_their_agencies(client, tree):
    admin = official(roles=[(tree["huyen"], Role.AGENCY_ADMIN)])
    target = official()
    with pytest.raises(PermissionDenied):
        services.assign_role(actor=admin, user=target, agency=tree["stc"], role=Role.CLERK)
    # Through the page, an agency outside falls back to one they administer.
    login_fully(client, admin)
    client.post(
        "/accounts/roles/",
        {"action": "grant", "agency": "H99.01", "username": target.username, "role": "clerk"},
    )
    assert not RoleGrant.objects.filter(user=target, agency=tree["stc"]).exists()


def test_only_platform_admins_grant_platform_admin(tree):
    admin = official(roles=[(tree["ubnd"], Role.AGENCY_ADMIN)])
    target = official()
    with pytest.raises(PermissionDenied) as err:
        services.assign_role(
            actor=admin, user=target, agency=tree["ubnd"], role=Role.PLATFORM_ADMIN
        )
    assert err.value.code == "platform_admin_only"
    root = official(roles=[(tree["ubnd"], Role.PLATFORM_ADMIN)])
    services.assign_role(actor=root, user=target, agency=tree["ubnd"], role=Role.PLATFORM_ADMIN)


def test_roles_go_to_officials_only_and_the_last_admin_stays(tree):
    admin = official(roles=[(tree["stc"], Role.AGENCY_ADMIN)])
    with pytest.raises(ValidationFailed):
        services.assign_role(actor=admin, user=citizen(), agency=tree["stc"], role=Role.CLERK)
    with pytest.raises(Conflict):
        services.withdraw_role(actor=admin, user=admin, agency=tree["stc"], role=Role.AGENCY_ADMIN)
    assert RoleGrant.objects.filter(user=admin, role=Role.AGENCY_ADMIN).exists()


def test_page_shows_errors_for_unknown_usernames(client, tree):
    admin = official(roles=[(tree["stc"], Role.AGENCY_ADMIN)])
    login_fully(client, admin)
    response = client.post(
        "/accounts/roles/",
        {"action": "grant", "agency": "H99.01", "username": "khong.ai", "role": "clerk"},
    )
    assert response.status_code == 400
    assert "Không có tài khoản nào" in response.content.decode()
    for bad in ["", "khong-phai-uuid", "00000000-0000-0000-0000-000000000000"]:
        response = client.post(
            "/accounts/roles/",
            {"action": "revoke", "agency": "H99.01", "user": bad, "role": "clerk"},
            follow=True,
        )
        assert "Không tìm thấy tài khoản." in response.content.decode(), bad
    response = client.post(
        "/accounts/roles/",
        {"action": "revoke", "agency": "H99.01", "user": str(admin.uid), "role": "agency_admin"},
        follow=True,
    )
    assert "cơ quan sẽ không còn ai quản trị" in response.content.decode()


def test_officials_without_admin_role_get_403(client, tree):
    user = official(roles=[(tree["stc"], Role.LEADER)])
    login_fully(client, user)
    assert client.get("/accounts/roles/").status_code == 403
