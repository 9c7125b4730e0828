"""Fixtures for document tests: two agencies, their officials with roles, small PDFs."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

import pytest

from tinhso.accounts import services as accounts
from tinhso.accounts.models import Role
from tinhso.directory.models import Agency, Membership, OrgUnit
from tinhso.documents.pdfs import render_document_pdf


def make_pdf(
    subject: str = "Về việc triển khai kế hoạch chuyển đổi số",
    body: str = "",
    agency_name: str = "Ủy ban nhân dân tỉnh Sông Lam",
) -> bytes:
    return render_document_pdf(
        agency_name=agency_name,
        title="Công văn",
        subject=subject,
        body=[body or "Ủy ban nhân dân tỉnh đề nghị các sở, ban, ngành thực hiện nghiêm túc."],
    )


def encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf())))
    writer.encrypt("mat-khau")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


@dataclass
class Office:
    agency: Agency
    unit: OrgUnit
    clerk: object
    leader: object
    specialist: object
    specialist2: object


def make_office(code: str, name: str, short: str, prefix: str) -> Office:
    agency = Agency.objects.create(code=code, name=name, short_name=short, kind="department")
    unit = OrgUnit.objects.create(agency=agency, name="Phòng Kế hoạch", short_name="KH")
    people = {}
    for role, full_name in [
        ("clerk", "Trần Thị Văn Thư"),
        ("leader", "Nguyễn Văn Lãnh Đạo"),
        ("specialist", "Lê Thị Chuyên Viên"),
        ("specialist2", "Phạm Văn Phối Hợp"),
    ]:
        user = accounts.create_official(
            username=f"{prefix}_{role}",
            full_name=full_name,
            email=f"{prefix}_{role}@example.vn",
            password="Mat-khau-123!",
        )
        grant = {"clerk": Role.CLERK, "leader": Role.LEADER}.get(role, Role.SPECIALIST)
        accounts.grant_role(user=user, agency=agency, role=grant)
        Membership.objects.create(
            user=user, agency=agency, org_unit=unit if role.startswith("specialist") else None
        )
        people[role] = user
    return Office(agency=agency, unit=unit, **people)


@pytest.fixture
def office(db) -> Office:
    return make_office("H99.10", "Sở Thông tin và Truyền thông", "STTTT", "s1")


@pytest.fixture
def other_office(db) -> Office:
    return make_office("H99.20", "Sở Tài chính Đà Nẵng", "STC", "s2")


@pytest.fixture
def pdf() -> bytes:
    return make_pdf()


def register(office: Office, **overrides):
    from tinhso.documents import services

    values = dict(
        actor=office.clerk,
        agency=office.agency,
        pdf=make_pdf(overrides.pop("body_subject", "Về việc triển khai kế hoạch chuyển đổi số")),
        sender_name="Ủy ban nhân dân tỉnh Sông Lam",
        number_notation="123/QĐ-UBND",
        issued_on=date(2026, 1, 5),
        doc_type="qd",
        subject="Về việc ban hành kế hoạch chuyển đổi số năm 2026",
    )
    values.update(overrides)
    return services.register_incoming(**values)


def draft(office: Office, **overrides):
    """A draft outgoing decision by the office's specialist, to the Ministry of Home Affairs."""
    from tinhso.documents import services

    values = dict(
        external_recipients=[("Bộ Nội vụ", "G09")],
        actor=office.specialist,
        agency=office.agency,
        doc_type="qd",
        subject="Quyết định ban hành quy chế",
        pdf=make_pdf(),
    )
    values.update(overrides)
    return services.create_draft(**values)
