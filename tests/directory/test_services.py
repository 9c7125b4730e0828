"""Agencies, org units, memberships and reorganisations keep their history."""

import datetime as dt

import pytest

from tinhso.accounts.models import Role, RoleGrant
from tinhso.accounts.rules import can
from tinhso.audit.models import AuditEntry
from tinhso.core.errors import Conflict, InvalidTransition, ValidationFailed
from tinhso.directory import selectors, services
from tinhso.directory.codes import InvalidAgencyCode
from tinhso.directory.models import Agency, AgencyEvent, Membership, OrgUnit

pytestmark = pytest.mark.django_db


def test_create_agency_records_event_and_audit(province):
    a = Agency.objects.get(code="H57.03")
    assert a.parent == province.ubnd
    assert a.path == f"{province.ubnd.path}{a.pk}/" and a.depth == 1
    assert a.events.get().kind == AgencyEvent.Kind.CREATED
    entry = AuditEntry.objects.filter(action="directory.create_agency", object_id="H57.03").get()
    assert entry.summary["name"] == "Sở Tài chính"
    assert a.name_folded.startswith("so tai chinh")


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"code": "57.1"}, "invalid_agency_code"),
        ({"legacy_code": "000.00.3.H57"}, "invalid_agency_code"),
        ({"name": "  "}, "agency_name_required"),
        ({"kind": "ministryx"}, "invalid_agency_kind"),
        ({"email": "not-an-email"}, "invalid_email"),
        ({"website": "ftp://x"}, "invalid_website"),
        ({"code": "H57.03"}, "agency_code_taken"),
        ({"legacy_code": "000.00.03.H57"}, "agency_code_taken"),
    ],
)
def test_create_agency_rejects_bad_input_and_changes_nothing(province, kwargs, code):
    before = Agency.objects.count()
    args = {"code": "H57.50", "name": "Sở Mới", "kind": "department", **kwargs}
    with pytest.raises((ValidationFailed, Conflict)) as exc:
        services.create_agency(actor=None, parent=province.ubnd, **args)
    assert exc.value.code == code
    assert exc.value.message
    assert Agency.objects.count() == before


def test_cannot_create_under_a_closed_agency(province):
    services.close_agency(actor=None, agency=province.hdnd)
    with pytest.raises(InvalidTransition) as exc:
        services.create_agency(actor=None, code="K57.01", name="Văn phòng", parent=province.hdnd)
    assert exc.value.code == "agency_not_active"


def test_update_agency_only_writes_when_something_changed(province):
    events = AgencyEvent.objects.count()
    services.update_agency(actor=None, agency=province.stc, phone="0200 3000 000")
    assert AgencyEvent.objects.count() == events + 1
    ev = province.stc.events.latest("id")
    assert ev.kind == "updated" and ev.after == {"phone": "0200 3000 000"}
    services.update_agency(actor=None, agency=province.stc, phone="0200 3000 000")
    assert AgencyEvent.objects.count() == events + 1
    with pytest.raises(ValidationFailed) as exc:
        services.update_agency(actor=None, agency=province.stc, name="X")
    assert exc.value.code == "field_not_updatable"


def test_rename_keeps_old_name_in_history_and_search(province):
    services.rename_agency(
        actor=None, agency=province.skhdt, name="Sở Đầu tư", effective_on=dt.date(2025, 3, 1)
    )
    a = Agency.objects.get(code="H57.19")
    assert a.name == "Sở Đầu tư"
    ev = a.events.get(kind="renamed")
    assert ev.before["name"] == "Sở Kế hoạch và Đầu tư" and ev.effective_on == dt.date(2025, 3, 1)
    assert list(selectors.search_agencies("so dau tu")) == [a]


def test_move_rewrites_the_whole_subtree_paths(province):
    services.move_agency(actor=None, agency=province.skhdt, new_parent=province.stc)
    skhdt = Agency.objects.get(pk=province.skhdt.pk)
    ttxt = Agency.objects.get(pk=province.ttxt.pk)
    stc = Agency.objects.get(pk=province.stc.pk)
    assert skhdt.path == f"{stc.path}{skhdt.pk}/" and skhdt.depth == 2
    assert ttxt.path == f"{skhdt.path}{ttxt.pk}/" and ttxt.depth == 3
    assert set(selectors.subtree(stc)) == {stc, skhdt, ttxt}
    assert skhdt.events.get(kind="moved").before == {"parent": "H57"}


