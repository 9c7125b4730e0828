"""Who may do what in the exchange."""

from __future__ import annotations

from tinhso.accounts.models import Role
from tinhso.accounts.rules import has_role, is_platform_admin, rule


@rule("exchange.admin")
def _admin(user, obj=None) -> bool:
    """The exchange administrator: the platform's administrators."""
    return is_platform_admin(user)


@rule("exchange.receive")
def _receive(user, agency) -> bool:
    """Accept or refuse what arrived for an agency: its clerk (or leader)."""
    return has_role(user, agency, {Role.CLERK, Role.LEADER})


@rule("exchange.view_agency")
def _view(user, agency) -> bool:
    return has_role(user, agency, {Role.CLERK, Role.LEADER, Role.SPECIALIST})
