"""The Django admin behind the second factor; issuing a token from the admin."""

from __future__ import annotations

import re

import pytest

from tests.accounts.factories import login_fully, login_password, official, province_tree
from tinhso.accounts.models import ApiToken, Role, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user():
    tree = province_tree()
    user = official("quantri", roles=[(tree["ubnd"], Role.PLATFORM_ADMIN)])
    User.objects.filter(pk=user.pk).update(is_staff=True, is_superuser=True)
    user.refresh_from_db()
    return user


def test_admin_needs_the_second_factor(client, admin_user):
    login_password(client, admin_user)
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/otp/")


def test_admin_issues_an_api_token(client, admin_user):
    system = official("he-thong", totp=False)
    login_fully(client, admin_user)
    assert client.get("/admin/accounts/user/").status_code == 200
    response = client.post(
        "/admin/accounts/user/",
        {"action": "issue_api_token", "_selected_action": [system.pk]},
        follow=True,
    )
    html = response.content.decode()
    key = re.search(r"he-thong: ([0-9a-f]{40})", html.lower()).group(1)  # capitalised
    assert ApiToken.objects.get(user=system).key_hash == ApiToken.hash_key(key)
