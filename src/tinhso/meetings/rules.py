"""Who may do what with meetings.

- organise (create a meeting, bodies' votes): officials of the body's agency
  (leader, clerk, specialist — the Văn phòng's secretaries)
- manage a meeting (agenda, invitation, check-in, room screen, votes, minutes): its
  secretary and its chair
- view a meeting: its participants (members, guests, delegates), secretary and chair;
  anyone else is told it does not exist
- guests never see members-only papers
"""

from __future__ import annotations

from tinhso.accounts.models import Role
from tinhso.accounts.rules import has_role, is_platform_admin, rule

ORGANISER_ROLES = {Role.LEADER, Role.CLERK, Role.SPECIALIST}


@rule("meetings.organise")
def _organise(user, agency) -> bool:
    return has_role(user, agency, ORGANISER_ROLES)


@rule("meetings.manage")
def _manage(user, meeting) -> bool:
    return user.pk in (meeting.secretary_id, meeting.chair_id) or is_platform_admin(user)


@rule("meetings.view")
def _view(user, meeting) -> bool:
    if _manage(user, meeting):
        return True
    return meeting.participants.filter(user_id=user.pk).exists()


@rule("meetings.view_paper")
def _view_paper(user, paper) -> bool:
    meeting = paper.item.meeting
    if _manage(user, meeting):
        return True
    participant = meeting.participants.filter(user_id=user.pk).first()
    if participant is None:
        return False
    return not (paper.members_only and participant.role == participant.Role.GUEST)


@rule("meetings.follow_up")
def _follow_up(user, agency) -> bool:
    """The leadership page of follow-up tasks: leaders and clerks of the agency."""
    return has_role(user, agency, {Role.LEADER, Role.CLERK})
