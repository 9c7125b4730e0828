"""Permission rules of the feedback app (registered with tinhso.accounts.rules).

feedback.centre          staff of the coordinating centre (any role in the centre's agency,
                         leaders above it) and platform administrators: triage, moderate,
                         see everything, including who reported
feedback.see_identity    the centre only (never the handling agency: Huế IOC's rule)
feedback.handle          specialists and leaders of the report's handling agency
feedback.assign          leaders of the report's handling agency
feedback.reporter        the report's reporter (answer a request, rate, reopen)
feedback.view_statistics the centre, and leaders of any agency
"""

from __future__ import annotations

from tinhso.accounts.models import Role
from tinhso.accounts.rules import _grants, has_role, is_platform_admin, roles_in, rule

HANDLER_ROLES = {Role.SPECIALIST, Role.LEADER}


def centre():
    from tinhso.feedback.models import Centre

    return Centre.objects.select_related("agency").first()


def is_centre(user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if is_platform_admin(user):
        return True
    config = centre()
    return config is not None and bool(roles_in(user, config.agency))


@rule("feedback.centre")
def _centre(user, obj) -> bool:
    return is_centre(user)


@rule("feedback.see_identity")
def _see_identity(user, report) -> bool:
    return is_centre(user)


@rule("feedback.handle")
def _handle(user, report) -> bool:
    if report is None or report.agency_id is None:
        return False
    return has_role(user, report.agency, HANDLER_ROLES)


@rule("feedback.assign")
def _assign(user, report) -> bool:
    if report is None or report.agency_id is None:
        return False
    return has_role(user, report.agency, {Role.LEADER})


@rule("feedback.reporter")
def _reporter(user, report) -> bool:
    return report is not None and report.reporter_id is not None and report.reporter_id == user.pk


@rule("feedback.view_statistics")
def _stats(user, obj) -> bool:
    return is_centre(user) or bool(_grants(user).get(Role.LEADER))


def is_handler_somewhere(user) -> bool:
    grants = _grants(user) if getattr(user, "is_authenticated", False) else {}
    return any(grants.get(role) for role in HANDLER_ROLES)
