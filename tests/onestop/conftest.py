"""Fixtures of the one-stop tests: a small province, officials, a procedure with a
three-step internal process, citizens and helpers to run a dossier through its life."""

from __future__ import annotations

import io
from datetime import datetime
from decimal import Decimal

import pytest

from tinhso.accounts.models import Role, RoleGrant, User
from tinhso.directory.models import Agency
from tinhso.onestop import services
from tinhso.onestop.models import Field, Procedure, ProcessStep, ProcessTemplate, RequiredPaper
from tinhso.workdays.services import VN


def blank_pdf() -> bytes:
    """A real one-page PDF (papers are opened and checked for active content)."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


PDF = blank_pdf()


def pdf_file(name: str = "giay-to.pdf", extra: bytes = b"") -> io.BytesIO:
    stream = io.BytesIO(PDF + extra)
    stream.name = name
    return stream


def vn(*args) -> datetime:
    return datetime(*args, tzinfo=VN)


def _official(username: str, agency: Agency, *roles: str) -> User:
    user = User.objects.create_user(
        username=username, full_name=username, kind=User.Kind.OFFICIAL, password=None
    )
    for role in roles:
        RoleGrant.objects.create(user=user, agency=agency, role=role)
    return user


class World:
    pass


@pytest.fixture
def world(db) -> World:
    w = World()
    w.province = Agency.objects.create(code="H41", legacy_code="000.00.00.H41", name="UBND tỉnh")
    w.dept = Agency.objects.create(
        code="H41.15", legacy_code="000.00.15.H41", name="Sở Tư pháp", parent=w.province
    )
    w.other = Agency.objects.create(
        code="H41.16", legacy_code="000.00.16.H41", name="Sở Xây dựng", parent=w.province
    )
    w.officer = _official("motcua.stp", w.dept, Role.ONESTOP_OFFICER)
    w.specialist = _official("chuyenvien.stp", w.dept, Role.SPECIALIST)
    w.specialist2 = _official("chuyenvien2.stp", w.dept, Role.SPECIALIST)
    w.leader = _official("lanhdao.stp", w.dept, Role.LEADER)
    w.outsider = _official("chuyenvien.sxd", w.other, Role.SPECIALIST, Role.LEADER)
    w.outsider_officer = _official("motcua.sxd", w.other, Role.ONESTOP_OFFICER)
    w.admin = User.objects.create_superuser(username="quantri", password=None, full_name="QT")
    w.citizen = User.objects.create_user(
        username="nguyenvana",
        full_name="Nguyễn Văn A",
        citizen_id="001090001234",
        phone="0912345678",
        email="a@example.vn",
    )
    w.citizen2 = User.objects.create_user(
        username="tranthib", full_name="Trần Thị B", citizen_id="001090005678", phone="0987000111"
    )
    w.field = Field.objects.create(code="HT", name="Hộ tịch")
    w.procedure = Procedure.objects.create(
        code="1.001193",
        name="Cấp bản sao trích lục hộ tịch",
        field=w.field,
        agency=w.dept,
        processing_days=Decimal("5"),
        fee_vnd=0,
        online_type="full",
        form_schema={
            "type": "object",
            "required": ["ho_ten"],
            "properties": {
                "ho_ten": {"type": "string", "title": "Họ và tên", "minLength": 2},
                "so_ban": {"type": "integer", "title": "Số bản", "minimum": 1, "maximum": 10},
            },
        },
    )
    # the declaration the e-form fills in (satisfied by the e-form; an upload is optional)
    w.paper = RequiredPaper.objects.create(
        procedure=w.procedure,
        order=1,
        name="Tờ khai cấp bản sao trích lục",
        is_required=True,
        is_eform=True,
    )
    w.template = ProcessTemplate.objects.create(procedure=w.procedure, name="QT")
    w.steps = [
        ProcessStep.objects.create(
            template=w.template,
            order=1,
            name="Tiếp nhận, chuyển hồ sơ",
            kind="reception",
            role=Role.ONESTOP_OFFICER,
            budget_days=Decimal("0.5"),
        ),
        ProcessStep.objects.create(
            template=w.template,
            order=2,
            name="Thẩm định hồ sơ",
            kind="processing",
            role=Role.SPECIALIST,
            budget_days=Decimal("3.5"),
        ),
        ProcessStep.objects.create(
            template=w.template,
            order=3,
            name="Phê duyệt",
            kind="approval",
            role=Role.LEADER,
            budget_days=Decimal("1"),
        ),
    ]
    # The leader who approves signs the result: a certificate, as `tinhso pki init-demo`
    # gives one. (The agency's seal is the signing tests' business: this procedure's
    # result goes without it, and the department holds no seal certificate here.)
    from tinhso.signing.services import ensure_demo_ca, issue_certificate

    _root, issuing = ensure_demo_ca()
    issue_certificate(ca=issuing, kind="personal", owner_user=w.leader, owner_agency=w.dept)
    w.procedure.result_needs_seal = False
    w.procedure.save(update_fields=["result_needs_seal"])
    return w


def submit(w: World, user=None, **kwargs):
    user = user or w.citizen
    return services.submit_dossier(
        user=user,
        procedure=kwargs.pop("procedure", w.procedure),
        form_data=kwargs.pop("form_data", {"ho_ten": user.full_name, "so_ban": 1}),
        attachments=kwargs.pop(
            "attachments", [services.Attachment(file=pdf_file(), paper=w.paper)]
        ),
        **kwargs,
    )


def accepted(w: World, **kwargs):
    dossier = submit(w, **kwargs)
    return services.accept_dossier(officer=w.officer, dossier=dossier)


def at_last_step(w: World, **kwargs):
    """At the leader's approval step, with the result draft the specialist attached."""
    dossier = accepted(w, **kwargs)
    services.forward_to_next_step(official=w.officer, dossier=dossier, to_user=w.specialist)
    services.attach_result(
        official=w.specialist, dossier=dossier, file=pdf_file("du-thao-ket-qua.pdf")
    )
    services.forward_to_next_step(official=w.specialist, dossier=dossier, to_user=w.leader)
    return dossier
