"""What the one-stop menu offers the current user: only the pages they may open."""

from __future__ import annotations

from django import template

from tinhso.accounts.models import Role
from tinhso.accounts.rules import can, is_platform_admin, visible_agency_filter
from tinhso.directory.models import Agency

register = template.Library()


@register.simple_tag
def onestop_access(user) -> dict[str, bool]:
    """Booleans for the menu entries of officials (counter, statistics, catalog admin)."""
    if not getattr(user, "is_authenticated", False) or not (user.is_official or user.is_superuser):
        return {"official": False, "counter": False, "stats": False, "catalog_admin": False}
    platform_admin = is_platform_admin(user)

    def has(role: str) -> bool:
        return Agency.objects.filter(visible_agency_filter(user, [role])).exists()

    return {
        "official": True,
        "counter": has(Role.ONESTOP_OFFICER),
        "stats": can(user, "onestop.view_statistics", None),
        "catalog_admin": platform_admin or has(Role.AGENCY_ADMIN),
    }
