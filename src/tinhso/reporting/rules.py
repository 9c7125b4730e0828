"""Permission rules of the reporting app (registered with tinhso.accounts.rules).

reporting.prepare_report     a specialist or clerk of the reporting agency — the agency's
                             reporting officer — fills the period's report (obj: Agency)
reporting.approve_report     a leader of the reporting agency approves and signs (obj: Agency)
reporting.receive_report     a leader or specialist of the receiving agency returns reports,
                             locks periods and sees the aggregate (obj: ReportDefinition)
reporting.manage_definitions platform administrator or an agency administrator of the
                             receiver (obj: Agency — the receiver — or None)
reporting.view_dashboards    officials (any role) and platform administrators
"""

from __future__ import annotations

from tinhso.accounts.models import Role
from tinhso.accounts.rules import _grants, has_role, is_platform_admin, rule


@rule("reporting.prepare_report")
def _prepare(user, agency) -> bool:
    return agency is not None and has_role(user, agency, {Role.SPECIALIST, Role.CLERK})


@rule("reporting.approve_report")
def _approve(user, agency) -> bool:
    return agency is not None and has_role(user, agency, {Role.LEADER})


@rule("reporting.receive_report")
def _receive(user, definition) -> bool:
    if definition is None:
        return is_platform_admin(user)
    return has_role(user, definition.receiver, {Role.LEADER, Role.SPECIALIST})


@rule("reporting.manage_definitions")
def _manage(user, agency) -> bool:
    if agency is None:
        return is_platform_admin(user)
    return has_role(user, agency, {Role.AGENCY_ADMIN})


@rule("reporting.view_dashboards")
def _view(user, obj) -> bool:
    return is_platform_admin(user) or bool(_grants(user))
