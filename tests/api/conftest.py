"""A small province for the API tests: agencies of two levels, a procedure with a process,
an official holding every role in one department, a platform administrator and a citizen,
each with an API token (`Authorization: Token <key>`)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import pytest

from tinhso.accounts import services as accounts
from tinhso.accounts.models import Role, User
from tinhso.directory.models import AdministrativeUnit, Agency, Membership, OrgUnit


def pdf_bytes() -> bytes:
    from tinhso.documents.pdfs import render_document_pdf

    return render_document_pdf(
        agency_name="Ủy ban nhân dân tỉnh Thử Nghiệm",
        title="Tờ khai",
        subject="Tờ khai cấp bản sao trích lục hộ tịch",
        body=["Nội dung tờ khai."],
    )


def pdf_file(name: str = "giay-to.pdf") -> io.BytesIO:
    stream = io.BytesIO(pdf_bytes())
    stream.name = name
    return stream


@dataclass
class ApiWorld:
    province: Agency
    dept: Agency
    commune: Agency
    official: User
    admin: User
    citizen: User
    tokens: dict[str, str] = field(default_factory=dict)
    objects: dict[str, object] = field(default_factory=dict)

    def auth(self, who: str) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Token {self.tokens[who]}"}

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Token {self.tokens[who]}"}


def build_world() -> ApiWorld:
    from tinhso.onestop import services as onestop
    from tinhso.onestop.models import Field, Procedure, ProcessStep, ProcessTemplate, RequiredPaper

    province = Agency.objects.create(
        code="H57", legacy_code="000.00.00.H57", name="Ủy ban nhân dân tỉnh Thử Nghiệm"
    )
    dept = Agency.objects.create(
        code="H57.01",
        legacy_code="000.00.01.H57",
        name="Sở Tư pháp",
        kind=Agency.Kind.DEPARTMENT,
        parent=province,
    )
    commune = Agency.objects.create(
        code="H57.02.01",
        name="Ủy ban nhân dân xã Suối Trong",
        kind=Agency.Kind.PEOPLES_COMMITTEE,
        parent=province,
        admin_unit=AdministrativeUnit.objects.create(
            code="57001", name="Xã Suối Trong", level=AdministrativeUnit.Level.COMMUNE
        ),
    )
    unit = OrgUnit.objects.create(agency=dept, name="Phòng Hành chính tư pháp", short_name="HCTP")
    official = accounts.create_official(
        username="canbo.stp",
        full_name="Lê Văn Cán Bộ",
        email="canbo.stp@example.gov.vn",
        password="Mat-khau-2026!",
    )
    for role in (
        Role.ONESTOP_OFFICER,
        Role.SPECIALIST,
        Role.LEADER,
        Role.CLERK,
        Role.AGENCY_ADMIN,
    ):
        accounts.grant_role(user=official, agency=dept, role=role)
    Membership.objects.create(user=official, agency=dept, org_unit=unit)
    admin = User.objects.create_superuser(
        username="quantri", password=None, full_name="Quản trị nền tảng"
    )
    citizen = accounts.create_citizen(
        username="congdan.an",
        full_name="Nguyễn Văn An",
        citizen_id="001090001234",
        phone="0912345678",
        email="an@example.com",
        password="Mat-khau-2026!",
    )

    fld = Field.objects.create(code="HT", name="Hộ tịch")
    procedure = Procedure.objects.create(
        code="1.001193",
        name="Cấp bản sao trích lục hộ tịch",
        field=fld,
        agency=dept,
        processing_days=Decimal("5"),
        fee_vnd=0,
        online_type="full",
        form_schema={"type": "object", "properties": {"ho_ten": {"type": "string"}}},
    )
    paper = RequiredPaper.objects.create(
        procedure=procedure, order=1, name="Tờ khai", is_required=False
    )
    template = ProcessTemplate.objects.create(procedure=procedure, name="QT")
    for order, (name, kind, role, days) in enumerate(
        [
            ("Tiếp nhận", "reception", Role.ONESTOP_OFFICER, "0.5"),
            ("Thẩm định", "processing", Role.SPECIALIST, "3.5"),
            ("Phê duyệt", "approval", Role.LEADER, "1"),
        ],
        start=1,
    ):
        ProcessStep.objects.create(
            template=template,
            order=order,
            name=name,
            kind=kind,
            role=role,
            budget_days=Decimal(days),
        )
    # performed by every commune: the applicant chooses the commune
    commune_procedure = Procedure.objects.create(
        code="2.000001",
        name="Chứng thực bản sao từ bản chính",
        field=fld,
        agency=None,
        levels="commune",
        processing_days=Decimal("1"),
        fee_vnd=0,
        online_type="full",
    )
    dossier = onestop.submit_dossier(
        user=citizen,
        procedure=procedure,
        form_data={"ho_ten": citizen.full_name},
        attachments=[onestop.Attachment(file=pdf_file(), paper=paper)],
    )
    world = ApiWorld(
        province=province,
        dept=dept,
        commune=commune,
        official=official,
        admin=admin,
        citizen=citizen,
        objects={
            "procedure": procedure,
            "commune_procedure": commune_procedure,
            "dossier": dossier,
            "unit": unit,
            "today": date.today(),
        },
    )
    for who in ("official", "admin", "citizen"):
        world.tokens[who] = accounts.issue_token(user=getattr(world, who))
    return world


@pytest.fixture
def api_world(db) -> ApiWorld:
    return build_world()
