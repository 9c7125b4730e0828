"""Fixtures of the reporting tests: the one-stop tests' small province (a department
with its officials, a procedure with a three-step process), plus a commune and the
helpers that run dossiers through the one-stop services."""

from __future__ import annotations

import pytest

from tests.onestop.conftest import (  # noqa: F401  (fixtures and helpers reused)
    World,
    accepted,
    at_last_step,
    pdf_file,
    submit,
    vn,
    world,
)
from tinhso.accounts.models import Role, RoleGrant, User
from tinhso.directory.models import AdministrativeUnit, Agency


def official(username: str, agency, *roles: str) -> User:
    user = User.objects.create_user(
        username=username, full_name=username, kind=User.Kind.OFFICIAL, password=None
    )
    for role in roles:
        RoleGrant.objects.create(user=user, agency=agency, role=role)
    return user


@pytest.fixture
def province(world) -> World:  # noqa: F811  (the imported fixture)
    """`world` with the province's administrative unit, a commune, and reporting staff."""
    w = world
    unit = AdministrativeUnit.objects.create(code="41", name="Tỉnh Thử", level="province")
    commune_unit = AdministrativeUnit.objects.create(
        code="41001", name="Xã An Sơn", level="commune", parent=unit
    )
    w.province.admin_unit = unit
    w.province.kind = Agency.Kind.PEOPLES_COMMITTEE
    w.province.save()
    w.dept.kind = Agency.Kind.DEPARTMENT
    w.dept.save()
    w.other.kind = Agency.Kind.DEPARTMENT
    w.other.save()
    w.commune = Agency.objects.create(
        code="H41.51",
        legacy_code="000.51.00.H41",
        name="UBND xã An Sơn",
        parent=w.province,
        kind=Agency.Kind.PEOPLES_COMMITTEE,
        admin_unit=commune_unit,
    )
    w.reporter = official("baocao.stp", w.dept, Role.SPECIALIST)
    w.other_reporter = official("baocao.sxd", w.other, Role.SPECIALIST)
    w.other_leader = official("lanhdao.sxd", w.other, Role.LEADER)
    w.office = official("chuyenvien.vpubnd", w.province, Role.SPECIALIST)
    w.chairman = official("chutich.ubnd", w.province, Role.LEADER)
    from tinhso.signing.services import ensure_demo_ca, issue_certificate

    _root, issuing = ensure_demo_ca()
    issue_certificate(ca=issuing, kind="personal", owner_user=w.other_leader, owner_agency=w.other)
    return w
