"""The one permission check: `can`, `require` and `Agency.objects.visible_to`."""

from __future__ import annotations

import pytest

from tests.accounts.factories import citizen, official, province_tree
from tinhso.accounts.models import Role
from tinhso.accounts.rules import (
    agency_in,
    can,
    has_role,
    holds_role,
    require,
    roles_in,
    visible_agency_filter,
    visible_agency_ids,
)
from tinhso.core.errors import PermissionDenied
from tinhso.directory.models import Agency

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    return province_tree()


def _visible(user) -> set[str]:
    return set(Agency.objects.visible_to(user).values_list("code", flat=True))


def test_official_sees_only_their_agencies(tree):
    user = official(roles=[(tree["stc"], Role.SPECIALIST)])
    assert _visible(user) == {"H99.01"}


def test_leader_of_a_parent_agency_sees_the_subtree(tree):
    leader = official(roles=[(tree["huyen"], Role.LEADER)])
    assert _visible(leader) == {"H99.02", "H99.02.01"}
    assert has_role(leader, tree["xa"], Role.LEADER)
    assert not has_role(leader, tree["stc"], Role.LEADER)


def test_specialist_of_a_parent_agency_does_not_see_below(tree):
    user = official(roles=[(tree["huyen"], Role.SPECIALIST)])
    assert _visible(user) == {"H99.02"}
    assert roles_in(user, tree["xa"]) == set()


def test_roles_in_several_agencies_add_up(tree):
    user = official(roles=[(tree["stc"], Role.CLERK), (tree["xa"], Role.ONESTOP_OFFICER)])
    assert _visible(user) == {"H99.01", "H99.02.01"}
    assert roles_in(user, tree["xa"]) == {Role.ONESTOP_OFFICER}


def test_platform_admin_sees_everything(tree):
    admin = official(roles=[(tree["ubnd"], Role.PLATFORM_ADMIN)])
    assert _visible(admin) == {"H99", "H99.01", "H99.02", "H99.02.01"}


def test_anonymous_and_citizens_see_no_agency_through_roles(tree):
    from django.contrib.auth.models import AnonymousUser

    assert _visible(AnonymousUser()) == set()
    assert _visible(citizen()) == set()


def test_holds_role_answers_as_the_visible_agencies_do_without_a_query(
    tree, django_assert_num_queries
):
    from django.contrib.auth.models import AnonymousUser

    people = [
        official(roles=[(tree["huyen"], Role.LEADER)]),
        official(roles=[(tree["stc"], Role.CLERK), (tree["xa"], Role.ONESTOP_OFFICER)]),
        official(roles=[(tree["ubnd"], Role.PLATFORM_ADMIN)]),
        citizen(),
        AnonymousUser(),
    ]
    for user in people:
        for roles in ([Role.LEADER], [Role.ONESTOP_OFFICER], [Role.AGENCY_ADMIN, Role.CLERK]):
            expected = Agency.objects.filter(visible_agency_filter(user, roles)).exists()
            with django_assert_num_queries(0):
                assert holds_role(user, roles) is expected, (user, roles)


def test_can_and_require_use_registered_rules(tree):
    admin_of_district = official(roles=[(tree["huyen"], Role.AGENCY_ADMIN)])
    assert can(admin_of_district, "directory.manage_agency", tree["xa"])
    assert not can(admin_of_district, "directory.manage_agency", tree["stc"])
    with pytest.raises(PermissionDenied) as err:
        require(admin_of_district, "directory.manage_agency", tree["stc"])
    assert err.value.status == 403 and err.value.code == "permission_denied"
    with pytest.raises(KeyError):
        can(admin_of_district, "khong.ton_tai", None)


def test_inactive_user_can_do_nothing(tree):
    user = official(roles=[(tree["ubnd"], Role.PLATFORM_ADMIN)])
    user.is_active = False
    assert not can(user, "directory.view_agency", tree["ubnd"])


def test_audit_trail_is_for_administrators(tree):
    assert can(official(roles=[(tree["stc"], Role.AGENCY_ADMIN)]), "audit.view_trail")
    assert not can(official(roles=[(tree["stc"], Role.LEADER)]), "audit.view_trail")


ROLE_SETS = [None, {Role.LEADER}, {Role.CLERK}, {Role.SPECIALIST, Role.LEADER}, set(Role)]


def test_visible_agency_ids_are_the_agencies_the_filter_selects(tree):
    """The id lists list pages filter by select what the subquery selected, for every mix
    of direct and subtree roles and every set of roles asked for."""
    users = [
        official(roles=[(tree["stc"], Role.SPECIALIST)]),
        official(roles=[(tree["huyen"], Role.LEADER)]),
        official(roles=[(tree["huyen"], Role.SPECIALIST), (tree["ubnd"], Role.AGENCY_ADMIN)]),
        official(roles=[(tree["stc"], Role.CLERK), (tree["xa"], Role.LEADER)]),
        citizen(),
    ]
    for user in users:
        for roles in ROLE_SETS:
            expected = set(
                Agency.objects.filter(visible_agency_filter(user, roles)).values_list(
                    "pk", flat=True
                )
            )
            assert visible_agency_ids(user, roles) == expected, (user, roles)
            assert (
                set(
                    Agency.objects.filter(agency_in("pk", user, roles)).values_list("pk", flat=True)
                )
                == expected
            )


def test_a_platform_admin_is_limited_by_no_agency_list(tree):
    admin = official(roles=[(tree["ubnd"], Role.PLATFORM_ADMIN)])
    assert visible_agency_ids(admin, {Role.CLERK}) is None
    assert Agency.objects.filter(agency_in("pk", admin)).count() == Agency.objects.count()


def test_the_agencies_below_a_leader_are_read_once_per_user(tree, django_assert_num_queries):
    leader = official(roles=[(tree["huyen"], Role.LEADER)])
    leader = type(leader).objects.get(pk=leader.pk)
    with django_assert_num_queries(2):  # the grants, then the subtree
        visible_agency_ids(leader, {Role.LEADER})
        visible_agency_ids(leader, None)
        visible_agency_ids(leader, {Role.LEADER, Role.CLERK})
