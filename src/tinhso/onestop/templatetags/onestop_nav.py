"""What the one-stop menu offers the current user: only the pages they may open."""

from __future__ import annotations

from django import template

from tinhso.accounts.models import Role
from tinhso.accounts.rules import can, holds_role

register = template.Library()


@register.simple_tag
def onestop_access(user) -> dict[str, bool]:
    """Booleans for the menu entries of officials (counter, statistics, catalog admin)."""
    if not getattr(user, "is_authenticated", False) or not (user.is_official or user.is_superuser):
        return {"official": False, "counter": False, "stats": False, "catalog_admin": False}
    return {
        "official": True,
        "counter": holds_role(user, [Role.ONESTOP_OFFICER]),
        "stats": can(user, "onestop.view_statistics", None),
        "catalog_admin": holds_role(user, [Role.AGENCY_ADMIN]),
    }
