"""The demo province: shape, people, history, and idempotence."""

import datetime as dt
import io
import time

import pytest
from django.db import connection

from tinhso.accounts.models import Role, RoleGrant, User
from tinhso.accounts.rules import is_platform_admin
from tinhso.audit.models import AuditEntry
from tinhso.directory import demo, selectors
from tinhso.directory.models import (
    AdministrativeUnit,
    Agency,
    AgencyEvent,
    Membership,
    OrgUnit,
    Position,
)

pytestmark = pytest.mark.django_db


def _counts():
    return {
        model.__name__: model.objects.count()
        for model in (
            Agency,
            AgencyEvent,
            AdministrativeUnit,
            OrgUnit,
            Position,
            Membership,
            User,
            RoleGrant,
            AuditEntry,
        )
    }


def test_demo_loads_fast_and_twice_changes_nothing():
    started = time.perf_counter()
    demo.load(io.StringIO())
    if connection.vendor == "sqlite":  # the promise: well under a minute on SQLite
        assert time.perf_counter() - started < 30
    first = _counts()
    snapshot = sorted(Agency.objects.values_list("code", "name", "status", "path", "updated_at"))
    out = io.StringIO()
    demo.load(out)
    assert _counts() == first
    assert (
        sorted(Agency.objects.values_list("code", "name", "status", "path", "updated_at"))
        == snapshot
    )
    assert "0 tài khoản mới" in out.getvalue()

    # --- the shape promised by the docstring
    ubnd = selectors.get_agency("H99")
    assert ubnd.legacy_code == "000.00.00.H99" and ubnd.admin_unit.code == "99"
    assert selectors.get_agency("000.00.00.K99").kind == "peoples_council"
    assert selectors.get_agency("H99.01").name == "Văn phòng Ủy ban nhân dân tỉnh"
    active_children = list(selectors.children(ubnd))
    departments = [a for a in active_children if a.kind == "department"]
    communes = [a for a in active_children if a.kind == "peoples_committee"]
    assert 15 <= len(departments) <= 25 and len(communes) == 30
    assert selectors.search_agencies("trung tam phuc vu hanh chinh cong")[0].code == "H99.16"
    assert first["User"] >= 300
    # districts: created, then closed on 2025-07-01 with a commune as successor
    for code in ("H99.40", "H99.41", "H99.42"):
        d = selectors.get_agency(code)
        assert d.status == "closed" and d.closed_on == dt.date(2025, 7, 1)
        assert d.successor.parent == ubnd and d.successor.kind == "peoples_committee"
        assert {e.kind for e in d.events.all()} >= {"created", "closed"}
        assert not d.admin_unit.is_active
    # the 2025 department reform is in the history
    assert selectors.get_agency("H99.19").successor.code == "H99.03"
    assert selectors.get_agency("H99.06").events.filter(kind="renamed").exists()
    # no district in the active tree: the two-level shape
    assert not any(
        a.admin_unit and a.admin_unit.level == "district" for a in selectors.subtree(ubnd)
    )

    # --- people: every department and commune has a leader, a clerk and a specialist
    for agency in departments + communes:
        roles = set(RoleGrant.objects.filter(agency=agency).values_list("role", flat=True))
        assert {Role.LEADER, Role.CLERK, Role.SPECIALIST} <= roles, agency.code
        assert OrgUnit.objects.filter(agency=agency).exists()
    for username in (
        "lanhdao.stc",
        "vanthu.stc",
        "chuyenvien.stc",
        "motcua.ttphvhcc",
        "motcua2.ttphvhcc",
        "lanhdao.xanson",
        "quantri.stc",
        "lanhdao.ubnd",
    ):
        assert User.objects.filter(username=username, kind="official").exists(), username
    admin = User.objects.get(username="admin")
    assert is_platform_admin(admin)
    # a person holding posts in two agencies
    motcua = User.objects.get(username="motcua.stc")
    assert {m.agency.code for m in selectors.person_posts(motcua)} == {"H99.03", "H99.16"}
    # citizens and a business
    citizens = User.objects.filter(kind="citizen")
    assert citizens.count() >= 3 and all(len(c.citizen_id) == 12 for c in citizens)
    assert User.objects.get(kind="business").tax_code == "9900123456"
    # the agency admin of STC sees STC only; the province leader sees the province
    assert set(Agency.objects.visible_to(User.objects.get(username="quantri.stc"))) == {
        selectors.get_agency("H99.03")
    }
    leader = User.objects.get(username="lanhdao.ubnd")
    assert (
        Agency.objects.visible_to(leader).count()
        == selectors.subtree(ubnd, include_closed=True).count()
    )


def test_person_names_are_deterministic():
    assert demo.person_name(1) == demo.person_name(1)
    assert len({demo.person_name(i) for i in range(400)}) == 400
