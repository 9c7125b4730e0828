"""Creating a meeting, its papers and who sees them: a member sees only their meetings,
secret documents are never papers, guests never see members-only papers."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tinhso.core.errors import DomainError
from tinhso.documents import services as documents
from tinhso.meetings import selectors, services
from tinhso.meetings.models import Meeting, Paper, Participant

from .conftest import make_meeting, make_pdf


def _error(fn, code):
    with pytest.raises(DomainError) as info:
        fn()
    assert info.value.code == code, info.value.message


def test_a_meeting_whose_chair_is_not_a_member_is_refused(committee):
    c = committee
    _error(
        lambda: services.create_meeting(
            actor=c.secretary,
            body=c.body,
            title="Họp",
            starts_at=timezone.now(),
            chair=c.outsider,
            members=c.members[1:],
        ),
        "chair_not_member",
    )
    _error(
        lambda: services.create_meeting(
            actor=c.secretary,
            body=c.body,
            title="Họp",
            starts_at=timezone.now(),
            chair=c.chair,
            members=c.members,
            guests=[c.members[1]],
        ),
        "meeting_person_repeated",
    )
    _error(
        lambda: services.create_meeting(
            actor=c.outsider,
            body=c.body,
            title="Họp",
            starts_at=timezone.now(),
            chair=c.chair,
            members=c.members,
        ),
        "permission_denied",
    )
    assert not Meeting.objects.exists()


def test_a_member_sees_only_their_meetings(committee):
    c = committee
    mine = make_meeting(c)
    other = make_meeting(c, title="Họp Ban cán sự", guests=[])
    Participant.objects.filter(meeting=other, user=c.members[4]).delete()
    assert set(selectors.my_meetings(c.members[4])) == {mine}
    assert set(selectors.my_meetings(c.members[1])) == {mine, other}
    assert list(selectors.my_meetings(c.outsider)) == []
    _error(lambda: selectors.get_meeting(c.members[4], other.uid), "not_found")


def test_secret_documents_are_never_papers_and_guests_never_see_members_only_ones(committee):
    c = committee
    meeting = make_meeting(c)
    item = meeting.items.first()
    secret = documents.create_draft(
        actor=c.secretary,
        agency=c.agency,
        doc_type="ttr",
        subject="Tờ trình về quy hoạch quốc phòng",
        pdf=make_pdf(),
        confidentiality="confidential",
        external_recipients=[("Bộ Quốc phòng", "")],
    )
    _error(
        lambda: services.add_paper_from_document(actor=c.secretary, item=item, document=secret),
        "paper_secret",
    )
    draft = documents.create_draft(
        actor=c.secretary,
        agency=c.agency,
        doc_type="kh",
        subject="Dự thảo Kế hoạch chuyển đổi số năm 2027",
        pdf=make_pdf(),
        external_recipients=[("Các sở, ngành", "")],
    )
    public = services.add_paper_from_document(
        actor=c.secretary, item=item, document=draft, is_draft=True
    )
    internal = services.upload_paper(
        actor=c.secretary,
        item=item,
        title="Báo cáo thẩm định nội bộ",
        pdf=make_pdf("Báo cáo thẩm định"),
        members_only=True,
    )
    assert Paper.objects.count() == 2
    assert selectors.visible_papers(c.members[1], meeting) == [public, internal]
    assert selectors.visible_papers(c.guest, meeting) == [public]
    _error(lambda: selectors.get_paper(c.guest, internal.uid), "not_found")
    _error(lambda: selectors.get_paper(c.outsider, public.uid), "not_found")

    # Annotations are private; comments only on drafts.
    services.annotate(actor=c.members[1], paper=public, text="Xem lại mục 3", page=2)
    assert selectors.my_annotations(c.members[2], public).count() == 0
    assert selectors.my_annotations(c.members[1], public).count() == 1
    services.comment_on_draft(actor=c.members[2], paper=public, text="Bổ sung chỉ tiêu.")
    _error(
        lambda: services.comment_on_draft(actor=c.members[2], paper=internal, text="x"),
        "paper_not_draft",
    )
    _error(lambda: services.annotate(actor=c.guest, paper=internal, text="x"), "not_found")


def test_confirmations_and_delegates(committee):
    c = committee
    meeting = make_meeting(c)
    services.respond(actor=c.members[1], meeting=meeting, response="accepted")
    services.respond(actor=c.guest, meeting=meeting, response="declined", note="Bận")
    _error(
        lambda: services.respond(
            actor=c.guest, meeting=meeting, response="delegated", delegate=c.outsider
        ),
        "guest_cannot_delegate",
    )
    _error(
        lambda: services.respond(
            actor=c.members[2], meeting=meeting, response="delegated", delegate=c.members[3]
        ),
        "delegate_invalid",
    )
    services.respond(actor=c.members[2], meeting=meeting, response="delegated", delegate=c.outsider)
    assert selectors.attendance(meeting)["delegated"] == 1
    assert meeting in selectors.my_meetings(c.outsider)
    _error(
        lambda: services.check_in(actor=c.members[1], meeting=meeting, token="sai-ma"),
        "checkin_invalid",
    )
    services.check_in(actor=c.members[1], meeting=meeting, token=meeting.checkin_token)
    guest = meeting.participants.get(user=c.guest)
    services.check_in(actor=c.secretary, meeting=meeting, participant=guest)
    assert selectors.attendance(meeting)["present"] == 2
