"""Logging in: passwords, the Vietnamese lockout message, the second factor for officials."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from tests.accounts.factories import citizen, code_for, login_password, official
from tinhso.accounts import throttle
from tinhso.accounts.middleware import SESSION_KEY
from tinhso.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_login_page_is_vietnamese_with_labelled_fields(client):
    html = client.get("/accounts/login/").content.decode()
    assert '<html lang="vi">' in html
    assert '<label class="form-label" for="id_username">Tên đăng nhập</label>' in html
    assert '<label class="form-label" for="id_password">Mật khẩu</label>' in html
    assert "Quên mật khẩu?" in html


def test_citizen_logs_in_with_password_alone_and_is_audited(client):
    user = citizen()
    response = login_password(client, user)
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200
    assert AuditEntry.objects.filter(action="accounts.login", actor_id=user.pk).exists()


def test_wrong_password_shows_message(client):
    user = citizen()
    response = login_password(client, user, password="sai-mat-khau-1")
    assert response.status_code == 200
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_after_five_failures_even_the_right_password_waits_and_the_time_is_shown(client):
    user = citizen()
    for _ in range(5):
        login_password(client, user, password="sai-mat-khau-1")
    until = throttle.blocked_until("account", throttle.account_name(user.username))
    assert until is not None and until > timezone.now()
    response = login_password(client, user)  # the right password, during the wait
    html = response.content.decode()
    assert response.status_code == 200
    local = timezone.localtime(until)
    assert "Đăng nhập sai nhiều lần" in html
    assert f"{local:%H:%M:%S} ngày {local:%d/%m/%Y}" in html
    assert "_auth_user_id" not in client.session


def test_the_wait_ends(client):
    user = citizen()
    for _ in range(5):
        login_password(client, user, password="sai-mat-khau-1")
    key = throttle._cache_key("account", throttle.account_name(user.username), "until")
    cache.set(key, timezone.now() - timedelta(seconds=1))
    assert login_password(client, user).status_code == 302


def test_official_password_alone_gives_no_access_until_one_time_code(client):
    user = official()
    response = login_password(client, user)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/otp/?next=")
    # Any page but the login pages sends them back to the second factor.
    home = client.get("/")
    assert home.status_code == 302 and home["Location"].startswith("/accounts/otp/")
    assert client.get("/accounts/password/change/").status_code == 302
    response = client.post("/accounts/otp/", {"code": code_for(user)})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.session[SESSION_KEY] is True
    assert client.get("/").status_code == 200
    assert AuditEntry.objects.filter(action="accounts.login_2fa", actor_id=user.pk).exists()


def test_official_without_totp_is_sent_to_enrolment(client):
    user = official(totp=False)
    response = login_password(client, user)
    assert response["Location"].startswith("/accounts/otp/enrol/")
    assert client.get("/")["Location"].startswith("/accounts/otp/enrol/")


def test_next_is_kept_through_the_second_factor_and_foreign_urls_are_refused(client):
    user = official()
    client.post(
        "/accounts/login/?next=/accounts/password/change/",
        {
            "username": user.username,
            "password": "Mat-khau-2026",
            "next": "/accounts/password/change/",
        },
    )
    response = client.post(
        "/accounts/otp/", {"code": code_for(user), "next": "/accounts/password/change/"}
    )
    assert response["Location"] == "/accounts/password/change/"
    client.post("/accounts/logout/")
    login_password(client, user)
    response = client.post(
        "/accounts/otp/", {"code": code_for(user, 1), "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_logout_ends_the_session(client):
    user = citizen()
    login_password(client, user)
    response = client.post("/accounts/logout/", follow=True)
    assert "Bạn đã đăng xuất." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_htmx_requests_without_second_factor_redirect_the_whole_page(client):
    user = official()
    login_password(client, user)
    response = client.get("/", HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith("/accounts/otp/?next=")
