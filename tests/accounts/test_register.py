"""Citizens and businesses open their own account; the ID number is the username."""

from __future__ import annotations

import re

import pytest

from tests.accounts.factories import citizen
from tinhso.accounts.models import User
from tinhso.notify.models import Message

pytestmark = pytest.mark.django_db

GOOD = {
    "kind": "citizen",
    "full_name": "Nguyễn Thị Thử",
    "citizen_id": "001190012345",
    "tax_code": "",
    "email": "thu@example.com",
    "phone": "0912345678",
    "password1": "Song-Lam-2026x",
    "password2": "Song-Lam-2026x",
}


def _activation_link() -> str:
    message = Message.objects.filter(template="accounts_activate").latest("pk")
    return re.search(r"http://[^/]+(/accounts/activate/[^\s]+/)", message.body).group(1)


def test_citizen_registers_confirms_the_e_mail_and_is_logged_in(client):
    response = client.post("/accounts/register/", GOOD)
    assert response.status_code == 200
    assert "Kiểm tra thư điện tử" in response.content.decode()
    user = User.objects.get(username="001190012345")
    assert user.kind == User.Kind.CITIZEN and user.citizen_id == "001190012345"
    assert not user.is_active and user.pending_activation  # cannot log in yet
    assert (
        client.post(
            "/accounts/login/", {"username": "001190012345", "password": "Song-Lam-2026x"}
        ).status_code
        == 200
    )
    message = Message.objects.get(template="accounts_activate")
    assert message.address == "thu@example.com"
    response = client.get(_activation_link())
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.is_active and not user.pending_activation
    assert user.check_password("Song-Lam-2026x")
    assert client.get("/").context["user"] == user
    # The link works once.
    client.logout()
    assert client.get(_activation_link()).status_code == 400


def test_business_registers_with_its_tax_code(client):
    data = {**GOOD, "kind": "business", "citizen_id": "", "tax_code": "0101234567"}
    assert client.post("/accounts/register/", data).status_code == 200
    user = User.objects.get(username="0101234567")
    assert user.kind == User.Kind.BUSINESS and user.tax_code == "0101234567"
    assert client.get(_activation_link()).status_code == 302


def test_a_forged_or_damaged_activation_link_opens_nothing(client):
    client.post("/accounts/register/", GOOD)
    link = _activation_link()
    for bad in [link[:-6] + "xxxxx/", "/accounts/activate/khong-hop-le/"]:
        response = client.get(bad)
        assert response.status_code == 400
        assert "Đường dẫn kích hoạt không hợp lệ" in response.content.decode()
    assert not User.objects.get(username="001190012345").is_active


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"citizen_id": "12345"}, "citizen_id", "đúng 12 chữ số"),
        ({"citizen_id": ""}, "citizen_id", "Vui lòng nhập"),
        ({"password2": "khac-nhau-2026"}, "password2", "không khớp"),
        ({"password1": "abc", "password2": "abc"}, "password1", "chữ cái và chữ số"),
        ({"email": "khong-phai-email"}, "email", ""),
    ],
)
def test_bad_registration_shows_the_error_and_creates_nothing(client, change, field, message):
    response = client.post("/accounts/register/", {**GOOD, **change})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors and message in " ".join(errors[field])
    assert not User.objects.exists()


def test_a_number_cannot_be_registered_twice(client):
    owner = citizen("001190012345")
    response = client.post("/accounts/register/", GOOD)
    assert response.status_code == 200  # the same answer as a new number (see below)
    assert User.objects.count() == 1
    owner.refresh_from_db()
    assert owner.check_password("Mat-khau-2026") and owner.email != GOOD["email"]
