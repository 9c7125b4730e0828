"""Who may do what with official documents.

- clerk (văn thư): registers incoming documents, numbers, seals and dispatches outgoing ones
- leader (lãnh đạo): assigns incoming documents, approves and signs outgoing ones
- specialist (chuyên viên): drafts outgoing documents, handles what is assigned to them
Everyone with one of these roles in an agency reads that agency's documents; assignees
and reviewers read what they were given.
"""

from __future__ import annotations

from tinhso.accounts.models import Role, RoleGrant
from tinhso.accounts.rules import has_role, is_platform_admin, rule

OFFICE_ROLES = {Role.CLERK, Role.LEADER, Role.SPECIALIST}


def works_in(user, agency) -> bool:
    """The user holds a role or a current post in the agency itself (not a parent)."""
    if user is None or agency is None:
        return False
    if RoleGrant.objects.filter(user_id=user.pk, agency_id=agency.pk).exists():
        return True
    from tinhso.directory.models import Membership

    return Membership.objects.filter(
        user_id=user.pk, agency_id=agency.pk, ended_on__isnull=True
    ).exists()


def _is_assignee(user, document) -> bool:
    from tinhso.directory.models import Membership

    if document.assignments.filter(assignee_id=user.pk).exists():
        return True
    unit_ids = Membership.objects.filter(
        user_id=user.pk, ended_on__isnull=True, org_unit__isnull=False
    ).values_list("org_unit_id", flat=True)
    return document.assignments.filter(unit_id__in=list(unit_ids)).exists()


@rule("documents.register_incoming")
def _register_incoming(user, agency) -> bool:
    return has_role(user, agency, {Role.CLERK, Role.LEADER})


@rule("documents.view_agency")
def _view_agency(user, agency) -> bool:
    return has_role(user, agency, OFFICE_ROLES)


@rule("documents.view_incoming")
def _view_incoming(user, document) -> bool:
    return has_role(user, document.agency, OFFICE_ROLES) or _is_assignee(user, document)


@rule("documents.assign")
def _assign(user, document) -> bool:
    return has_role(user, document.agency, {Role.LEADER})


@rule("documents.handle")
def _handle(user, assignment) -> bool:
    from tinhso.directory.models import Membership

    if is_platform_admin(user):
        return True
    if assignment.assignee_id == user.pk:
        return True
    if assignment.unit_id:
        return Membership.objects.filter(
            user_id=user.pk, org_unit_id=assignment.unit_id, ended_on__isnull=True
        ).exists()
    return False


@rule("documents.draft_outgoing")
def _draft(user, agency) -> bool:
    return has_role(user, agency, OFFICE_ROLES)


@rule("documents.view_outgoing")
def _view_outgoing(user, document) -> bool:
    if has_role(user, document.agency, OFFICE_ROLES):
        return True
    return document.drafter_id == user.pk or document.review_steps.filter(reviewer=user).exists()


@rule("documents.edit_draft")
def _edit_draft(user, document) -> bool:
    return document.drafter_id == user.pk or has_role(user, document.agency, {Role.LEADER})


@rule("documents.approve")
def _approve(user, document) -> bool:
    if not has_role(user, document.agency, {Role.LEADER}):
        return False
    return document.signer_id in (None, user.pk) or is_platform_admin(user)


@rule("documents.number")
def _number(user, document) -> bool:
    return has_role(user, document.agency, {Role.CLERK})


@rule("documents.view_statistics")
def _stats(user, agency) -> bool:
    return has_role(user, agency, {Role.LEADER, Role.CLERK})


@rule("documents.manage_work_record")
def _work_record(user, agency) -> bool:
    return has_role(user, agency, OFFICE_ROLES)
