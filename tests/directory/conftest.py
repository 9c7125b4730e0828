"""A small province for directory tests: UBND tỉnh H57 with two departments, a district with
a commune, a Council K57, and a few officials."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from tinhso.accounts.middleware import SESSION_KEY
from tinhso.accounts.models import Role
from tinhso.accounts.services import create_citizen, create_official, grant_role
from tinhso.directory import services
from tinhso.directory.models import AdministrativeUnit


@pytest.fixture
def province(db):
    L = AdministrativeUnit.Level
    pu = services.create_admin_unit(actor=None, code="57", name="Tỉnh Thử Nghiệm", level=L.PROVINCE)
    du = services.create_admin_unit(
        actor=None, code="570", name="Huyện Bình Yên", level=L.DISTRICT, parent=pu
    )
    cu = services.create_admin_unit(
        actor=None, code="57001", name="Xã Hòa An", level=L.COMMUNE, parent=du
    )
    ubnd = services.create_agency(
        actor=None,
        code="H57",
        legacy_code="000.00.00.H57",
        kind="peoples_committee",
        name="Ủy ban nhân dân tỉnh Thử Nghiệm",
        short_name="UBND",
        admin_unit=pu,
        established_on=dt.date(2000, 1, 1),
    )
    hdnd = services.create_agency(
        actor=None,
        code="K57",
        legacy_code="000.00.00.K57",
        kind="peoples_council",
        name="Hội đồng nhân dân tỉnh Thử Nghiệm",
        admin_unit=pu,
    )
    stc = services.create_agency(
        actor=None,
        code="H57.03",
        legacy_code="000.00.03.H57",
        name="Sở Tài chính",
        short_name="STC",
        kind="department",
        parent=ubnd,
    )
    skhdt = services.create_agency(
        actor=None,
        code="H57.19",
        legacy_code="000.00.19.H57",
        name="Sở Kế hoạch và Đầu tư",
        short_name="SKHĐT",
        kind="department",
        parent=ubnd,
    )
    ttxt = services.create_agency(
        actor=None,
        code="H57.19.01",
        legacy_code="000.01.19.H57",
        name="Trung tâm Xúc tiến đầu tư",
        kind="public_unit",
        parent=skhdt,
    )
    district = services.create_agency(
        actor=None,
        code="H57.40",
        legacy_code="000.00.40.H57",
        kind="peoples_committee",
        name="Ủy ban nhân dân huyện Bình Yên",
        parent=ubnd,
        admin_unit=du,
        established_on=dt.date(2008, 1, 1),
    )
    commune = services.create_agency(
        actor=None,
        code="H57.40.01",
        legacy_code="000.01.40.H57",
        kind="peoples_committee",
        name="Ủy ban nhân dân xã Hòa An",
        parent=district,
        admin_unit=cu,
    )
    district_office = services.create_agency(
        actor=None,
        code="H57.40.90",
        name="Phòng Tài chính - Kế hoạch huyện Bình Yên",
        kind="other",
        parent=district,
    )
    director = services.ensure_position(actor=None, name="Giám đốc", rank=10, is_leader=True)
    specialist = services.ensure_position(actor=None, name="Chuyên viên", rank=60)
    budget = services.create_org_unit(actor=None, agency=stc, name="Phòng Quản lý ngân sách")
    plan_unit = services.create_org_unit(actor=None, agency=skhdt, name="Phòng Tổng hợp")
    return SimpleNamespace(
        ubnd=ubnd,
        hdnd=hdnd,
        stc=stc,
        skhdt=skhdt,
        ttxt=ttxt,
        district=district,
        commune=commune,
        district_office=district_office,
        province_unit=pu,
        district_unit=du,
        commune_unit=cu,
        director=director,
        specialist=specialist,
        budget=budget,
        plan_unit=plan_unit,
    )


@pytest.fixture
def people(province):
    """platform admin; STC admin; SKHĐT specialist; a citizen."""
    p = province
    platform = create_official(username="nentang", full_name="Quản Trị Nền Tảng")
    grant_role(user=platform, agency=p.ubnd, role=Role.PLATFORM_ADMIN)
    stc_admin = services.register_official(
        actor=None,
        username="quantri.stc",
        full_name="Đặng Thu Hà",
        agency=p.stc,
        roles=[Role.AGENCY_ADMIN],
        phone="0990000001",
    ).user
    stc_leader = services.register_official(
        actor=None,
        username="lanhdao.stc",
        full_name="Nguyễn Văn Hùng",
        agency=p.stc,
        position=p.director,
        roles=[Role.LEADER],
        phone="0990000002",
    ).user
    planner = services.register_official(
        actor=None,
        username="chuyenvien.skhdt",
        full_name="Trần Thị Lan",
        agency=p.skhdt,
        position=p.specialist,
        org_unit=p.plan_unit,
        roles=[Role.SPECIALIST],
        phone="0990000003",
    ).user
    citizen = create_citizen(username="congdan", full_name="Lê Văn Dân", citizen_id="099090000001")
    return SimpleNamespace(
        platform=platform,
        stc_admin=stc_admin,
        stc_leader=stc_leader,
        planner=planner,
        citizen=citizen,
    )


def login(client, user):
    client.force_login(user)
    session = client.session
    session[SESSION_KEY] = True
    session.save()
    return client
