"""The lists of people a dossier page offers (assign, forward to) hold what a choice
shows and submits, not the officials' whole accounts."""

from __future__ import annotations

from django.contrib.auth.models import update_last_login
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tinhso.accounts.models import Role, RoleGrant
from tinhso.onestop.selectors import officials, person_label
from tinhso.onestop.workflow import ACTIONS

from .conftest import accepted

R = Role


def test_officials_are_offered_by_name_without_their_password_hashes(world):
    people = list(officials(world.dept, (Role.SPECIALIST, Role.LEADER)))
    assert {p.username for p in people} == {"chuyenvien.stp", "chuyenvien2.stp", "lanhdao.stp"}
    for person in people:
        assert {"password", "email", "phone"} <= person.get_deferred_fields()
        assert person.uid and person_label(person)


def _assign_form(world, dossier, data=None):
    return ACTIONS["assign"].make_form(dossier, world.leader, data)


def _shown(form, name: str) -> list[str]:
    return [label for value, label in form.fields[name].widget.choices if value]


def _officials_statements(queries) -> list[str]:
    # the list's statement: accounts by their grants, with their post as a subquery
    return [
        q["sql"] for q in queries if "accounts_rolegrant" in q["sql"] and "position" in q["sql"]
    ]


def test_the_lists_a_dossier_page_offers_are_read_once_then_kept(world):
    dossier = accepted(world)
    with CaptureQueriesContext(connection) as first:
        assign, forward = (
            _assign_form(world, dossier),
            ACTIONS["forward"].make_form(dossier, world.officer),
        )
        str(assign["assignee"]), str(forward["to_user"])
    with CaptureQueriesContext(connection) as again:
        str(_assign_form(world, dossier)["assignee"])
        str(ACTIONS["forward"].make_form(dossier, world.officer)["to_user"])
    assert len(_officials_statements(first.captured_queries)) == 2
    assert _officials_statements(again.captured_queries) == []
    assert set(_shown(assign, "assignee")) == {
        person_label(p) for p in officials(world.dept, (R.SPECIALIST, R.LEADER, R.ONESTOP_OFFICER))
    }


def test_a_role_granted_a_rename_or_a_deactivation_is_offered_at_once(world):
    dossier = accepted(world)
    assert "chuyenvien.sxd" not in _shown(_assign_form(world, dossier), "assignee")
    grant = RoleGrant.objects.create(user=world.outsider, agency=world.dept, role=R.SPECIALIST)
    assert "chuyenvien.sxd" in _shown(_assign_form(world, dossier), "assignee")
    world.specialist2.full_name = "Trần Thị Bình"
    world.specialist2.save()
    assert "Trần Thị Bình" in _shown(_assign_form(world, dossier), "assignee")
    world.outsider.is_active = False
    world.outsider.save(update_fields=["is_active"])
    assert "chuyenvien.sxd" not in _shown(_assign_form(world, dossier), "assignee")
    grant.delete()
    world.outsider.is_active = True
    world.outsider.save(update_fields=["is_active"])
    assert "chuyenvien.sxd" not in _shown(_assign_form(world, dossier), "assignee")


def test_signing_in_does_not_drop_the_kept_lists(world):
    dossier = accepted(world)
    str(_assign_form(world, dossier)["assignee"])
    update_last_login(None, world.specialist)  # what a sign-in saves
    with CaptureQueriesContext(connection) as again:
        str(_assign_form(world, dossier)["assignee"])
    assert _officials_statements(again.captured_queries) == []


def test_a_submitted_person_is_checked_against_the_database_not_the_kept_list(world):
    dossier = accepted(world)
    str(_assign_form(world, dossier)["assignee"])  # the list is kept now
    # a grant made where this process does not hear of it (another machine)
    RoleGrant.objects.bulk_create(
        [RoleGrant(user=world.outsider, agency=world.dept, role=R.SPECIALIST)]
    )
    assert "chuyenvien.sxd" not in _shown(_assign_form(world, dossier), "assignee")
    form = _assign_form(world, dossier, {"assignee": str(world.outsider.uid)})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["assignee"] == world.outsider
    RoleGrant.objects.filter(user=world.outsider, agency=world.dept).delete()
    stranger = _assign_form(world, dossier, {"assignee": str(world.outsider.uid)})
    assert not stranger.is_valid() and "assignee" in stranger.errors
