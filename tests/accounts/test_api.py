"""API: /api/v1/me, token authentication for other systems, 2FA-gated browser sessions."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from tests.accounts.factories import citizen, login_fully, login_password, official, province_tree
from tinhso.accounts.models import ApiToken, Role

pytestmark = pytest.mark.django_db


def test_me_lists_roles_per_agency_for_an_official_past_the_second_factor(client):
    tree = province_tree()
    user = official(
        roles=[
            (tree["huyen"], Role.LEADER),
            (tree["huyen"], Role.AGENCY_ADMIN),
            (tree["stc"], Role.SPECIALIST),
        ]
    )
    login_fully(client, user)
    response = client.get("/api/v1/me")
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == user.username
    assert body["kind"] == "official"
    assert body["second_factor_enrolled"] is True
    assert body["is_platform_admin"] is False
    by_agency = {a["agency_code"]: sorted(r["code"] for r in a["roles"]) for a in body["agencies"]}
    assert by_agency == {"H99.01": ["specialist"], "H99.02": ["agency_admin", "leader"]}


def test_me_for_a_citizen_session(client):
    user = citizen()
    login_password(client, user)
    body = client.get("/api/v1/me").json()
    assert body["kind"] == "citizen" and body["agencies"] == []


def test_official_session_without_second_factor_is_not_an_api_session(client):
    user = official()
    login_password(client, user)  # password only
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_anonymous_gets_a_vietnamese_error(client):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json() == {"code": "not_authenticated", "message": "Bạn cần đăng nhập."}


def test_token_issued_by_command_authenticates_another_system(client):
    system = official("he-thong-ngoai", totp=False)
    out = StringIO()
    call_command("issue-token", "he-thong-ngoai", stdout=out, stderr=StringIO())
    key = out.getvalue().strip()
    [token] = ApiToken.objects.filter(user=system)
    assert token.key_hash == ApiToken.hash_key(key) and key not in token.key_hash  # hashed
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200
    assert response.json()["username"] == "he-thong-ngoai"


def test_reissuing_a_token_revokes_the_old_one(client):
    official("he-thong-ngoai", totp=False)
    first, second = StringIO(), StringIO()
    call_command("issue-token", "he-thong-ngoai", stdout=first, stderr=StringIO())
    call_command("issue-token", "he-thong-ngoai", stdout=second, stderr=StringIO())
    old = first.getvalue().strip()
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Token {old}")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
    new = second.getvalue().strip()
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Token {new}").status_code == 200
