"""The meetings API: my meetings, a meeting's agenda and papers, ballots over HTTP with
stable error codes, opening and closing a vote."""

from __future__ import annotations

from tinhso.meetings import services
from tinhso.meetings.models import VoteOption

from .conftest import make_meeting, make_pdf, running
from .test_pages import client_for


def test_ballots_over_the_api(committee):
    c = committee
    meeting = make_meeting(c)
    services.upload_paper(
        actor=c.secretary,
        item=meeting.items.first(),
        title="Báo cáo nội bộ",
        pdf=make_pdf(),
        members_only=True,
    )
    running(c, meeting)
    vote = services.create_vote(
        actor=c.secretary, meeting=meeting, question="Thông qua dự toán", kind="secret"
    )
    member = client_for(c.members[1])
    listing = member.get("/api/v1/meetings/").json()
    assert listing["count"] == 1 and listing["results"][0]["uid"] == str(meeting.uid)
    detail = member.get(f"/api/v1/meetings/{meeting.uid}/").json()
    assert detail["agenda"][0]["papers"][0]["title"] == "Báo cáo nội bộ"
    guest_detail = client_for(c.guest).get(f"/api/v1/meetings/{meeting.uid}/").json()
    assert guest_detail["agenda"][0]["papers"] == []
    assert client_for(c.outsider).get(f"/api/v1/meetings/{meeting.uid}/").status_code == 404

    url = f"/api/v1/meetings/votes/{vote.uid}"
    early = member.post(f"{url}/ballot/", {"option": "yes"}, content_type="application/json")
    assert early.status_code == 409 and early.json()["code"] == "vote_not_open"
    assert member.post(f"{url}/open/").status_code == 403
    secretary = client_for(c.secretary)
    opened = secretary.post(f"{url}/open/").json()
    assert opened["state"] == "open" and opened["progress"] == {"entitled": 5, "voted": 0}

    ok = member.post(f"{url}/ballot/", {"option": "yes"}, content_type="application/json")
    assert ok.status_code == 201
    twice = member.post(f"{url}/ballot/", {"option": "no"}, content_type="application/json")
    assert twice.status_code == 409 and twice.json()["code"] == "vote_twice"
    bad = client_for(c.members[2]).post(
        f"{url}/ballot/", {"option": "maybe"}, content_type="application/json"
    )
    assert bad.status_code == 400 and bad.json()["code"] == "vote_unknown_option"
    guest = client_for(c.guest).post(
        f"{url}/ballot/", {"option": "yes"}, content_type="application/json"
    )
    assert guest.status_code == 403 and guest.json()["code"] == "vote_not_entitled"
    assert member.get(f"{url}/").json()["has_voted"] is True
    assert member.get(f"{url}/").json()["result"] is None

    closed = secretary.post(f"{url}/close/").json()
    assert closed["state"] == "closed" and closed["result"]["cast"] == 1
    assert closed["result"]["passed"] is False  # 1 of 5 members
    assert sum(VoteOption.objects.filter(vote=vote).values_list("tally", flat=True)) == 1
    late = client_for(c.members[3]).post(
        f"{url}/ballot/", {"option": "yes"}, content_type="application/json"
    )
    assert late.status_code == 409 and late.json()["code"] == "vote_closed"
