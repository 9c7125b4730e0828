"""The pages: the secretary creates a meeting in the form, a member's tablet page, the
room screen, the door QR code, offline papers, and nobody else sees the meeting."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tinhso.meetings import services
from tinhso.meetings.models import Meeting

from .conftest import make_meeting, make_pdf, running


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    session = client.session
    session["tinhso_2fa_ok"] = True
    session.save()
    return client


def test_the_secretary_creates_a_meeting_in_the_form(committee):
    c = committee
    secretary = client_for(c.secretary)
    page = secretary.get("/meetings/new/")
    assert page.status_code == 200
    when = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    data = {
        "body": c.body.pk,
        "title": "Họp UBND tỉnh tháng 12",
        "starts_at": when,
        "room": "Phòng họp số 1",
        "online_link": "https://meet.songlam.gov.vn/ubnd-12",
        "chair": str(c.chair.uid),
        "members": [str(m.uid) for m in c.members],
        "guests": [str(c.guest.uid)],
    }
    response = secretary.post("/meetings/new/", data)
    meeting = Meeting.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/meetings/{meeting.uid}/"
    assert meeting.participants.count() == 6
    # a chair who is not among the members: the page says so, nothing is created
    data["members"] = [str(m.uid) for m in c.members[1:]]
    data["guests"] = []
    again = secretary.post("/meetings/new/", data)
    assert "Người chủ trì phải là thành viên" in again.content.decode()
    assert Meeting.objects.count() == 1


def test_member_guest_and_outsider_pages(committee):
    c = committee
    meeting = make_meeting(c)
    item = meeting.items.first()
    public = services.upload_paper(
        actor=c.secretary, item=item, title="Dự thảo kế hoạch", pdf=make_pdf(), is_draft=True
    )
    internal = services.upload_paper(
        actor=c.secretary, item=item, title="Báo cáo nội bộ", pdf=make_pdf(), members_only=True
    )
    member = client_for(c.members[1])
    html = member.get(f"/meetings/{meeting.uid}/").content.decode()
    assert "Dự thảo kế hoạch" in html and "Báo cáo nội bộ" in html
    assert member.get(f"/meetings/papers/{internal.uid}/file.pdf").status_code == 200
    urls = member.get(f"/meetings/{meeting.uid}/offline.json").json()["urls"]
    assert f"/meetings/papers/{internal.uid}/file.pdf" in urls

    guest = client_for(c.guest)
    html = guest.get(f"/meetings/{meeting.uid}/").content.decode()
    assert "Dự thảo kế hoạch" in html and "Báo cáo nội bộ" not in html
    assert guest.get(f"/meetings/papers/{internal.uid}/").status_code == 404
    assert guest.get(f"/meetings/papers/{internal.uid}/file.pdf").status_code == 404
    assert f"/meetings/papers/{internal.uid}/file.pdf" not in str(
        guest.get(f"/meetings/{meeting.uid}/offline.json").json()
    )
    assert guest.get(f"/meetings/papers/{public.uid}/").status_code == 200

    outsider = client_for(c.outsider)
    assert outsider.get(f"/meetings/{meeting.uid}/").status_code == 404
    assert outsider.get(f"/meetings/{meeting.uid}/screen/").status_code == 404
    assert meeting.title not in outsider.get("/meetings/").content.decode()

    sw = member.get("/meetings/sw.js")
    assert sw.status_code == 200 and sw["Content-Type"].startswith("application/javascript")


def test_door_qr_checks_in_and_the_room_screen_runs_the_agenda(committee):
    c = committee
    meeting = make_meeting(c)
    secretary = client_for(c.secretary)
    qr = secretary.get(f"/meetings/{meeting.uid}/door.svg")
    assert qr.status_code == 200 and b"<svg" in qr.content
    assert client_for(c.members[1]).get(f"/meetings/{meeting.uid}/door.svg").status_code == 404
    member = client_for(c.members[1])
    response = member.post(f"/meetings/{meeting.uid}/check-in/", {"t": meeting.checkin_token})
    assert response.status_code == 302
    assert meeting.participants.get(user=c.members[1]).checked_in_at is not None

    running(c, meeting)
    item = meeting.items.first()
    secretary.post(f"/meetings/{meeting.uid}/act/current-item/", {"item": item.pk})
    member.post(f"/meetings/{meeting.uid}/act/speak/", {"topic": "Kinh phí"})
    speaker = meeting.speakers.get()
    secretary.post(f"/meetings/{meeting.uid}/act/give-floor/", {"speaker": speaker.pk})
    panel = secretary.get(f"/meetings/{meeting.uid}/screen/panel/").content.decode()
    assert "Kế hoạch chuyển đổi số 2027" in panel and "Thành Viên Số 1" in panel
    assert "data-ends=" in panel
    assert secretary.get(f"/meetings/{meeting.uid}/screen/").status_code == 200


@pytest.mark.parametrize("path", ["/meetings/", "/meetings/tasks/", "/meetings/to-issue/"])
def test_lists_open_for_any_official(committee, path):
    assert client_for(committee.outsider).get(path).status_code == 200


def test_the_secretary_takes_a_paper_from_documents_but_never_a_secret_one(committee):
    from tinhso.documents import services as documents

    c = committee
    meeting = make_meeting(c)
    item = meeting.items.first()
    draft = documents.create_draft(
        actor=c.secretary,
        agency=c.agency,
        doc_type="kh",
        subject="Dự thảo Kế hoạch chuyển đổi số",
        pdf=make_pdf(),
        external_recipients=[("Các sở", "")],
    )
    secret = documents.create_draft(
        actor=c.secretary,
        agency=c.agency,
        doc_type="ttr",
        subject="Tờ trình mật",
        pdf=make_pdf(),
        confidentiality="secret",
        external_recipients=[("Bộ Công an", "")],
    )
    secretary = client_for(c.secretary)
    act = f"/meetings/{meeting.uid}/act/add-paper/"
    secretary.post(act, {"item": item.pk, "document": f"/documents/outgoing/{draft.uid}/"})
    refused = secretary.post(act, {"item": item.pk, "document": str(secret.uid)}, follow=True)
    assert "Tài liệu mật không được đưa vào" in refused.content.decode()
    assert [p.source_document for p in item.papers.all()] == [str(draft.uid)]
