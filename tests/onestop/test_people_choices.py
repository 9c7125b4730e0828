"""The lists of people a dossier page offers (assign, forward to) hold what a choice
shows and submits, not the officials' whole accounts."""

from __future__ import annotations

from tinhso.accounts.models import Role
from tinhso.onestop.selectors import officials, person_label


def test_officials_are_offered_by_name_without_their_password_hashes(world):
    people = list(officials(world.dept, (Role.SPECIALIST, Role.LEADER)))
    assert {p.username for p in people} == {"chuyenvien.stp", "chuyenvien2.stp", "lanhdao.stp"}
    for person in people:
        assert {"password", "email", "phone"} <= person.get_deferred_fields()
        assert person.uid and person_label(person)
