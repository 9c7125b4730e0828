"""Who may do what in the security monitoring centre.

The provincial IT department runs the centre: platform administrators are its analysts
and see every agency. An agency administrator (or a leader) sees the events, alerts and
incidents of their agencies, handles their agency's incidents and keeps their agency's
information systems in the registry. Sensors, rules and ranges are the centre's.
"""

from __future__ import annotations

from tinhso.accounts.models import Role
from tinhso.accounts.rules import _grants, has_role, is_platform_admin, rule

ANALYST_ROLES = {Role.AGENCY_ADMIN}
VIEWER_ROLES = {Role.AGENCY_ADMIN, Role.LEADER}


def is_viewer(user) -> bool:
    grants = _grants(user) if getattr(user, "is_authenticated", False) else {}
    return is_platform_admin(user) or any(grants.get(role) for role in VIEWER_ROLES)


@rule("security.view")
def _view(user, agency) -> bool:
    if agency is None:
        return is_viewer(user)
    return has_role(user, agency, VIEWER_ROLES)


@rule("security.handle_incident")
def _handle(user, agency) -> bool:
    """Open and work incidents (of `agency`; None: unattributed, the centre's own)."""
    if agency is None:
        return is_platform_admin(user)
    return has_role(user, agency, ANALYST_ROLES)


@rule("security.manage_registry")
def _registry(user, agency) -> bool:
    if agency is None:
        return is_platform_admin(user) or bool(_grants(user).get(Role.AGENCY_ADMIN))
    return has_role(user, agency, {Role.AGENCY_ADMIN})


@rule("security.approve_level")
def _approve(user, agency) -> bool:
    """The approval decision is recorded by the centre (the provincial IT department)."""
    return is_platform_admin(user)


@rule("security.configure")
def _configure(user, obj) -> bool:
    return is_platform_admin(user)


@rule("security.report_national")
def _report(user, obj) -> bool:
    return is_platform_admin(user)
