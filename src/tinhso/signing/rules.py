"""Who may sign: an official with their own certificate; the seal by the agency's clerk
(or leader, or agency administrator)."""

from tinhso.accounts.models import Role
from tinhso.accounts.rules import has_role, rule


@rule("signing.sign_personal")
def _sign_personal(user, agency) -> bool:
    return bool(getattr(user, "is_official", False) or user.is_superuser)


@rule("signing.apply_seal")
def _apply_seal(user, agency) -> bool:
    return agency is not None and has_role(
        user, agency, {Role.CLERK, Role.LEADER, Role.AGENCY_ADMIN}
    )


@rule("signing.remote_sign")
def _remote_sign(user, obj) -> bool:
    return bool(getattr(user, "is_official", False) or user.is_superuser)
