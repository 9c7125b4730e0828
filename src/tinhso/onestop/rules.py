"""Permission rules of the one-stop app (registered with tinhso.accounts.rules).

onestop.submit_dossier      any signed-in citizen/business (obj: Procedure)
onestop.act_as_applicant    the dossier's applicant (answer supplement, withdraw, rate, pay)
onestop.view_dossier        the applicant, or an official of the receiving, competent or
                            handling agency (leaders of a parent agency too)
onestop.receive_dossier     one-stop officer of the receiving agency (obj: Agency)
onestop.accept_dossier      one-stop officer of the dossier's receiving agency
onestop.process_dossier     the assignee, or a holder of the current step's role in the
                            handling agency, or a leader there
onestop.assign_dossier      leader of the handling agency, or the assignee handing over
onestop.approve_dossier     leader of the handling agency
onestop.return_result       one-stop officer of the receiving agency
onestop.manage_catalog      platform administrator, or an agency administrator of the
                            procedure's agency (obj: Procedure, Agency or None)
onestop.view_statistics     leaders and agency administrators (obj: Agency or None)
"""

from __future__ import annotations

from tinhso.accounts.models import Role
from tinhso.accounts.rules import _grants, has_role, is_platform_admin, rule

OFFICIAL_ROLES = {Role.ONESTOP_OFFICER, Role.SPECIALIST, Role.LEADER, Role.AGENCY_ADMIN}


def is_applicant(user, dossier) -> bool:
    return (
        dossier is not None
        and dossier.applicant_id is not None
        and (dossier.applicant_id == user.pk)
    )


@rule("onestop.submit_dossier")
def _submit(user, procedure) -> bool:
    return procedure is None or procedure.is_active


@rule("onestop.act_as_applicant")
def _act_as_applicant(user, dossier) -> bool:
    return is_applicant(user, dossier)


@rule("onestop.view_dossier")
def _view(user, dossier) -> bool:
    if dossier is None:
        return False
    if is_applicant(user, dossier) or is_platform_admin(user):
        return True
    for agency in (dossier.receiving_agency, dossier.agency, dossier.handling_agency):
        if agency is not None and has_role(user, agency, OFFICIAL_ROLES):
            return True
    return False


@rule("onestop.receive_dossier")
def _receive(user, agency) -> bool:
    return agency is not None and has_role(user, agency, {Role.ONESTOP_OFFICER})


@rule("onestop.accept_dossier")
def _accept(user, dossier) -> bool:
    return dossier is not None and has_role(user, dossier.receiving_agency, {Role.ONESTOP_OFFICER})


def _handling(dossier):
    return dossier.handling_agency or dossier.agency


@rule("onestop.process_dossier")
def _process(user, dossier) -> bool:
    if dossier is None:
        return False
    if dossier.assignee_id is not None and dossier.assignee_id == user.pk:
        return True
    agency = _handling(dossier)
    step = dossier.current_step
    wanted = {Role.LEADER}
    if step is not None:
        wanted.add(step.role)
    else:
        wanted |= {Role.SPECIALIST, Role.ONESTOP_OFFICER}
    return has_role(user, agency, wanted)


@rule("onestop.assign_dossier")
def _assign(user, dossier) -> bool:
    if dossier is None:
        return False
    if dossier.assignee_id is not None and dossier.assignee_id == user.pk:
        return True
    return has_role(user, _handling(dossier), {Role.LEADER})


@rule("onestop.approve_dossier")
def _approve(user, dossier) -> bool:
    return dossier is not None and has_role(user, _handling(dossier), {Role.LEADER})


@rule("onestop.return_result")
def _return(user, dossier) -> bool:
    return dossier is not None and has_role(user, dossier.receiving_agency, {Role.ONESTOP_OFFICER})


@rule("onestop.manage_catalog")
def _manage_catalog(user, obj) -> bool:
    if is_platform_admin(user):
        return True
    agency = getattr(obj, "agency", obj) if obj is not None else None
    if agency is None:
        return False
    return has_role(user, agency, {Role.AGENCY_ADMIN})


@rule("onestop.view_statistics")
def _view_statistics(user, agency) -> bool:
    if is_platform_admin(user):
        return True
    if agency is None:
        grants = _grants(user)
        return bool(grants.get(Role.LEADER) or grants.get(Role.AGENCY_ADMIN))
    return has_role(user, agency, {Role.LEADER, Role.AGENCY_ADMIN})
