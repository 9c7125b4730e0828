"""Demo logins, loaded by `tinhso demo` after the directory demo (idempotent).

Every demo official (and citizen) created without a password gets the demo password
below, and every demo official gets a confirmed second factor whose secret is derived
from the username — public on purpose, so that `tinhso otp-code <username>` (or any
authenticator app given `demo_secret(username)`) produces their one-time codes.
Never run the demo on a production database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from django.contrib.auth.hashers import make_password
from django.db.models import Q

from tinhso.accounts.models import Role, RoleGrant, User

DEMO_PASSWORD = "TinhSo@2026"
_DEMO_KEY = b"tinhso-demo-totp-v1"


def demo_secret(username: str) -> str:
    """The (publicly known) TOTP secret of a demo user: base32, 160 bits."""
    digest = hmac.new(_DEMO_KEY, username.encode(), hashlib.sha1).digest()
    return base64.b32encode(digest).decode().rstrip("=")


def is_demo_user(user) -> bool:
    from tinhso.accounts import otp

    try:
        return otp.user_secret(user) == demo_secret(user.username)
    except ValueError:
        return False


def load(out) -> None:
    from tinhso.accounts import services

    # One hash for everyone: hashing ~300 passwords one by one would take minutes.
    password_hash = make_password(DEMO_PASSWORD)
    updated = User.objects.filter(
        Q(password="") | Q(password__startswith="!"), is_active=True
    ).update(password=password_hash)
    officials = User.objects.filter(
        Q(kind=User.Kind.OFFICIAL) | Q(is_superuser=True), totp_confirmed_at__isnull=True
    )
    enrolled = services.set_totp_secrets(
        secrets={user: demo_secret(user.username) for user in officials},
        reason="demo",
    )
    if updated or enrolled:
        out.write(f"  tài khoản mẫu: {updated} mật khẩu, {enrolled} xác thực hai lớp")


ROLE_ORDER = [
    Role.PLATFORM_ADMIN,
    Role.AGENCY_ADMIN,
    Role.LEADER,
    Role.CLERK,
    Role.ONESTOP_OFFICER,
    Role.SPECIALIST,
]


# The logins README.md names, in its order: a walk through both products in one place
# (the provincial People's Committee, the Department of Finance's documents and
# procedures, the public administration service centre's counter, a citizen).
README_LOGINS = [
    "admin",
    "quantri.ubnd",
    "lanhdao.ubnd",
    "lanhdao.stc",
    "vanthu.stc",
    "chuyenvien.stc",
    "motcua.ttphvhcc",
    "congdan.an",
]


def _row(user: User) -> tuple[str, str, str, str] | None:
    if not user.is_official:
        return (str(user.get_kind_display()), user.username, str(user), "")
    grants = {g.role: g for g in RoleGrant.objects.filter(user=user).select_related("agency")}
    for role in ROLE_ORDER:
        if role in grants:
            return (str(role.label), user.username, str(user), grants[role].agency.name)
    return None


def demo_logins() -> list[tuple[str, str, str, str]]:
    """[(role label, username, full name, agency)]: the README's logins, and for a role
    none of them has (another data set), the first official with that role; a citizen."""
    users = User.objects.filter(username__in=README_LOGINS, is_active=True)
    by_name = {user.username: user for user in users}
    rows = [row for name in README_LOGINS if name in by_name if (row := _row(by_name[name]))]
    covered = {row[0] for row in rows}
    seen = {row[1] for row in rows}
    for role in ROLE_ORDER:
        if str(role.label) in covered:
            continue
        grant = (
            RoleGrant.objects.filter(role=role, user__is_active=True)
            .exclude(user__username__in=seen)
            .select_related("user", "agency")
            .order_by("agency__depth", "agency__path", "user__username")
            .first()
        )
        if grant is None:
            continue
        seen.add(grant.user.username)
        rows.append((str(role.label), grant.user.username, str(grant.user), grant.agency.name))
    if not any(row[3] == "" for row in rows):
        citizen = (
            User.objects.filter(kind__in=[User.Kind.CITIZEN, User.Kind.BUSINESS], is_active=True)
            .exclude(password__startswith="!")
            .order_by("username")
            .first()
        )
        if citizen is not None:
            rows.append((str(citizen.get_kind_display()), citizen.username, str(citizen), ""))
    return rows


def print_logins(out, *, site_url: str | None = None) -> None:
    """The demo logins and where to use them (`site_url`: the address the site answers on)."""
    rows = demo_logins()
    if not rows:
        return
    from django.conf import settings

    site = str(site_url or settings.TINHSO_SITE_URL).rstrip("/")
    out.write("")
    out.write(
        f"Tài khoản mẫu — đăng nhập tại {site}/accounts/login/ (mật khẩu chung: {DEMO_PASSWORD})"
    )
    width = max(len(r[1]) for r in rows)
    role_width = max(len(r[0]) for r in rows)
    for role, username, name, agency in rows:
        where = f" — {agency}" if agency else ""
        out.write(f"  {role:<{role_width}}  {username:<{width}}  {name}{where}")
    out.write(
        "Cán bộ đăng nhập thêm mã xác thực một lần: `.venv/bin/tinhso otp-code <tên đăng nhập>` "
        "(`--secret` để thêm vào ứng dụng xác thực). Công dân chỉ cần mật khẩu."
    )
