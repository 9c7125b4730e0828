"""Someone who has an official's password cannot guess one-time codes forever (issue 7
item 1): wrong codes are counted apart from passwords and only a right code resets them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.accounts.factories import code_for, login_password, official
from tinhso.accounts.middleware import SESSION_KEY
from tinhso.accounts.models import User
from tinhso.notify.models import Message

pytestmark = pytest.mark.django_db


def _wrong(user: User) -> str:
    return f"{(int(code_for(user)) + 500_000) % 1_000_000:06d}"


def test_re_entering_the_password_does_not_buy_new_code_attempts(client):
    """The reported attack: 4 wrong codes, the right password again, 4 more, and so on."""
    victim = official("chuyenvien.stp")
    refused_with_lock = 0
    for _round in range(4):
        client.logout()
        assert login_password(client, victim).status_code == 302  # the attacker's password
        for _ in range(4):
            response = client.post("/accounts/otp/", {"code": _wrong(victim)})
            assert response.status_code == 400
            if "Tài khoản tạm khóa" in response.content.decode():
                refused_with_lock += 1
    victim.refresh_from_db()
    # The password logins did not reset the count: the delay started at the 5th code...
    assert victim.otp_failure_count >= 5
    assert victim.otp_blocked_until is not None and victim.otp_blocked_until > timezone.now()
    assert refused_with_lock >= 10
    # ...and while it runs even the right code is refused.
    client.logout()
    login_password(client, victim)
    response = client.post("/accounts/otp/", {"code": code_for(victim)})
    assert response.status_code == 400
    assert "Tài khoản tạm khóa" in response.content.decode()
    assert not client.session.get(SESSION_KEY)


def test_each_further_wrong_code_makes_the_wait_longer(client):
    victim = official()
    login_password(client, victim)
    waits = []
    for _ in range(8):
        User.objects.filter(pk=victim.pk).update(otp_blocked_until=None)  # the wait is over
        client.post("/accounts/otp/", {"code": _wrong(victim)})
        victim.refresh_from_db()
        if victim.otp_blocked_until:
            waits.append(victim.otp_blocked_until - timezone.now())
    assert len(waits) == 4  # the 5th, 6th, 7th and 8th wrong codes
    assert all(later > earlier * 1.8 for earlier, later in zip(waits, waits[1:], strict=False))
    assert waits[-1] <= timedelta(minutes=15, seconds=1)


def test_owner_is_told_when_someone_with_their_password_guesses_codes(client):
    victim = official(email="victim@example.gov.vn")
    login_password(client, victim)
    for _ in range(5):
        client.post("/accounts/otp/", {"code": _wrong(victim)})
    warning = Message.objects.get(template="accounts_otp_failures")
    assert warning.address == "victim@example.gov.vn"
    assert "đổi mật khẩu" in warning.body


def test_only_a_right_code_resets_the_count(client):
    victim = official()
    login_password(client, victim)
    for _ in range(3):
        client.post("/accounts/otp/", {"code": _wrong(victim)})
    client.logout()
    login_password(client, victim)  # a right password alone
    victim.refresh_from_db()
    assert victim.otp_failure_count == 3
    response = client.post("/accounts/otp/", {"code": code_for(victim)})
    assert response.status_code == 302
    victim.refresh_from_db()
    assert victim.otp_failure_count == 0 and victim.otp_blocked_until is None
