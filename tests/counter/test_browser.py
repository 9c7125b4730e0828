"""In a real browser: a citizen takes a ticket at the kiosk, the waiting-room screen
shows it called, the officer receives the dossier from the ticket (prefilled, linked)
and the citizen rates the service on the counter's tablet."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.browser.test_counter_reception import _login_official
from tinhso.counter.models import DeskRating, Ticket
from tinhso.onestop.models import Dossier

SHOTS = Path(os.environ.get("TINHSO_SCREENSHOTS", "var/screenshots"))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_kiosk_screen_counter_reception_and_rating_in_the_browser(chromium, live_server, centre):
    w = centre
    base = live_server.url
    SHOTS.mkdir(parents=True, exist_ok=True)

    def new_page(**kwargs):
        context = chromium.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", **kwargs)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.base_url = base
        return page

    # 1. The kiosk: CCCD typed in, group A tapped; the 80 mm ticket comes out.
    kiosk = new_page(viewport={"width": 1280, "height": 900})
    kiosk.goto(f"{base}/counter/ttpvhcc/ki-ot/")
    kiosk.get_by_label("Số CCCD (không bắt buộc)").fill("001090001234")
    kiosk.get_by_role("button", name=re.compile("Hộ tịch")).click()
    kiosk.wait_for_url(re.compile(r"/counter/so/[0-9a-f-]+/in/\?kiosk=1$"))
    assert kiosk.get_by_test_id("ticket-number").inner_text() == "A001"
    kiosk.screenshot(path=str(SHOTS / "counter-ticket.png"))
    ticket = Ticket.objects.get()
    assert ticket.id_number == "001090001234"

    # 2. The waiting-room screen, open before the call, shows it within seconds.
    screen = new_page(viewport={"width": 1600, "height": 900})
    screen.goto(f"{base}/counter/ttpvhcc/man-hinh/")
    assert "A001" not in screen.get_by_test_id("board-calls").inner_text()

    # 3. The officer opens counter 1 for group A and calls next.
    officer = new_page()
    _login_official(officer, w.officer)
    officer.goto(f"{base}/counter/quay/{w.desk1.uid}/")
    officer.get_by_label("A — Hộ tịch").check()
    officer.get_by_role("button", name="Mở quầy").click()
    officer.get_by_role("button", name="Gọi số tiếp theo").click()
    assert officer.get_by_test_id("current-number").inner_text() == "A001"
    officer.screenshot(path=str(SHOTS / "counter-desk.png"), full_page=True)
    screen.get_by_test_id("board-calls").get_by_text("A001").wait_for()  # polled, ≤ 3 s
    assert "Quầy 1" in screen.get_by_test_id("board-calls").inner_text()
    screen.screenshot(path=str(SHOTS / "counter-screen.png"))

    # 4. Reception from the ticket: the citizen's data prefilled, the dossier linked.
    officer.get_by_role("button", name="Tiếp nhận hồ sơ").click()
    officer.wait_for_url(re.compile(r"/onestop/tiep-nhan-tai-quay/\?"))
    officer.get_by_test_id("citizen-found").wait_for()
    assert officer.locator("input[name=applicant_id_number]").input_value() == "001090001234"
    officer.locator("[name='ef-ho_ten']").fill("Nguyễn Văn A")
    officer.get_by_role("button", name="Tiếp nhận và in giấy hẹn").click()
    officer.wait_for_url(re.compile(r"/onestop/ho-so/[0-9a-f-]+/$"))
    dossier = Dossier.objects.get()
    ticket.refresh_from_db()
    assert ticket.dossier == dossier and dossier.applicant == w.citizen

    # 5. The tablet at counter 1 shows the officer and asks for the rating.
    tablet = new_page(viewport={"width": 1024, "height": 768})
    tablet.goto(f"{base}/counter/danh-gia/{w.desk1.tablet_key}/")
    assert tablet.get_by_test_id("tablet-officer").inner_text() == "motcua.stp"
    officer.goto(f"{base}/counter/quay/{w.desk1.uid}/")
    officer.get_by_role("button", name="Kết thúc phục vụ").click()
    for criterion in ("attitude", "timeliness", "result"):
        tablet.locator(f"label[for={criterion}-3]").click()
    tablet.get_by_label("Góp ý (không bắt buộc)").fill("Cán bộ hướng dẫn tận tình")
    tablet.screenshot(path=str(SHOTS / "counter-tablet.png"))
    tablet.get_by_role("button", name="Gửi đánh giá").click()
    tablet.get_by_test_id("tablet-thanks").wait_for()
    rating = DeskRating.objects.get()
    assert rating.ticket == ticket and rating.officer == w.officer and rating.attitude == 3

    # 6. The status page the QR code opens says it is done.
    phone = new_page(viewport={"width": 390, "height": 800})
    phone.goto(f"{base}/counter/so/{ticket.uid}/")
    assert "Đã phục vụ" in phone.get_by_test_id("ticket-status").inner_text()
    for page in (kiosk, screen, officer, tablet, phone):
        page.context.close()
