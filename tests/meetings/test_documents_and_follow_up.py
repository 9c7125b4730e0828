"""The invitation, the minutes and the conclusion notice become outgoing documents in
`documents`: signed by the chair, numbered in the register, sealed and dispatched; the
participants hear of them by e-mail, SMS and chat; the notice's tasks are followed up."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tinhso.core.errors import DomainError
from tinhso.documents import services as documents
from tinhso.documents.models import OutgoingDocument
from tinhso.meetings import selectors, services
from tinhso.meetings.models import FollowUpTask, Meeting, MeetingDocument
from tinhso.notify.models import Message

from .conftest import running


def _sign_and_issue(c, meeting, kind):
    services.sign_meeting_document(actor=c.chair, meeting=meeting, kind=kind)
    doc = services.issue_meeting_document(actor=c.clerk, meeting=meeting, kind=kind)
    doc.outgoing.refresh_from_db()
    return doc.outgoing


def test_invitation_minutes_and_notice_are_numbered_signed_outgoing_documents(committee, meeting):
    from tinhso.signing.selectors import verify_pdf
    from tinhso.signing.services.demo import init_demo

    c = committee
    init_demo()  # the demo CA: the chair's certificate and the agency's seal

    # Invitation: a GM draft waiting for the chair; everyone told on three channels.
    gm = services.send_invitation(actor=c.secretary, meeting=meeting)
    assert gm.outgoing.doc_type == "gm" and gm.outgoing.status == "reviewed"
    assert gm.outgoing.signer_id == c.chair.pk
    channels = set(
        Message.objects.filter(template="meetings_invitation", recipient=c.members[1]).values_list(
            "channel", flat=True
        )
    )
    assert channels == {"email", "sms", "chat"}
    with pytest.raises(DomainError) as early:
        services.issue_meeting_document(actor=c.clerk, meeting=meeting, kind="gm")
    assert early.value.code == "meeting_document_not_signed"
    invitation = _sign_and_issue(c, meeting, "gm")
    assert invitation.status == OutgoingDocument.Status.DISPATCHED
    assert invitation.number_notation == "01/GM-UBND"
    # dispatched to the departments where the participants work
    assert set(invitation.recipients.values_list("agency__code", flat=True)) == {
        d.code for d in c.departments
    }

    # The meeting runs: a speaker, a vote; closing drafts the minutes.
    running(c, meeting)
    item = meeting.items.first()
    services.set_current_item(actor=c.secretary, meeting=meeting, item=item)
    speaker = services.register_to_speak(
        actor=c.members[3], meeting=meeting, topic="Đề nghị bổ sung kinh phí"
    )
    services.give_floor(actor=c.chair, meeting=meeting, speaker=speaker)
    vote = services.create_vote(
        actor=c.secretary, meeting=meeting, question="Thông qua Kế hoạch chuyển đổi số 2027"
    )
    services.open_vote(actor=c.secretary, vote=vote)
    for user in c.members:
        services.cast_vote(actor=user, vote=vote, option="yes")
    services.close_vote(actor=c.secretary, vote=vote)
    meeting = services.close_meeting(actor=c.secretary, meeting=meeting)
    text = meeting.minutes_text
    assert "Thông qua Kế hoạch chuyển đổi số 2027" in text and "THÔNG QUA" in text
    assert "Tán thành: 5" in text and "Thành Viên Số 3 (Đề nghị bổ sung kinh phí)" in text

    # The secretary edits, submits; the chair signs; the clerk numbers and dispatches.
    services.edit_minutes(actor=c.secretary, meeting=meeting, text=text + "\nThư ký bổ sung.")
    services.submit_minutes(actor=c.secretary, meeting=meeting)
    with pytest.raises(DomainError) as frozen:
        services.edit_minutes(actor=c.secretary, meeting=meeting, text="khác")
    assert frozen.value.code == "meeting_document_exists"
    minutes = _sign_and_issue(c, meeting, "bb")
    assert minutes.number_notation == "02/BB-UBND" and minutes.digitally_signed
    reports = verify_pdf(documents.read_file_bytes(minutes.latest_file))
    assert len(reports) == 2 and all(r.intact and r.trusted for r in reports)
    assert reports[0].signer_name == c.chair.full_name

    # Conclusion notice with tasks, followed up on the leadership page.
    deadline = timezone.localdate() + timedelta(days=10)
    services.submit_conclusion(
        actor=c.secretary,
        meeting=meeting,
        text="Ủy ban nhân dân tỉnh thống nhất thông qua Kế hoạch chuyển đổi số năm 2027.",
        tasks=[
            {"title": "Triển khai kế hoạch", "agency": c.departments[1], "deadline": deadline},
            {
                "title": "Báo cáo kinh phí",
                "agency": c.departments[2],
                "assignee": c.members[2],
                "deadline": timezone.localdate() - timedelta(days=1),
            },
        ],
    )
    notice = _sign_and_issue(c, meeting, "tb")
    assert notice.number_notation == "03/TB-UBND"
    assert set(MeetingDocument.objects.filter(meeting=meeting).values_list("kind", flat=True)) == {
        "gm",
        "bb",
        "tb",
    }
    issued = Message.objects.filter(template="meetings_document_issued", recipient=c.members[4])
    assert issued.count() == 9  # three documents, three channels
    tasks = selectors.follow_up_tasks(c.chair)
    assert [t.title for t in tasks] == ["Báo cáo kinh phí", "Triển khai kế hoạch"]
    assert [t.is_overdue for t in tasks] == [True, False]
    done = services.finish_task(actor=c.members[2], task=tasks[0], result="Đã báo cáo.")
    assert done.status == FollowUpTask.Status.DONE
    assert selectors.follow_up_tasks(c.chair, status="open").count() == 1


def test_only_a_signed_document_is_issued_and_nothing_moves_on_error(committee, meeting):
    c = committee
    services.send_invitation(actor=c.secretary, meeting=meeting)
    with pytest.raises(DomainError):
        services.send_invitation(actor=c.secretary, meeting=meeting)
    # without a certificate the chair's signature fails: nothing changes
    with pytest.raises(DomainError) as err:
        services.sign_meeting_document(actor=c.chair, meeting=meeting, kind="gm")
    assert err.value.code == "no_certificate"
    gm = MeetingDocument.objects.get(meeting=meeting, kind="gm").outgoing
    assert gm.status == "reviewed"
    assert Meeting.objects.get(pk=meeting.pk).status == Meeting.Status.INVITED
