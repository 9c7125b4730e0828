"""In a real browser at a tablet's size: the secretary creates and opens a secret vote,
three members vote on their tablets, the room screen shows the result, and the minutes
drafted when the meeting closes contain it."""

from __future__ import annotations

import os
import re

import pytest
from django.conf import settings
from django.test import Client
from tests.meetings.conftest import make_committee, make_meeting, running

from tinhso.meetings import services
from tinhso.meetings.models import Vote

TABLET = {"width": 820, "height": 1180}


def shoot(page, name: str) -> None:
    folder = os.environ.get("TINHSO_SCREENSHOTS")
    if folder:
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)


def tablet_for(chromium, base_url, user):
    client = Client()
    client.force_login(user)
    session = client.session
    session["tinhso_2fa_ok"] = True
    session.save()
    context = chromium.new_context(
        locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", viewport=TABLET, has_touch=True
    )
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": base_url}]
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    return page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_secretary_opens_a_vote_members_vote_the_screen_and_minutes_show_it(chromium, live_server):
    base = live_server.url
    c = make_committee(n_members=3, prefix="bv")
    meeting = make_meeting(c)
    running(c, meeting)
    services.set_current_item(actor=c.secretary, meeting=meeting, item=meeting.items.first())
    url = f"{base}/meetings/{meeting.uid}/"

    # The secretary creates a secret vote and opens it.
    secretary = tablet_for(chromium, base, c.secretary)
    secretary.goto(url)
    secretary.locator("summary", has_text="Tạo biểu quyết").click()
    secretary.get_by_label("Nội dung biểu quyết").fill("Thông qua Kế hoạch chuyển đổi số 2027")
    secretary.get_by_label("Hình thức").select_option("secret")
    secretary.get_by_role("button", name="Tạo biểu quyết").click()
    secretary.get_by_role("button", name="Mở biểu quyết").click()
    assert "Đã mở biểu quyết." in secretary.get_by_role("alert").first.inner_text()

    # The room screen follows by itself (HTMX every 2 s).
    screen = tablet_for(chromium, base, c.secretary)
    screen.goto(f"{url}screen/")
    screen.get_by_test_id("screen-progress").filter(has_text="0/3").wait_for()
    assert "Kế hoạch chuyển đổi số 2027" in screen.get_by_test_id("screen-item").inner_text()

    # Three members vote on their tablets.
    for user, choice in zip(c.members, ["Tán thành", "Tán thành", "Không tán thành"], strict=True):
        tablet = tablet_for(chromium, base, user)
        tablet.goto(url)
        tablet.get_by_role("button", name=choice, exact=True).click()
        tablet.get_by_test_id("voted").wait_for()
        assert "không lưu bạn đã chọn gì" in tablet.get_by_test_id("voted").inner_text()
        assert tablet.get_by_role("button", name="Tán thành", exact=True).count() == 0
        if user == c.members[2]:
            shoot(tablet, "meetings-member-voted")
        tablet.context.close()
    screen.get_by_test_id("screen-progress").filter(has_text="3/3").wait_for()

    # The secretary closes the vote: the screen shows the result.
    secretary.reload()
    secretary.get_by_role("button", name="Kết thúc biểu quyết").click()
    result = screen.get_by_test_id("screen-result")
    result.wait_for()
    assert "THÔNG QUA" in result.inner_text()
    assert re.search(r"Tán thành\s+2", result.inner_text())
    assert re.search(r"Không tán thành\s+1", result.inner_text())
    shoot(screen, "meetings-room-screen-result")
    vote = Vote.objects.get(meeting=meeting)
    assert vote.state == "closed" and vote.passed is True

    # Closing the meeting drafts the minutes, which contain the result.
    secretary.get_by_role("button", name="Kết thúc cuộc họp").click()
    minutes = secretary.get_by_test_id("minutes").input_value()
    assert "Thông qua Kế hoạch chuyển đổi số 2027" in minutes
    assert "Tán thành: 2; Không tán thành: 1" in minutes and "THÔNG QUA" in minutes
    shoot(secretary, "meetings-minutes")
