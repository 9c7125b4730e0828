"""Write use-cases for accounts: creating people and granting roles."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from tinhso.accounts.models import Role, RoleGrant, User
from tinhso.accounts.rules import forget_grants
from tinhso.audit.services import record


@transaction.atomic
def create_official(
    *,
    username: str,
    full_name: str,
    email: str = "",
    phone: str = "",
    password: str | None = None,
    actor: Any = None,
) -> User:
    user = User(
        username=username, full_name=full_name, email=email, phone=phone, kind=User.Kind.OFFICIAL
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    record(actor=actor, action="accounts.create_official", obj=user, summary={"username": username})
    return user


@transaction.atomic
def create_citizen(
    *,
    username: str,
    full_name: str,
    citizen_id: str | None = None,
    tax_code: str | None = None,
    email: str = "",
    phone: str = "",
    password: str | None = None,
    actor: Any = None,
) -> User:
    kind = User.Kind.BUSINESS if tax_code and not citizen_id else User.Kind.CITIZEN
    user = User(
        username=username,
        full_name=full_name,
        email=email,
        phone=phone,
        kind=kind,
        citizen_id=citizen_id or None,
        tax_code=tax_code or None,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    record(actor=actor, action="accounts.create_citizen", obj=user, summary={"username": username})
    return user


@transaction.atomic
def grant_role(
    *, user: User, agency: Any, role: str, org_unit: Any = None, actor: Any = None
) -> RoleGrant:
    """Grant `role` in `agency` (idempotent: granting twice keeps one grant)."""
    if role not in Role.values:
        from tinhso.core.errors import ValidationFailed

        raise ValidationFailed(f"Vai trò '{role}' không tồn tại.", code="unknown_role")
    grant, created = RoleGrant.objects.get_or_create(
        user=user, agency=agency, role=role, defaults={"org_unit": org_unit}
    )
    if created:
        record(
            actor=actor,
            action="accounts.grant_role",
            obj=user,
            agency=agency,
            summary={"role": role, "agency": agency.code},
        )
    forget_grants(user)
    return grant


@transaction.atomic
def revoke_role(*, user: User, agency: Any, role: str, actor: Any = None) -> None:
    deleted, _ = RoleGrant.objects.filter(user=user, agency=agency, role=role).delete()
    if deleted:
        record(
            actor=actor,
            action="accounts.revoke_role",
            obj=user,
            agency=agency,
            summary={"role": role, "agency": agency.code},
        )
    forget_grants(user)
