"""Reads about accounts: who a user is and what roles they hold where."""

from __future__ import annotations

from typing import Any

from tinhso.accounts.models import Role, RoleGrant
from tinhso.core.collation import vi


def grants_by_agency(user) -> list[dict[str, Any]]:
    """[{agency: Agency, roles: [(code, label), ...]}] ordered like the directory tree."""
    if not getattr(user, "is_authenticated", False):
        return []
    rows = (
        RoleGrant.objects.filter(user_id=user.pk)
        .select_related("agency")
        .order_by("agency__path", "role")
    )
    result: list[dict[str, Any]] = []
    index: dict[int, dict[str, Any]] = {}
    labels = dict(Role.choices)
    for grant in rows:
        entry = index.get(grant.agency_id)
        if entry is None:
            entry = {"agency": grant.agency, "roles": []}
            index[grant.agency_id] = entry
            result.append(entry)
        entry["roles"].append((grant.role, str(labels.get(grant.role, grant.role))))
    return result


def role_codes(user) -> set[str]:
    if not getattr(user, "is_authenticated", False):
        return set()
    return set(RoleGrant.objects.filter(user_id=user.pk).values_list("role", flat=True))


def manageable_agencies(user):
    """Active agencies where `user` may grant roles (agency admin there or above)."""
    from tinhso.accounts.rules import visible_agency_filter
    from tinhso.directory.models import Agency

    return (
        Agency.objects.filter(visible_agency_filter(user, roles={Role.AGENCY_ADMIN}))
        .filter(status=Agency.Status.ACTIVE)
        .order_by("path")
    )


def grants_in(agency):
    return (
        RoleGrant.objects.filter(agency=agency)
        .select_related("user", "org_unit")
        .order_by(vi("user__full_name"), "user__username", "role")
    )
