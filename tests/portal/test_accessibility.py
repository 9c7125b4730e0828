"""Accessibility (WCAG 2.1 AA, checked by axe-core in Chromium) of the portal's main pages,
and the editor-to-leader path in a real browser across a commune site and the main portal."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe

from tinhso.accounts import otp
from tinhso.accounts.services import set_totp_secret
from tinhso.portal.models import (
    ArticlePage,
    LegalDocumentsPage,
    PortalKind,
    ProceduresPage,
)

from .conftest import PASSWORD, approve, make_portal, write_article

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def _portals(admin, port: int):
    main = make_portal(
        admin,
        code="H99",
        name="Cổng thông tin điện tử tỉnh Sông Lam",
        kind=PortalKind.MAIN,
        slug="cong-tinh",
        host="localhost",
    )
    commune = make_portal(
        admin,
        code="H99.51",
        name="Phường Sông Lam",
        kind=PortalKind.COMMUNE,
        slug="phuong-song-lam",
        host="phuong-song-lam.localhost",
        parent=main.agency,
        share=True,
    )
    for portal in (main, commune):
        site = portal.home.get_site()
        site.port = port
        site.save()
    return main, commune


def _publish(parent, page, user):
    parent.add_child(instance=page)
    page.save_revision(user=user).publish(user=user, skip_permission_checks=True)
    return page


def _violations(page) -> list[str]:
    results = Axe().run(page, options=WCAG_AA)
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])})"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_home_article_documents_and_procedures_pages_meet_wcag_21_aa(
    page, live_server, platform_admin
):
    port = int(live_server.url.rsplit(":", 1)[1])
    main, _commune = _portals(platform_admin, port)
    article = write_article(main, "Tỉnh đẩy mạnh chuyển đổi số")
    approve(article, main.leader)
    _publish(main.home, LegalDocumentsPage(title="Văn bản", slug="van-ban"), main.leader)
    _publish(main.home, ProceduresPage(title="Thủ tục hành chính", slug="thu-tuc"), main.leader)
    base = f"http://localhost:{port}"
    for path in ("/", "/tin-tuc/tinh-day-manh-chuyen-doi-so/", "/van-ban/", "/thu-tuc/"):
        page.goto(base + path)
        assert _violations(page) == [], path


def _sign_in(page, base: str, user) -> None:
    set_totp_secret(user=user, secret=otp.new_secret())
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Tên đăng nhập").fill(user.username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(re.compile(r"/accounts/otp/"))
    user.refresh_from_db()
    page.get_by_label("Mã xác thực (6 chữ số)").fill(
        otp.code_at(otp.user_secret(user), otp.current_step())
    )
    page.get_by_role("button", name="Xác nhận").click()
    page.wait_for_url(re.compile(r"^(?!.*/accounts/).*$"))


def test_commune_editor_writes_leader_approves_and_it_appears_on_both_portals(
    page, live_server, platform_admin
):
    port = int(live_server.url.rsplit(":", 1)[1])
    main, commune = _portals(platform_admin, port)
    base = f"http://localhost:{port}"
    commune_base = f"http://phuong-song-lam.localhost:{port}"
    # The commune's editor writes the article in the CMS and submits it to the leader.
    _sign_in(page, base, commune.editor)
    page.goto(f"{base}/cms/pages/add/portal/articlepage/{commune.news.pk}/")
    page.locator("#id_title").fill("Phường tổ chức ngày hội đại đoàn kết")
    page.locator("#id_summary").fill("Các khu phố tổ chức ngày hội văn hóa, thể thao.")
    page.get_by_role("button", name="More actions").click()
    page.get_by_role("button", name=re.compile("Duyệt tin bài")).click()
    page.wait_for_url(re.compile(r"/cms/pages/\d+/$"))
    article = ArticlePage.objects.get(title="Phường tổ chức ngày hội đại đoàn kết")
    article.refresh_from_db()
    assert not article.live and article.current_workflow_state is not None
    page.context.clear_cookies()
    # The commune's leader approves it from the CMS dashboard's "awaiting your review" list.
    _sign_in(page, base, commune.leader)
    page.goto(f"{base}/cms/")
    with page.expect_navigation():
        page.locator("button", has_text=re.compile(r"^\s*Phê chuẩn\s*$")).first.dispatch_event(
            "click"
        )
    article.refresh_from_db()
    assert article.live
    # Citizens read it on the commune's site and, the commune having opted in, on the main portal.
    page.context.clear_cookies()
    page.goto(commune_base + "/")
    assert page.get_by_role("link", name="Phường tổ chức ngày hội đại đoàn kết").count() == 1
    page.goto(base + "/")
    assert page.get_by_role("link", name="Phường tổ chức ngày hội đại đoàn kết").count() == 1
