"""Permission rules of the counter app (registered with tinhso.accounts.rules).

counter.operate_desk   a one-stop officer of the centre's agency (obj: Centre)
counter.supervise      a leader or agency administrator of the centre's agency, or of an
                       agency above it; the platform administrator (obj: Centre)
counter.manage         the same as supervise: service groups, counters (obj: Centre)
"""

from __future__ import annotations

from tinhso.accounts.models import Role
from tinhso.accounts.rules import has_role, rule

SUPERVISORS = {Role.LEADER, Role.AGENCY_ADMIN}


@rule("counter.operate_desk")
def _operate(user, centre) -> bool:
    return centre is not None and has_role(user, centre.agency, {Role.ONESTOP_OFFICER})


@rule("counter.supervise")
def _supervise(user, centre) -> bool:
    return centre is not None and has_role(user, centre.agency, SUPERVISORS)


@rule("counter.manage")
def _manage(user, centre) -> bool:
    return centre is not None and has_role(user, centre.agency, SUPERVISORS)
