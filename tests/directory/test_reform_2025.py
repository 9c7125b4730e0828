"""The 2025 reform: districts abolished, provinces merged (domain/agencies.md)."""

import datetime as dt

import pytest

from tinhso.accounts.models import Role
from tinhso.audit.models import AuditEntry
from tinhso.core.errors import ValidationFailed
from tinhso.directory import selectors, services
from tinhso.directory.models import AdministrativeUnit, Agency, Membership

pytestmark = pytest.mark.django_db
REFORM = dt.date(2025, 7, 1)


def test_district_abolished_communes_move_up_and_successor_recorded(province):
    p = province
    clerk = services.register_official(
        actor=None,
        username="vanthu.huyen",
        full_name="Mai Thị Thu",
        agency=p.district,
        roles=[Role.CLERK],
    ).user
    successor = services.create_agency(
        actor=None,
        code="H57.51",
        name="Ủy ban nhân dân xã Bình Yên",
        parent=p.ubnd,
        kind="peoples_committee",
        established_on=REFORM,
    )
    services.abolish_district(
        actor=None, district=p.district, successor=successor, effective_on=REFORM
    )

    district = Agency.objects.get(pk=p.district.pk)
    assert district.status == Agency.Status.CLOSED
    assert district.successor == successor and district.closed_on == REFORM
    # the commune now hangs directly under the province, same code, history says why
    commune = Agency.objects.get(pk=p.commune.pk)
    assert commune.parent == p.ubnd and commune.depth == 1 and commune.code == "H57.40.01"
    assert commune.events.get(kind="moved").before == {"parent": "H57.40"}
    # the district's own office closes with the successor
    office = Agency.objects.get(pk=p.district_office.pk)
    assert office.status == "closed" and office.successor == successor
    # staff follow to the successor
    assert Membership.objects.get(user=clerk, ended_on__isnull=True).agency == successor
    # administrative units: the district ends the day before, its communes go to the province
    du = AdministrativeUnit.objects.get(code="570")
    assert not du.is_active and du.valid_to == dt.date(2025, 6, 30)
    assert AdministrativeUnit.objects.get(code="57001").parent.code == "57"
    # nothing deleted: the district is still found by either code, with its history
    assert selectors.get_agency("000.00.40.H57") == district
    assert [e.kind for e in selectors.history(district)] == ["created", "closed"]
    # and the active tree has no district any more
    assert p.district.pk not in {a.pk for a in selectors.subtree(p.ubnd)}
    assert AuditEntry.objects.filter(action="directory.close_agency", object_id="H57.40").exists()


def test_provinces_merged_keep_the_namesake_level1_code(province):
    p = province
    other_unit = services.create_admin_unit(
        actor=None, code="58", name="Tỉnh Bên Cạnh", level="province"
    )
    other = services.create_agency(
        actor=None,
        code="H58",
        legacy_code="000.00.00.H58",
        kind="peoples_committee",
        name="Ủy ban nhân dân tỉnh Bên Cạnh",
        admin_unit=other_unit,
    )
    other_dept = services.create_agency(
        actor=None, code="H58.03", name="Sở Tài chính", kind="department", parent=other
    )
    leader = services.register_official(
        actor=None,
        username="lanhdao.h58",
        full_name="Phan Văn Tỉnh",
        agency=other,
        roles=[Role.LEADER],
    ).user

    kept = services.merge_provinces(
        actor=None, provinces=[p.ubnd, other], new_name="Thử Nghiệm", effective_on=REFORM
    )

    assert kept == p.ubnd and kept.code == "H57" and kept.is_active
    gone = Agency.objects.get(pk=other.pk)
    assert gone.status == Agency.Status.MERGED and gone.successor == p.ubnd
    dept = Agency.objects.get(pk=other_dept.pk)
    assert dept.parent == p.ubnd and dept.path.startswith(p.ubnd.path)
    assert Membership.objects.get(user=leader, ended_on__isnull=True).agency == p.ubnd
    unit = AdministrativeUnit.objects.get(code="58")
    assert not unit.is_active and unit.successor.code == "57"
    # the merged province's code still resolves (documents point at it as it was)
    assert selectors.get_agency("H58").status == "merged"


def test_province_merge_needs_a_namesake(province):
    other = services.create_agency(
        actor=None, code="H58", name="Ủy ban nhân dân tỉnh Khác", kind="peoples_committee"
    )
    with pytest.raises(ValidationFailed) as exc:
        services.merge_provinces(
            actor=None, provinces=[province.ubnd, other], new_name="Hoàn Toàn Mới"
        )
    assert exc.value.code == "no_namesake_province"
    assert Agency.objects.get(pk=other.pk).is_active
