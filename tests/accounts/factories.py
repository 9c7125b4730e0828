"""Small builders for accounts tests: a province tree, officials with TOTP, login helpers."""

from __future__ import annotations

import itertools

from tinhso.accounts import otp, services
from tinhso.accounts.middleware import SESSION_KEY
from tinhso.accounts.models import User
from tinhso.directory.models import Agency

PASSWORD = "Mat-khau-2026"
_seq = itertools.count(1)


def agency(code: str, name: str, parent: Agency | None = None) -> Agency:
    return Agency.objects.create(code=code, name=name, parent=parent)


def province_tree() -> dict[str, Agency]:
    """UBND tỉnh > Sở Tài chính, UBND huyện > UBND xã (codes in the Decision 20 form)."""
    ubnd = agency("H99", "Ủy ban nhân dân tỉnh Thử Nghiệm")
    stc = agency("H99.01", "Sở Tài chính", ubnd)
    huyen = agency("H99.02", "Ủy ban nhân dân huyện Núi Xanh", ubnd)
    xa = agency("H99.02.01", "Ủy ban nhân dân xã Suối Trong", huyen)
    return {"ubnd": ubnd, "stc": stc, "huyen": huyen, "xa": xa}


def official(
    username: str | None = None,
    *,
    roles: list[tuple[Agency, str]] = (),
    totp: bool = True,
    email: str = "",
) -> User:
    username = username or f"canbo{next(_seq)}"
    user = services.create_official(
        username=username,
        full_name=f"Cán bộ {username}",
        email=email or f"{username}@example.gov.vn",
        password=PASSWORD,
    )
    for ag, role in roles:
        services.grant_role(user=user, agency=ag, role=role)
    if totp:
        services.set_totp_secret(user=user, secret=otp.new_secret())
    return user


def citizen(username: str | None = None, *, email: str = "") -> User:
    username = username or f"congdan{next(_seq)}"
    return services.create_citizen(
        username=username,
        full_name=f"Công dân {username}",
        email=email or f"{username}@example.com",
        password=PASSWORD,
    )


def code_for(user: User, offset: int = 0) -> str:
    """The user's one-time code `offset` steps from now (within the accepted window)."""
    user.refresh_from_db()
    secret = otp.user_secret(user)
    return otp.code_at(secret, otp.current_step() + offset)


def login_password(client, user: User, password: str = PASSWORD):
    return client.post("/accounts/login/", {"username": user.username, "password": password})


def login_fully(client, user: User, offset: int = 0):
    """Password, then (for officials) the one-time code; asserts it worked."""
    response = login_password(client, user)
    assert response.status_code == 302, response.content.decode()[:2000]
    if user.needs_second_factor:
        response = client.post("/accounts/otp/", {"code": code_for(user, offset)})
        assert response.status_code == 302, response.content.decode()[:2000]
        assert client.session.get(SESSION_KEY) is True
    return response
