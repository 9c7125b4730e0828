"""A People's Committee with its chair, secretary, clerk, members in departments and a
guest; a body with the usual voting rules; a meeting ready to run."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.utils import timezone

from tinhso.accounts import services as accounts
from tinhso.accounts.models import Role
from tinhso.directory.models import Agency, Membership
from tinhso.documents.pdfs import render_document_pdf
from tinhso.meetings import services
from tinhso.meetings.models import Body, Meeting, VotingRule

PASSWORD = "Mat-khau-123!"


def make_pdf(subject: str = "Dự thảo Kế hoạch chuyển đổi số năm 2027") -> bytes:
    return render_document_pdf(
        agency_name="Ủy ban nhân dân tỉnh Sông Lam",
        title="Tờ trình",
        subject=subject,
        body=["Ủy ban nhân dân tỉnh xem xét, cho ý kiến về dự thảo."],
    )


def official(username: str, full_name: str, agency: Agency, role: str | None = None):
    user = accounts.create_official(
        username=username,
        full_name=full_name,
        email=f"{username}@example.vn",
        phone="0912" + str(sum(map(ord, username)) * 7919 % 1_000_000).zfill(6),
        password=PASSWORD,
    )
    if role:
        accounts.grant_role(user=user, agency=agency, role=role)
    Membership.objects.create(user=user, agency=agency)
    return user


@dataclass
class Committee:
    agency: Agency
    departments: list[Agency]
    chair: object
    secretary: object
    clerk: object
    members: list = field(default_factory=list)  # chair first
    guest: object = None
    outsider: object = None
    body: Body | None = None
    half: VotingRule | None = None
    two_thirds: VotingRule | None = None


def make_committee(n_members: int = 5, prefix: str = "m") -> Committee:
    agency = Agency.objects.create(
        code=f"H{prefix}.01",
        name="Ủy ban nhân dân tỉnh Sông Lam",
        short_name="UBND",
        kind="peoples_committee",
    )
    departments = [
        Agency.objects.create(
            code=f"H{prefix}.1{i}", name=f"Sở số {i}", short_name=f"S{i}", kind="department"
        )
        for i in range(3)
    ]
    chair = official(f"{prefix}_chair", "Nguyễn Văn Chủ Tịch", agency, Role.LEADER)
    secretary = official(f"{prefix}_secretary", "Trần Thị Thư Ký", agency, Role.SPECIALIST)
    clerk = official(f"{prefix}_clerk", "Lê Văn Văn Thư", agency, Role.CLERK)
    members = [chair]
    for i in range(1, n_members):
        dep = departments[i % len(departments)]
        members.append(official(f"{prefix}_member{i}", f"Thành Viên Số {i}", dep, Role.LEADER))
    guest = official(f"{prefix}_guest", "Phạm Khách Mời", departments[0], Role.SPECIALIST)
    outsider = official(f"{prefix}_outsider", "Người Ngoài", departments[1], Role.SPECIALIST)
    c = Committee(agency, departments, chair, secretary, clerk, members, guest, outsider)
    c.body = services.create_body(
        actor=secretary, agency=agency, name="Ủy ban nhân dân tỉnh", members=members
    )
    c.half = services.add_voting_rule(
        actor=secretary,
        body=c.body,
        name="Quá nửa tổng số thành viên",
        quorum=(1, 2, True),
        majority_base="members",
        majority=(1, 2, True),
        legal_basis="Điều 88 Luật Tổ chức chính quyền địa phương (quá nửa tổng số thành viên)",
        is_default=True,
    )
    c.two_thirds = services.add_voting_rule(
        actor=secretary,
        body=c.body,
        name="Hai phần ba số có mặt",
        quorum=(2, 3, False),
        majority_base="present",
        majority=(2, 3, False),
        legal_basis="Quy chế làm việc của UBND tỉnh",
    )
    return c


def make_meeting(c: Committee, *, guests=None, title="Phiên họp thường kỳ tháng 12") -> Meeting:
    meeting = services.create_meeting(
        actor=c.secretary,
        body=c.body,
        title=title,
        starts_at=timezone.now() + timedelta(days=1),
        chair=c.chair,
        members=c.members,
        guests=[c.guest] if guests is None else guests,
        room="Phòng họp số 1, trụ sở UBND tỉnh",
        online_link="https://meet.songlam.gov.vn/phien-hop-12",
    )
    services.add_agenda_item(
        actor=c.secretary,
        meeting=meeting,
        title="Kế hoạch chuyển đổi số 2027",
        presenter=c.members[1],
        duration_minutes=20,
    )
    services.add_agenda_item(
        actor=c.secretary, meeting=meeting, title="Dự toán ngân sách", duration_minutes=30
    )
    return meeting


def running(c: Committee, meeting: Meeting, present=None) -> Meeting:
    """Start the meeting with `present` (default: every member) checked in."""
    services.start_meeting(actor=c.secretary, meeting=meeting)
    for user in c.members if present is None else present:
        services.check_in(actor=user, meeting=meeting, token=meeting.checkin_token)
    meeting.refresh_from_db()
    return meeting


@pytest.fixture
def committee(db) -> Committee:
    return make_committee()


@pytest.fixture
def meeting(committee) -> Meeting:
    return make_meeting(committee)
