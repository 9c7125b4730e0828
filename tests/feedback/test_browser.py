"""In Chromium at a phone's width: a citizen reports with a photo in the app, the agency
answers with a photo, the citizen rates; a report written offline is sent when the
connection returns (the PWA's service worker and IndexedDB draft)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tinhso.accounts.middleware import SESSION_KEY
from tinhso.feedback import services
from tinhso.feedback.models import Report

from .conftest import jpeg

PHONE = {"width": 390, "height": 844}


def sign_in(page, user) -> None:
    """Share a signed-in session (second factor passed) with the browser."""
    page.set_default_timeout(60_000)  # the shared machine can be slow
    client = Client()
    client.force_login(user)
    if user.needs_second_factor:
        session = client.session
        session[SESSION_KEY] = True
        session.save()
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": page.base_url}]
    )


def _fill_report(page, tmp_path, text: str) -> None:
    page.get_by_label("Lĩnh vực").select_option("chay-no")
    # the category's notice is shown before anything is written
    page.get_by_text("Khi có cháy, hãy gọi ngay 114.").wait_for()
    page.get_by_label("Lĩnh vực").select_option("rac-thai")
    page.get_by_label("Mô tả vấn đề").fill(text)
    photo = tmp_path / "anh.jpg"
    photo.write_bytes(jpeg())
    page.get_by_label("Ảnh (tối đa 5)").set_input_files(str(photo))
    page.locator(".fb-preview").wait_for()
    box = page.locator("#fb-map").bounding_box()
    assert box is not None
    page.locator("#fb-map").click(position={"x": box["width"] * 0.3, "y": box["height"] * 0.5})
    page.get_by_test_id("place").filter(has_text=re.compile(r"\d+\.\d+, \d+\.\d+")).wait_for()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_citizen_reports_on_a_phone_the_agency_answers_the_citizen_rates(page, request, tmp_path):
    w = request.getfixturevalue("world")
    page.set_viewport_size(PHONE)
    sign_in(page, w.citizen)
    page.goto(f"{page.base_url}/feedback/app/", wait_until="domcontentloaded")
    page.locator("#fb-category option[value=rac-thai]").wait_for(state="attached")
    _fill_report(page, tmp_path, "Rác tồn đọng ở đầu ngõ 5 ngày nay")
    page.get_by_role("button", name="Gửi phản ánh").last.click()
    page.locator("#fb-result[data-sent]").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    report = Report.objects.get()
    assert report.reporter == w.citizen and report.photos.count() == 1
    assert report.admin_unit in (w.unit_a, w.unit_b)
    page.screenshot(path=str(tmp_path / "citizen-sent.png"))

    # the centre accepts; the routed agency's specialist answers from the report page
    report = services.act(actor=w.centre_officer, report=report, action="accept", note="")
    handler = w.handler_a if report.agency == w.agency_a else w.handler_b
    sign_in(page, handler)
    page.goto(f"{page.base_url}/feedback/r/{report.code}/", wait_until="domcontentloaded")
    assert "Nguyễn Văn An" not in page.content()  # identity hidden from the agency
    answer = page.locator("[data-action=answer]")
    answer.get_by_label("Nội dung trả lời (công khai)").fill("Đã thu gom, vệ sinh khu vực.")
    photo = tmp_path / "ket-qua.jpg"
    photo.write_bytes(jpeg(color=(90, 200, 90)))
    answer.get_by_label("Ảnh kết quả").set_input_files(str(photo))
    answer.get_by_role("button", name="Trả lời").click()
    page.get_by_test_id("answer").wait_for()
    assert page.get_by_test_id("report-state").inner_text() == "Đã trả lời"

    # the citizen sees the answer in the app and rates it
    sign_in(page, w.citizen)
    page.goto(f"{page.base_url}/feedback/app/#mine", wait_until="domcontentloaded")
    page.get_by_role("link", name=report.code).click()
    page.get_by_test_id("answer").wait_for()
    rate = page.locator("[data-action=rate]")
    rate.get_by_label("Mức hài lòng").select_option("5")
    rate.get_by_role("button", name="Đánh giá kết quả").click()
    page.get_by_test_id("rating").wait_for()
    report.refresh_from_db()
    assert report.rating == 5
    page.screenshot(path=str(tmp_path / "citizen-rated.png"), full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_report_drafted_offline_is_sent_when_the_connection_returns(page, request, tmp_path):
    w = request.getfixturevalue("world")
    page.set_viewport_size(PHONE)
    sign_in(page, w.citizen)
    page.goto(f"{page.base_url}/feedback/app/", wait_until="domcontentloaded")
    page.locator("#fb-category option[value=rac-thai]").wait_for(state="attached")
    assert page.evaluate(
        "navigator.serviceWorker.ready.then(r => !!r.active).then(ok => ok)"
    )  # the service worker is installed and active
    page.context.set_offline(True)
    _fill_report(page, tmp_path, "Cống bị tắc, nước tràn ra đường")
    page.get_by_role("button", name="Gửi phản ánh").last.click()
    page.locator("#fb-result").get_by_text("phản ánh được lưu nháp trên máy").wait_for()
    page.locator("#fb-drafts").get_by_text("1 phản ánh đang chờ gửi khi có mạng.").wait_for()
    assert Report.objects.count() == 0
    page.context.set_offline(False)
    page.locator("#fb-result[data-sent]").wait_for()
    report = Report.objects.get()
    assert report.description == "Cống bị tắc, nước tràn ra đường"
    assert report.photos.count() == 1
