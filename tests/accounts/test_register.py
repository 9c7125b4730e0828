"""Citizens and businesses open their own account; the ID number is the username."""

from __future__ import annotations

import pytest

from tests.accounts.factories import citizen
from tinhso.accounts.models import User

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


def test_citizen_registers_and_is_logged_in(client):
    response = client.post("/accounts/register/", GOOD)
    assert response.status_code == 302
    user = User.objects.get(username="001190012345")
    assert user.kind == User.Kind.CITIZEN and user.citizen_id == "001190012345"
    assert user.check_password("Song-Lam-2026x")
    assert client.get("/").context["user"] == user


def test_business_registers_with_its_tax_code(client):
    data = {**GOOD, "kind": "business", "citizen_id": "", "tax_code": "0101234567"}
    assert client.post("/accounts/register/", data).status_code == 302
    user = User.objects.get(username="0101234567")
    assert user.kind == User.Kind.BUSINESS and user.tax_code == "0101234567"


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
    citizen("001190012345")
    response = client.post("/accounts/register/", GOOD)
    assert response.status_code == 400
    assert "đã được đăng ký" in response.content.decode()
    assert User.objects.count() == 1
