"""Garbage in any accounts form gives a message, never a 500, and changes nothing."""

from __future__ import annotations

import pytest

from tests.accounts.factories import login_password, official
from tinhso.accounts.models import User

pytestmark = pytest.mark.django_db

JUNK = [
    {},
    {"username": "x" * 5000, "password": "y" * 5000},
    {"code": "abcdef"},
    {"code": "１２３４５６"},  # full-width digits
    {"email": "\x00@example.com"},
    {"next": "javascript:alert(1)"},
    {"kind": "khong-co", "citizen_id": "<script>", "tax_code": "9" * 20},
]


@pytest.mark.parametrize(
    "url",
    [
        "/accounts/login/",
        "/accounts/register/",
        "/accounts/password/reset/",
    ],
)
def test_public_forms_survive_junk(client, url):
    for data in JUNK:
        response = client.post(url, data)
        assert response.status_code in (200, 302, 400), (url, data, response.status_code)
    assert not User.objects.exists()


def test_second_factor_pages_survive_junk(client):
    user = official()
    enrolling = official(totp=False)
    login_password(client, user)
    for data in JUNK:
        assert client.post("/accounts/otp/", data).status_code in (200, 302, 400)
    client.post("/accounts/logout/")
    login_password(client, enrolling)
    for data in JUNK:
        assert client.post("/accounts/otp/enrol/", data).status_code in (200, 302, 400)
    enrolling.refresh_from_db()
    assert enrolling.totp_confirmed_at is None
