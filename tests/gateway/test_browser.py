"""In a real browser: a provider's administrator publishes a service and enables it, a
consumer's administrator registers a system, takes a key and asks for access, the
provider approves, the consumer's call through the real data plane succeeds and shows up
on the monitoring page."""

from __future__ import annotations

import re

import pytest
import requests

from tests.accounts.factories import PASSWORD, agency, code_for, official
from tinhso.accounts.models import Role
from tinhso.gateway.server import ThreadedGateway


def _login(page, user) -> None:
    base = page.base_url
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Tên đăng nhập").fill(user.username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(re.compile(r"/accounts/otp/"))
    page.get_by_label("Mã xác thực (6 chữ số)").fill(code_for(user))
    page.get_by_role("button", name="Xác nhận").click()
    page.wait_for_url(f"{base}/")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_publish_request_approve_call_and_see_it_monitored(
    chromium, live_server, provider_server, tmp_path, settings
):
    settings.GATEWAY_LOG_KEY_FILE = str(tmp_path / "k.pem")
    ubnd = agency("H99", "Ủy ban nhân dân tỉnh Thử Nghiệm")
    stnmt = agency("H99.20", "Sở Tài nguyên và Môi trường", ubnd)
    stc = agency("H99.03", "Sở Tài chính", ubnd)
    provider_admin = official("qt.stnmt", roles=[(stnmt, Role.AGENCY_ADMIN)])
    consumer_admin = official("qt.stc", roles=[(stc, Role.AGENCY_ADMIN)])
    gateway = ThreadedGateway(directory=tmp_path / "wal").start()
    try:
        provider_ctx = chromium.new_context(locale="vi-VN")
        consumer_ctx = chromium.new_context(locale="vi-VN")
        p = provider_ctx.new_page()
        c = consumer_ctx.new_page()
        for pg in (p, c):
            pg.set_default_timeout(15_000)
            pg.base_url = live_server.url
        base = live_server.url

        # The provider registers its system and publishes a service from OpenAPI.
        _login(p, provider_admin)
        p.goto(f"{base}/gateway/providers/")
        form = p.get_by_test_id("provider-form")
        form.get_by_label("Mã hệ thống").fill("datdai")
        form.get_by_label("Tên hệ thống").fill("Hệ thống thông tin đất đai")
        form.get_by_label("Cơ quan chủ quản").select_option(label="Sở Tài nguyên và Môi trường")
        form.get_by_label("Người đầu mối").fill("Nguyễn Đầu Mối")
        form.get_by_role("button", name="Đăng ký").click()
        p.wait_for_url(re.compile(r"/gateway/providers/datdai/"))
        publish = p.get_by_test_id("publish-form")
        publish.get_by_label("Mã dịch vụ").fill("parcels")
        publish.get_by_label("Địa chỉ mô tả OpenAPI 3").fill(provider_server.url + "/openapi.json")
        publish.get_by_label("Địa chỉ gốc của dịch vụ").fill(provider_server.url)
        publish.get_by_role("button", name="Công bố").click()
        p.wait_for_url(re.compile(r"/gateway/services/datdai/parcels/"))
        assert p.get_by_test_id("status").inner_text() == "Bản nháp"
        assert "GET" in p.get_by_test_id("endpoints").inner_text()
        p.get_by_role("button", name="Mở dịch vụ").click()
        p.wait_for_load_state()
        assert p.get_by_test_id("status").inner_text() == "Đang hoạt động"

        # The consumer registers its system, takes a key and asks for access.
        _login(c, consumer_admin)
        c.goto(f"{base}/gateway/consumers/")
        form = c.get_by_test_id("consumer-form")
        form.get_by_label("Mã hệ thống").fill("ketoan")
        form.get_by_label("Tên hệ thống").fill("Phần mềm kế toán")
        form.get_by_label("Cơ quan chủ quản").select_option(label="Sở Tài chính")
        form.get_by_label("Người đầu mối").fill("Lê Kế Toán")
        form.get_by_role("button", name="Đăng ký").click()
        c.wait_for_url(re.compile(r"/gateway/consumers/ketoan/"))
        c.get_by_role("button", name="Cấp khóa mới").click()
        key = c.get_by_test_id("new-key").locator("code").inner_text().strip()
        assert key.startswith("tsk_")
        c.goto(f"{base}/gateway/catalogue/")
        c.get_by_role("link", name=re.compile("Tra cứu hồ sơ đất đai")).click()
        request_form = c.get_by_test_id("request-form")
        request_form.get_by_label("Mục đích sử dụng").fill("Đối chiếu thửa đất khi thu phí")
        request_form.get_by_role("button", name="Gửi đề nghị").click()
        c.wait_for_load_state()
        assert "5 ngày làm việc" in c.content()

        gateway.reload()
        before = requests.get(
            gateway.url + "/datdai/parcels/parcels/7", headers={"X-Api-Key": key}, timeout=5
        )
        assert before.status_code == 403 and before.json()["code"] == "gateway_access_denied"

        # The provider approves.
        p.goto(f"{base}/gateway/requests/")
        assert "Đối chiếu thửa đất" in p.get_by_test_id("requests").inner_text()
        p.get_by_role("button", name="Chấp thuận").click()
        p.wait_for_load_state()
        assert "Đã chấp thuận" in p.get_by_test_id("requests").inner_text()

        # The consumer's call now passes and is monitored.
        gateway.reload()
        after = requests.get(
            gateway.url + "/datdai/parcels/parcels/7", headers={"X-Api-Key": key}, timeout=5
        )
        assert after.status_code == 200 and after.json()["client"] == "ketoan"
        gateway.ingest()
        p.goto(f"{base}/gateway/monitoring/")
        row = p.get_by_test_id("by-service").locator("tr", has_text="datdai/parcels")
        assert row.count() == 1
        assert "2" in row.inner_text()  # the refused call and the successful one
        provider_ctx.close()
        consumer_ctx.close()
    finally:
        gateway.stop()
