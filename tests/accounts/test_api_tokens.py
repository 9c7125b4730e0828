"""API tokens expire, record their last use, can be revoked by their owner in a page,
and die with a password reset or change (issue 7 item 13). Written as the holder of a
stolen or forgotten token would try to use it."""

from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from tests.accounts.factories import PASSWORD, citizen, login_fully, official
from tinhso.accounts import services
from tinhso.accounts.models import ApiToken
from tinhso.audit.models import AuditEntry
from tinhso.notify.models import Message

pytestmark = pytest.mark.django_db


def _me(key: str):
    return Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Token {key}")


def test_a_token_expires_after_the_configured_days(settings):
    settings.API_TOKEN_DAYS = 90
    system = official("he-thong", totp=False)
    key = services.issue_token(user=system)
    token = ApiToken.objects.get(user=system)
    assert timedelta(days=89, hours=23) < token.expires_at - timezone.now() <= timedelta(days=90)
    assert _me(key).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = _me(key)
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_issue_token_takes_days_and_refuses_nonsense():
    official("he-thong", totp=False)
    out = StringIO()
    call_command("issue-token", "he-thong", "--days", "7", stdout=out, stderr=StringIO())
    token = ApiToken.objects.get(user__username="he-thong", revoked_at__isnull=True)
    assert timedelta(days=6, hours=23) < token.expires_at - timezone.now() <= timedelta(days=7)
    assert _me(out.getvalue().strip()).status_code == 200
    for bad in ["0", "-5", "100000"]:
        with pytest.raises(CommandError, match="Thời hạn của mã truy cập"):
            call_command("issue-token", "he-thong", "--days", bad, stdout=StringIO())
    assert ApiToken.objects.filter(user__username="he-thong").count() == 1  # nothing new


def test_last_use_is_recorded():
    system = official("he-thong", totp=False)
    key = services.issue_token(user=system)
    assert ApiToken.objects.get().last_used_at is None
    _me(key)
    used = ApiToken.objects.get().last_used_at
    assert used is not None and timezone.now() - used < timedelta(seconds=30)


def test_the_owner_sees_and_revokes_their_tokens_in_a_page(client):
    user = official("chuyenvien.ketnoi")
    key = services.issue_token(user=user, name="Phần mềm kế toán")
    _me(key)
    login_fully(client, user)
    page = client.get("/accounts/tokens/")
    html = page.content.decode()
    assert page.status_code == 200
    assert key[:8] in html and key not in html  # the key itself is never shown again
    assert "Phần mềm kế toán" in html and "còn hiệu lực" in html
    token = ApiToken.objects.get(user=user)
    response = client.post(f"/accounts/tokens/{token.uid}/revoke/")
    assert response.status_code == 302
    assert _me(key).status_code == 401
    assert "đã thu hồi" in client.get("/accounts/tokens/").content.decode()
    assert AuditEntry.objects.filter(action="accounts.revoke_token", actor_id=user.pk).exists()


def test_nobody_revokes_or_sees_someone_elses_token(client):
    owner = official("he-thong", totp=False)
    key = services.issue_token(user=owner)
    token = ApiToken.objects.get(user=owner)
    other = citizen()
    client.force_login(other)
    assert token.key_prefix not in client.get("/accounts/tokens/").content.decode()
    response = client.post(f"/accounts/tokens/{token.uid}/revoke/", follow=True)
    assert "Không tìm thấy mã truy cập." in response.content.decode()
    for bad in ["khong-phai-uuid", "00000000-0000-0000-0000-000000000000"]:
        client.post(f"/accounts/tokens/{bad}/revoke/")
    assert _me(key).status_code == 200


def test_a_password_reset_revokes_every_token(client):
    user = citizen(email="chu@example.com")
    key = services.issue_token(user=user)
    client.post("/accounts/password/reset/", {"email": "chu@example.com"})
    body = Message.objects.get(template="accounts_password_reset").body
    link = re.search(r"http://[^/]+(/accounts/reset/[^\s]+/)", body).group(1)
    form = client.get(link, follow=True)
    response = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "Mat-khau-moi-2027", "new_password2": "Mat-khau-moi-2027"},
    )
    assert response.status_code == 302, response.content.decode()[:500]
    assert _me(key).status_code == 401
    assert AuditEntry.objects.filter(action="accounts.revoke_tokens").exists()


def test_a_password_change_revokes_every_token(client):
    user = citizen()
    key = services.issue_token(user=user)
    client.force_login(user)
    response = client.post(
        "/accounts/password/change/",
        {
            "old_password": PASSWORD,
            "new_password1": "Mat-khau-moi-2027",
            "new_password2": "Mat-khau-moi-2027",
        },
    )
    assert response.status_code == 302
    assert _me(key).status_code == 401


def test_tokens_are_stored_hashed():
    system = official("he-thong", totp=False)
    key = services.issue_token(user=system)
    assert not ApiToken.objects.filter(key_hash=key).exists()
    assert not ApiToken.objects.filter(key_prefix=key).exists()
