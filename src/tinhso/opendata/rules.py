"""Who may do what with open data (registered with `tinhso.accounts.rules`).

A data officer (Steward) of an agency, an administrator of that agency (or of an agency
above it) and a platform administrator manage the agency's datasets and review the
contributions addressed to it. Nobody manages another agency's datasets.
"""

from __future__ import annotations

from typing import Any

from tinhso.accounts.models import Role
from tinhso.accounts.rules import has_role, is_platform_admin, rule


def is_steward(user: Any, agency: Any) -> bool:
    from tinhso.opendata.models import Steward

    if agency is None or not getattr(user, "is_authenticated", False):
        return False
    cache = getattr(user, "_opendata_stewardships", None)
    if cache is None:
        cache = set(Steward.objects.filter(user_id=user.pk).values_list("agency_id", flat=True))
        user._opendata_stewardships = cache
    return agency.pk in cache


def manages(user: Any, agency: Any) -> bool:
    if is_platform_admin(user):
        return True
    if agency is None:
        return False
    return is_steward(user, agency) or has_role(user, agency, {Role.AGENCY_ADMIN})


def managed_agency_ids(user: Any) -> set[int] | None:
    """The agencies whose datasets the user manages; None means every agency."""
    from tinhso.directory.models import Agency
    from tinhso.opendata.models import Steward

    if is_platform_admin(user):
        return None
    if not getattr(user, "is_authenticated", False):
        return set()
    ids = set(Steward.objects.filter(user_id=user.pk).values_list("agency_id", flat=True))
    from tinhso.accounts.rules import visible_agency_filter

    ids |= set(
        Agency.objects.filter(visible_agency_filter(user, roles={Role.AGENCY_ADMIN})).values_list(
            "pk", flat=True
        )
    )
    return ids


@rule("opendata.manage_dataset")
def _manage_dataset(user: Any, agency: Any) -> bool:
    return manages(user, agency)


@rule("opendata.review_contribution")
def _review(user: Any, agency: Any) -> bool:
    return manages(user, agency)


@rule("opendata.contribute")
def _contribute(user: Any, obj: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False))


@rule("opendata.appoint_data_officer")
def _appoint(user: Any, agency: Any) -> bool:
    return is_platform_admin(user) or has_role(user, agency, {Role.AGENCY_ADMIN})
