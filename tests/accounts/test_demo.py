"""Demo logins: every demo official gets the demo password and a working second factor."""

from __future__ import annotations

from io import StringIO

import pytest

from tests.accounts.factories import province_tree
from tinhso.accounts import demo, otp, services
from tinhso.accounts.models import Role, User

pytestmark = pytest.mark.django_db


class Out(StringIO):
    def write(self, text):  # like a management command's stdout: one line per write
        return super().write(text + "\n")


@pytest.fixture
def demo_people():
    """What the directory demo leaves behind: officials with roles, no password, no TOTP."""
    tree = province_tree()
    people = {}
    for username, agency, role in [
        ("qtnt.demo", "ubnd", Role.PLATFORM_ADMIN),
        ("qtcq.demo", "stc", Role.AGENCY_ADMIN),
        ("lanhdao.demo", "huyen", Role.LEADER),
        ("vanthu.demo", "stc", Role.CLERK),
        ("motcua.demo", "xa", Role.ONESTOP_OFFICER),
        ("chuyenvien.demo", "stc", Role.SPECIALIST),
    ]:
        user = services.create_official(username=username, full_name=f"Người {username}")
        services.grant_role(user=user, agency=tree[agency], role=role)
        people[username] = user
    people["congdan.demo"] = services.create_citizen(
        username="congdan.demo", full_name="Trần Thị Dân", citizen_id="001190000001"
    )
    return people


def _snapshot():
    return list(
        User.objects.order_by("pk").values_list(
            "pk", "password", "totp_secret_encrypted", "totp_confirmed_at", "totp_last_step"
        )
    )


def test_load_gives_demo_password_and_second_factor_and_is_idempotent(demo_people, client):
    demo.load(Out())
    for user in User.objects.all():
        assert user.check_password(demo.DEMO_PASSWORD)
        if user.is_official:
            assert user.totp_confirmed_at is not None
            assert otp.user_secret(user) == demo.demo_secret(user.username)
            assert demo.is_demo_user(user)
        else:
            assert user.totp_confirmed_at is None
    before = _snapshot()
    demo.load(Out())
    assert _snapshot() == before

    leader = User.objects.get(username="lanhdao.demo")
    client.post("/accounts/login/", {"username": "lanhdao.demo", "password": demo.DEMO_PASSWORD})
    code = otp.current_code(demo.demo_secret("lanhdao.demo"))
    assert client.post("/accounts/otp/", {"code": code}).status_code == 302
    assert client.get("/").status_code == 200
    assert leader.pk


def test_load_keeps_existing_passwords(demo_people):
    user = demo_people["lanhdao.demo"]
    user.set_password("Rieng-2026-mat-khau")
    user.save()
    demo.load(Out())
    user.refresh_from_db()
    assert user.check_password("Rieng-2026-mat-khau")


def test_print_logins_lists_one_login_per_role_and_a_citizen(demo_people):
    demo.load(Out())
    out = Out()
    demo.print_logins(out)
    text = out.getvalue()
    assert demo.DEMO_PASSWORD in text
    for username in [
        "qtnt.demo",
        "qtcq.demo",
        "lanhdao.demo",
        "vanthu.demo",
        "motcua.demo",
        "chuyenvien.demo",
        "congdan.demo",
    ]:
        assert username in text
    assert "Quản trị nền tảng" in text and "Cán bộ một cửa" in text
    assert "tinhso otp-code" in text