def test_move_into_own_subtree_is_refused(province):
    with pytest.raises(ValidationFailed) as exc:
        services.move_agency(actor=None, agency=province.skhdt, new_parent=province.ttxt)
    assert exc.value.code == "agency_move_cycle"
    assert Agency.objects.get(pk=province.skhdt.pk).parent == province.ubnd


def test_merge_moves_children_members_and_roles_and_keeps_history(province, people):
    p = province
    services.merge_agencies(
        actor=None, predecessors=[p.skhdt], successor=p.stc, effective_on=dt.date(2025, 3, 1)
    )
    old = Agency.objects.get(pk=p.skhdt.pk)
    assert old.status == Agency.Status.MERGED
    assert old.successor == p.stc and old.closed_on == dt.date(2025, 3, 1)
    # child moved under the successor, keeps its code
    ttxt = Agency.objects.get(pk=p.ttxt.pk)
    assert ttxt.parent == p.stc and ttxt.code == "H57.19.01"
    # members: old post ended, new post in the successor with the org unit mapped by name
    posts = Membership.objects.filter(user=people.planner).order_by("id")
    assert [(m.agency.code, m.ended_on) for m in posts] == [
        ("H57.19", dt.date(2025, 3, 1)),
        ("H57.03", None),
    ]
    assert posts[1].org_unit.name == "Phòng Tổng hợp" and posts[1].org_unit.agency == p.stc
    assert not OrgUnit.objects.get(pk=p.plan_unit.pk).is_active
    # roles follow the person
    assert RoleGrant.objects.filter(
        user=people.planner, agency=p.stc, role=Role.SPECIALIST
    ).exists()
    assert not RoleGrant.objects.filter(agency=p.skhdt).exists()
    # history on both sides, nothing deleted
    assert old.events.filter(kind="merged", successor=p.stc).exists()
    assert p.stc.events.get(kind="merged").after == {"absorbed": ["H57.19"]}
    assert list(selectors.predecessors(p.stc)) == [old]
    assert AuditEntry.objects.filter(action="directory.merge_agency", object_id="H57.19").exists()


def test_merge_without_moving_members_leaves_them(province, people):
    services.merge_agencies(
        actor=None,
        predecessors=[province.skhdt],
        successor=province.stc,
        move_members=False,
        move_children=False,
    )
    assert Membership.objects.get(user=people.planner).ended_on is None
    assert Agency.objects.get(pk=province.ttxt.pk).parent == province.skhdt


def test_merge_refuses_closed_or_self_or_descendant(province):
    with pytest.raises(ValidationFailed) as exc:
        services.merge_agencies(actor=None, predecessors=[province.stc], successor=province.stc)
    assert exc.value.code == "merge_into_itself"
    with pytest.raises(ValidationFailed) as exc:
        services.merge_agencies(actor=None, predecessors=[province.skhdt], successor=province.ttxt)
    assert exc.value.code == "merge_into_descendant"
    services.close_agency(actor=None, agency=province.hdnd)
    with pytest.raises(InvalidTransition):
        services.merge_agencies(actor=None, predecessors=[province.hdnd], successor=province.stc)


def test_close_requires_children_handled(province):
    with pytest.raises(Conflict) as exc:
        services.close_agency(actor=None, agency=province.skhdt)
    assert exc.value.code == "agency_has_active_children"
    assert Agency.objects.get(pk=province.skhdt.pk).is_active
    with pytest.raises(ValidationFailed) as exc:
        services.close_agency(actor=None, agency=province.skhdt, move_children=True)
    assert exc.value.code == "successor_required"


