"""Reads: subtree, ancestors, search without diacritics, people search, visibility."""

import pytest

from tinhso.accounts.models import Role
from tinhso.accounts.services import grant_role
from tinhso.directory import selectors, services
from tinhso.directory.models import Agency

pytestmark = pytest.mark.django_db


def test_subtree_and_ancestors(province):
    p = province
    assert list(selectors.subtree(p.skhdt)) == [p.skhdt, p.ttxt]
    assert set(selectors.subtree(p.ubnd)) == set(Agency.objects.exclude(pk=p.hdnd.pk))
    assert list(selectors.subtree(p.ubnd, max_depth=1)) == list(
        Agency.objects.filter(depth__lte=1).exclude(pk=p.hdnd.pk).order_by("path")
    )
    assert selectors.ancestors(p.commune) == [p.ubnd, p.district]
    assert selectors.ancestors(p.ubnd) == []


def test_subtree_hides_closed_unless_asked(province):
    services.merge_agencies(actor=None, predecessors=[province.skhdt], successor=province.stc)
    assert province.skhdt not in selectors.subtree(province.ubnd)
    assert province.skhdt in selectors.subtree(province.ubnd, include_closed=True)


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("so tai chinh", "H57.03"),
        ("SỞ TÀI CHÍNH", "H57.03"),
        ("tai chinh", "H57.03"),
        ("H57.03", "H57.03"),
        ("h57.03", "H57.03"),
        ("000.00.03.H57", "H57.03"),
        ("stc", "H57.03"),
        ("xuc tien dau tu", "H57.19.01"),
        ("hoa an", "H57.40.01"),
        ("uy ban nhan dan huyen binh yen", "H57.40"),
    ],
)
def test_search_is_diacritics_insensitive_and_finds_codes(province, q, expected):
    results = list(selectors.search_agencies(q))
    assert results and results[0].code == expected


def test_search_requires_every_word_and_ranks_active_first(province):
    assert list(selectors.search_agencies("so tai nguyen")) == []
    assert list(selectors.search_agencies("   ")) == []
    services.create_agency(
        actor=None, code="H57.20", name="Sở Tài chính (cũ)", parent=province.ubnd
    )
    old = Agency.objects.get(code="H57.20")
    services.close_agency(actor=None, agency=old)
    codes = [a.code for a in selectors.search_agencies("so tai chinh")]
    assert codes == ["H57.03", "H57.20"]
    assert [a.code for a in selectors.search_agencies("so tai chinh", include_closed=False)] == [
        "H57.03"
    ]


def test_people_search_by_folded_name(province, people):
    results = selectors.search_people("dang thu ha")
    assert [m.user for m in results] == [people.stc_admin]
    assert [m.user for m in selectors.search_people("NGUYỄN văn")] == [people.stc_leader]
    assert selectors.search_people("khong co ai") == []


def test_highlight_marks_matches_in_the_original_text():
    html = selectors.highlight("Sở Tài chính <x>", "so tai")
    assert html == "<mark>Sở</mark> <mark>Tài</mark> chính &lt;x&gt;"
    assert selectors.highlight("Đà Nẵng", "da nang") == "<mark>Đà</mark> <mark>Nẵng</mark>"
    assert selectors.highlight("abc", "") == "abc"


def test_visible_to_follows_roles(province, people):
    p = province
    # agency admin of STC: STC and below
    assert set(Agency.objects.visible_to(people.stc_admin)) == {p.stc}
    # specialist: only their own agency
    assert set(Agency.objects.visible_to(people.planner)) == {p.skhdt}
    # a leader of the province sees the whole subtree
    grant_role(user=people.planner, agency=p.ubnd, role=Role.LEADER)
    people.planner.refresh_from_db()
    visible = set(Agency.objects.visible_to(people.planner))
    assert visible == set(selectors.subtree(p.ubnd, include_closed=True))
    assert p.hdnd not in visible
    # platform admin: everything; citizen: nothing
    assert Agency.objects.visible_to(people.platform).count() == Agency.objects.count()
    assert not Agency.objects.visible_to(people.citizen).exists()


def test_tree_nests_children_and_flags_deeper_levels(province):
    top = selectors.tree(None, depth=1)
    assert [n.agency.code for n in top] == ["H57", "K57"]
    ubnd = top[0]
    assert [n.agency.code for n in ubnd.children] == ["H57.03", "H57.19", "H57.40"]
    skhdt = ubnd.children[1]
    assert skhdt.children == [] and skhdt.has_more
    sub = selectors.tree(province.skhdt, depth=1)
    assert [n.agency.code for n in sub] == ["H57.19"]
    assert [n.agency.code for n in sub[0].children] == ["H57.19.01"]
    assert not sub[0].children[0].has_more
