"""Demo data of the meetings app, loaded by `tinhso demo` through the app's services.

The People's Committee (UBND tỉnh, `lanhdao.ubnd` chairs) with its vice-chairs and the
heads of eight departments as members; the Văn phòng UBND's specialist
(`chuyenvien.vpubnd`) is the secretary and its clerk (`vanthu.vpubnd`) numbers the
committee's documents (roles granted at UBND tỉnh through accounts' services). Three
meetings, made step by step as people would:

- last week's session, closed: invitation, check-in, a speaker, a named and a secret vote,
  minutes and conclusion notice signed by the chair, numbered and dispatched (when the
  demo certificates exist), follow-up tasks (one overdue);
- today's session, running: most members checked in, the current item on the room
  screen, a speaker, an open vote with some ballots (log in as a member to vote);
- next week's session, invited: confirmations, a delegate, papers (a draft to comment on,
  a members-only report), a vote prepared;
and an opinion request (phiếu lấy ý kiến) open for three days.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from tinhso.accounts.models import Role, User
from tinhso.core.errors import DomainError
from tinhso.directory.models import Agency
from tinhso.meetings import services
from tinhso.meetings.models import Body

DEPARTMENTS = ["snv", "stc", "stp", "sxd", "syt", "sgddt", "sct", "skhcn"]


def _pdf(title: str, subject: str, lines: list[str]) -> bytes:
    from tinhso.documents.pdfs import render_document_pdf

    return render_document_pdf(
        agency_name="Ủy ban nhân dân tỉnh Sông Lam", title=title, subject=subject, body=lines
    )


def _user(username: str) -> User | None:
    return User.objects.filter(username=username, is_active=True).first()


def load(step) -> None:
    from tinhso.accounts import services as accounts

    ubnd = Agency.objects.filter(code="H99").first()
    chair = _user("lanhdao.ubnd")
    secretary, clerk = _user("chuyenvien.vpubnd"), _user("vanthu.vpubnd")
    if not (ubnd and chair and secretary and clerk):
        step.write("  (họp không giấy: chưa có UBND tỉnh và Văn phòng UBND mẫu; bỏ qua)")
        return
    if Body.objects.filter(agency=ubnd).exists():
        step.write("  họp không giấy: đã nạp từ trước")
        return
    accounts.grant_role(user=secretary, agency=ubnd, role=Role.SPECIALIST)
    accounts.grant_role(user=clerk, agency=ubnd, role=Role.CLERK)
    signing = _signing(step)

    vice = [u for u in (_user("pholanhdao.ubnd"), _user("pholanhdao2.ubnd")) if u]
    heads = [u for u in (_user(f"lanhdao.{slug}") for slug in DEPARTMENTS) if u]
    members = [chair, *vice, *heads]
    body = services.create_body(
        actor=secretary, agency=ubnd, name="Ủy ban nhân dân tỉnh", members=members
    )
    services.add_voting_rule(
        actor=secretary,
        body=body,
        name="Quá nửa tổng số thành viên",
        quorum=(1, 2, True),
        majority_base="members",
        majority=(1, 2, True),
        legal_basis="Luật Tổ chức chính quyền địa phương: quyết định của Ủy ban nhân dân "
        "phải được quá nửa tổng số thành viên biểu quyết tán thành",
        is_default=True,
    )
    services.add_voting_rule(
        actor=secretary,
        body=body,
        name="Hai phần ba số thành viên có mặt",
        quorum=(1, 2, True),
        majority_base="present",
        majority=(2, 3, False),
        legal_basis="Quy chế làm việc của Ủy ban nhân dân tỉnh (vấn đề quan trọng)",
    )
    guest = _user("lanhdao.ttcntt") or _user("chuyenvien.stc")
    delegate = _user("pholanhdao.stc")
    now = timezone.now()
    counts = {"meetings": 0, "votes": 0, "issued": 0}

    def meeting(title: str, starts: dt.datetime, room: str):
        created = services.create_meeting(
            actor=secretary,
            body=body,
            title=title,
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=3),
            chair=chair,
            members=members,
            guests=[guest] if guest else [],
            room=room,
            online_link="https://hop.songlam.gov.vn/ubnd-tinh",
        )
        counts["meetings"] += 1
        items = [
            ("Dự thảo Kế hoạch chuyển đổi số năm 2027", heads[0] if heads else None, 30),
            (
                "Phương án phân bổ dự toán ngân sách bổ sung",
                heads[1] if len(heads) > 1 else None,
                40,
            ),
            ("Địa điểm xây dựng Trung tâm dữ liệu tỉnh", heads[-1] if heads else None, 20),
        ]
        for n, (item_title, presenter, minutes) in enumerate(items):
            item = services.add_agenda_item(
                actor=secretary,
                meeting=created,
                title=item_title,
                presenter=presenter,
                duration_minutes=minutes,
            )
            services.upload_paper(
                actor=secretary,
                item=item,
                title=f"Tờ trình: {item_title}",
                pdf=_pdf("TỜ TRÌNH", item_title, ["Kính trình Ủy ban nhân dân tỉnh xem xét."]),
                is_draft=n == 0,
            )
            if n == 1:
                services.upload_paper(
                    actor=secretary,
                    item=item,
                    title="Báo cáo thẩm định (chỉ thành viên)",
                    pdf=_pdf("BÁO CÁO", "Thẩm định dự toán", ["Nội dung thẩm định."]),
                    members_only=True,
                )
        return created

    def run_vote(m, question, kind, ballots, rule=None, item=None, close=True):
        vote = services.create_vote(
            actor=secretary, meeting=m, question=question, kind=kind, rule=rule, item=item
        )
        services.open_vote(actor=secretary, vote=vote)
        for user, option in ballots:
            services.cast_vote(actor=user, vote=vote, option=option)
        counts["votes"] += 1
        if close:
            services.close_vote(actor=chair, vote=vote)
        return vote

    # --- Last week's session, closed, with its documents issued.
    past = meeting(
        "Phiên họp thường kỳ Ủy ban nhân dân tỉnh tháng trước",
        now - dt.timedelta(days=7),
        "Phòng họp số 1, trụ sở UBND tỉnh",
    )
    services.send_invitation(actor=secretary, meeting=past)
    _issue(past, "gm", chair, clerk, signing, counts)
    services.start_meeting(actor=secretary, meeting=past)
    for user in members[:-1]:
        services.check_in(actor=user, meeting=past, token=past.checkin_token)
    first = past.items.first()
    services.set_current_item(actor=secretary, meeting=past, item=first)
    speech = services.register_to_speak(
        actor=heads[1], meeting=past, topic="Đề nghị bổ sung kinh phí cho chuyển đổi số"
    )
    services.give_floor(actor=chair, meeting=past, speaker=speech)
    present = members[:-1]
    run_vote(
        past,
        "Thông qua Kế hoạch chuyển đổi số năm 2027",
        "named",
        [(u, "no" if i == 3 else "yes") for i, u in enumerate(present)],
        item=first,
    )
    run_vote(
        past,
        "Phương án phân bổ dự toán ngân sách bổ sung",
        "secret",
        [(u, ["yes", "yes", "no", "abstain"][i % 4]) for i, u in enumerate(present)],
        rule=body.rules.get(majority_base="present"),
        item=past.items.all()[1],
    )
    services.close_meeting(actor=secretary, meeting=past)
    services.submit_minutes(actor=secretary, meeting=past)
    _issue(past, "bb", chair, clerk, signing, counts)
    today = timezone.localdate()
    services.submit_conclusion(
        actor=secretary,
        meeting=past,
        text="Ủy ban nhân dân tỉnh thống nhất thông qua Kế hoạch chuyển đổi số năm 2027 và "
        "phương án phân bổ dự toán ngân sách bổ sung.",
        tasks=[
            {
                "title": "Triển khai Kế hoạch chuyển đổi số năm 2027",
                "agency": Agency.objects.get(code="H99.01")
                if Agency.objects.filter(code="H99.01").exists()
                else ubnd,
                "deadline": today + dt.timedelta(days=30),
            },
            {
                "title": "Báo cáo tiến độ giải ngân vốn bổ sung",
                "agency": ubnd,
                "assignee": heads[1] if len(heads) > 1 else None,
                "deadline": today - dt.timedelta(days=2),
            },
        ],
    )
    _issue(past, "tb", chair, clerk, signing, counts)

    # --- Today's session, running: an open vote on the room screen.
    live = meeting(
        "Phiên họp Ủy ban nhân dân tỉnh (đang họp)",
        now - dt.timedelta(minutes=40),
        "Phòng họp trực tuyến tầng 3",
    )
    services.start_meeting(actor=secretary, meeting=live)
    for user in members[:-2]:
        services.check_in(actor=user, meeting=live, token=live.checkin_token)
    current = live.items.first()
    services.set_current_item(actor=secretary, meeting=live, item=current)
    for user, topic in ((heads[0], "Trình bày dự thảo"), (vice[0] if vice else heads[2], "")):
        services.register_to_speak(actor=user, meeting=live, topic=topic)
    services.give_floor(actor=chair, meeting=live, speaker=live.speakers.first())
    run_vote(
        live,
        "Thông qua Dự thảo Kế hoạch chuyển đổi số năm 2027",
        "secret",
        [(u, "yes") for u in members[1:4]],
        item=current,
        close=False,
    )

    # --- Next week's session, invited.
    upcoming = meeting(
        "Phiên họp thường kỳ Ủy ban nhân dân tỉnh tuần sau",
        now + dt.timedelta(days=7),
        "Phòng họp số 1, trụ sở UBND tỉnh",
    )
    services.send_invitation(actor=secretary, meeting=upcoming)
    for user in members[1:5]:
        services.respond(actor=user, meeting=upcoming, response="accepted")
    if delegate and len(heads) > 1:
        services.respond(
            actor=heads[1],
            meeting=upcoming,
            response="delegated",
            delegate=delegate,
            note="Đi công tác Hà Nội",
        )
    draft = upcoming.items.first().papers.first()
    services.comment_on_draft(
        actor=heads[0], paper=draft, text="Đề nghị bổ sung chỉ tiêu dịch vụ công toàn trình."
    )
    services.annotate(actor=vice[0] if vice else chair, paper=draft, text="Hỏi Sở TT&TT mục 3")
    services.create_vote(
        actor=secretary, meeting=upcoming, question="Thông qua Quy chế dữ liệu mở", kind="named"
    )

    # --- An opinion request outside meetings.
    request = services.request_opinions(
        actor=chair,
        body=body,
        title="Dự thảo Quyết định ban hành Quy chế quản lý dữ liệu mở của tỉnh",
        pdf=_pdf("DỰ THẢO", "Quy chế quản lý dữ liệu mở", ["Điều 1. Phạm vi điều chỉnh."]),
        deadline=now + dt.timedelta(days=3),
    )
    services.answer_opinion(actor=members[1], request=request, answer="agree")
    if len(members) > 3:
        services.answer_opinion(
            actor=members[3],
            request=request,
            answer="comment",
            comment="Đề nghị làm rõ trách nhiệm cập nhật dữ liệu của cấp xã.",
        )
    step.write(
        f"  {counts['meetings']} cuộc họp, {counts['votes']} biểu quyết, "
        f"{counts['issued']} văn bản của cuộc họp đã ký số, cấp số và phát hành"
    )


def _signing(step) -> bool:
    """The demo certificates for the roles granted above (the signing app's service)."""
    try:
        from tinhso.signing.services.demo import init_demo

        init_demo()
        return True
    except Exception:  # noqa: BLE001 - no signing on this instance: documents stay drafts
        step.write("  (chưa có chữ ký số mẫu: văn bản của cuộc họp chờ ký)")
        return False


def _issue(meeting, kind, chair, clerk, signing, counts) -> None:
    if not signing:
        return
    try:
        services.sign_meeting_document(actor=chair, meeting=meeting, kind=kind)
        services.issue_meeting_document(actor=clerk, meeting=meeting, kind=kind)
        counts["issued"] += 1
    except DomainError:
        return
