"""Security tests: a small province (UBND, two departments), the centre's analyst (a
platform admin), an agency admin, the seeded severity bands/criteria/rules, and a sensor
with its token."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from tinhso.accounts.middleware import SESSION_KEY
from tinhso.accounts.models import Role
from tinhso.accounts.services import create_official, grant_role
from tinhso.directory import services as directory
from tinhso.security import intake

SAMPLES = Path(__file__).parent / "samples"


def sample(name: str) -> dict:
    return json.loads((SAMPLES / name).read_text())


def login(client, user):
    client.force_login(user)
    session = client.session
    session[SESSION_KEY] = True
    session.save()
    return client


@pytest.fixture(autouse=True)
def seeded(db):
    """The migration's data (a transactional test elsewhere may have flushed it)."""
    from django.apps import apps

    importlib.import_module("tinhso.security.migrations.0002_seed").seed(apps, None)
    importlib.import_module("tinhso.security.migrations.0003_brute_force_rule").add(apps, None)
    intake.forget_tables()
    yield
    intake.forget_tables()


@pytest.fixture
def soc(db):
    from tinhso.security import services
    from tinhso.security.models import AssetRange

    ubnd = directory.create_agency(
        actor=None, code="H58", kind="peoples_committee", name="Ủy ban nhân dân tỉnh Thử"
    )
    stc = directory.create_agency(
        actor=None, code="H58.03", name="Sở Tài chính", kind="department", parent=ubnd
    )
    syt = directory.create_agency(
        actor=None, code="H58.07", name="Sở Y tế", kind="department", parent=ubnd
    )
    analyst = create_official(
        username="giamsat", full_name="Phan Văn Giám Sát", email="giamsat@example.vn"
    )
    grant_role(user=analyst, agency=ubnd, role=Role.PLATFORM_ADMIN)
    stc_admin = create_official(
        username="quantri.stc", full_name="Đặng Thu Hà", email="quantri.stc@example.vn"
    )
    grant_role(user=stc_admin, agency=stc, role=Role.AGENCY_ADMIN)
    syt_admin = create_official(username="quantri.syt", full_name="Lê Y Tế")
    grant_role(user=syt_admin, agency=syt, role=Role.AGENCY_ADMIN)
    clerk = create_official(username="vanthu.stc", full_name="Văn Thư")
    grant_role(user=clerk, agency=stc, role=Role.CLERK)
    portal = services.save_system(
        actor=analyst,
        owner=stc,
        code="STC-DVC",
        name="Cổng dịch vụ tài chính",
        holds_personal_data=True,
        personal_data_subjects=50_000,
        criteria=["online-service-l3"],
    )
    source, token = services.create_source(actor=analyst, name="wazuh-tinh", kind="wazuh")
    AssetRange.objects.create(kind="agent_id", value="017", agency=stc, system=portal)
    AssetRange.objects.create(kind="ip_range", value="10.30.0.0/16", agency=syt)
    AssetRange.objects.create(kind="host", value="tinhso", agency=ubnd)
    intake.forget_tables()
    return SimpleNamespace(
        ubnd=ubnd,
        stc=stc,
        syt=syt,
        analyst=analyst,
        stc_admin=stc_admin,
        syt_admin=syt_admin,
        clerk=clerk,
        portal=portal,
        source=source,
        token=token,
    )
