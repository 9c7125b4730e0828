"""Permission rules of the working-day calendar."""

from tinhso.accounts.rules import is_platform_admin, rule


@rule("workdays.manage_calendar")
def _manage_calendar(user, obj) -> bool:
    return is_platform_admin(user)
