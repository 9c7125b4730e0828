"""Password reset by e-mail (through the outbox), the password policy, password change."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from tests.accounts.factories import PASSWORD, citizen, login_fully, login_password, official
from tinhso.notify.models import Message

pytestmark = pytest.mark.django_db


def test_reset_sends_a_link_by_email_that_sets_a_new_password(client):
    user = citizen(email="nguoidan@example.com")
    response = client.post("/accounts/password/reset/", {"email": "nguoidan@example.com"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/done/"
    message = Message.objects.get(address="nguoidan@example.com")
    assert message.channel == Message.Channel.EMAIL
    assert message.subject.startswith("Đặt lại mật khẩu")
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", message.body).group(1)

    page = client.get(link, follow=True)
    assert "Đặt mật khẩu mới" in page.content.decode()
    set_url = page.redirect_chain[-1][0]
    done = client.post(
        set_url, {"new_password1": "Song-Lam-2027x", "new_password2": "Song-Lam-2027x"}
    )
    assert done.status_code == 302
    assert login_password(client, user, password="Song-Lam-2027x").status_code == 302
    # The link works once.
    client.post("/accounts/logout/")
    again = client.get(link, follow=True)
    assert "không hợp lệ hoặc đã được dùng" in again.content.decode()


def test_reset_for_unknown_address_sends_nothing_and_reveals_nothing(client):
    response = client.post("/accounts/password/reset/", {"email": "khong-ai@example.com"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/done/"
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    "password, code",
    [
        ("Ab1-ngan", "password_too_short"),
        ("1234567890123", "password_entirely_numeric"),
        ("chi-co-chu-cai-thoi", "password_character_classes"),
        ("password123", "password_too_common"),
    ],
)
def test_password_policy_rejects_weak_passwords(password, code):
    with pytest.raises(ValidationError) as err:
        validate_password(password)
    assert code in {e.code for e in err.value.error_list}


def test_password_policy_accepts_a_good_password():
    validate_password("Tinh-So-2026-an-toan")


def test_policy_errors_are_shown_in_vietnamese_on_change(client):
    user = citizen()
    login_password(client, user)
    response = client.post(
        "/accounts/password/change/",
        {"old_password": PASSWORD, "new_password1": "abc", "new_password2": "abc"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Mật khẩu phải có cả chữ cái và chữ số." in html
    assert 'aria-invalid="true"' in html


def test_official_changes_password_after_second_factor(client):
    user = official()
    login_fully(client, user)
    response = client.post(
        "/accounts/password/change/",
        {
            "old_password": PASSWORD,
            "new_password1": "Moi-Mat-Khau-2027",
            "new_password2": "Moi-Mat-Khau-2027",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Moi-Mat-Khau-2027")
    # The session survives the change (and keeps its second-factor flag).
    assert client.get("/").status_code == 200