def test_close_ends_memberships_and_revokes_roles(province, people):
    services.close_agency(
        actor=None,
        agency=province.skhdt,
        successor=province.stc,
        move_children=True,
        effective_on=dt.date(2025, 3, 1),
    )
    a = Agency.objects.get(pk=province.skhdt.pk)
    assert a.status == "closed" and a.successor == province.stc
    assert Membership.objects.get(user=people.planner).ended_on == dt.date(2025, 3, 1)
    assert not RoleGrant.objects.filter(user=people.planner).exists()
    assert Agency.objects.get(pk=province.ttxt.pk).parent == province.stc


def test_memberships_a_person_may_hold_several_posts(province, people):
    services.add_membership(
        actor=None, user=people.stc_leader, agency=province.hdnd, is_primary=False
    )
    again = services.add_membership(
        actor=None, user=people.stc_leader, agency=province.hdnd, is_primary=False
    )
    posts = selectors.person_posts(people.stc_leader)
    assert {m.agency.code for m in posts} == {"H57.03", "K57"}
    assert again.pk in {m.pk for m in posts} and len(posts) == 2
    with pytest.raises(ValidationFailed) as exc:
        services.add_membership(actor=None, user=people.citizen, agency=province.stc)
    assert exc.value.code == "not_an_official"
    with pytest.raises(ValidationFailed) as exc:
        services.add_membership(
            actor=None, user=people.stc_leader, agency=province.stc, org_unit=province.plan_unit
        )
    assert exc.value.code == "org_unit_wrong_agency"
    m = posts[0]
    services.end_membership(actor=None, membership=m, ended_on=dt.date(2026, 1, 1))
    assert Membership.objects.get(pk=m.pk).ended_on == dt.date(2026, 1, 1)


def test_register_official_creates_account_post_and_roles(province):
    m = services.register_official(
        actor=None,
        username="vanthu.stc",
        full_name="Hồ Thị Thư",
        agency=province.stc,
        roles=[Role.CLERK],
    )
    assert m.user.is_official and m.person_name_folded == "ho thi thu"
    assert RoleGrant.objects.filter(user=m.user, agency=province.stc, role=Role.CLERK).exists()
    with pytest.raises(Conflict) as exc:
        services.register_official(
            actor=None, username="vanthu.stc", full_name="X", agency=province.stc
        )
    assert exc.value.code == "username_taken"


def test_admin_units_validate_their_numeric_codes(province):
    for code, level in [("5", "province"), ("57a", "district"), ("5700", "commune")]:
        with pytest.raises(ValidationFailed) as exc:
            services.create_admin_unit(actor=None, code=code, name="X", level=level)
        assert exc.value.code == "invalid_admin_unit_code"
    with pytest.raises(Conflict):
        services.create_admin_unit(actor=None, code="57", name="X", level="province")


def test_org_units_and_positions(province):
    with pytest.raises(Conflict) as exc:
        services.create_org_unit(actor=None, agency=province.stc, name="Phòng Quản lý ngân sách")
    assert exc.value.code == "org_unit_exists"
    unit = services.rename_org_unit(actor=None, org_unit=province.budget, name="Phòng Ngân sách")
    assert unit.name == "Phòng Ngân sách"
    services.close_org_unit(actor=None, org_unit=unit)
    assert not OrgUnit.objects.get(pk=unit.pk).is_active
    assert services.ensure_position(actor=None, name="Giám đốc") == province.director


def test_invalid_code_is_a_domain_error(province):
    with pytest.raises(InvalidAgencyCode):
        selectors.get_agency("12")


def test_agency_admin_in_subtree_can_manage(province, people):
    assert can(people.stc_admin, "directory.manage_agency", province.stc)
    assert not can(people.stc_admin, "directory.manage_agency", province.skhdt)
    assert can(people.platform, "directory.manage_agency", province.skhdt)


def test_merge_of_a_parent_and_its_child_together(province):
    services.merge_agencies(
        actor=None, predecessors=[province.skhdt, province.ttxt], successor=province.stc
    )
    ttxt = Agency.objects.get(pk=province.ttxt.pk)
    assert ttxt.status == "merged" and ttxt.successor == province.stc
    assert ttxt.parent == province.stc  # moved first, then merged: not reverted
    assert ttxt.path.startswith(province.stc.path)
