"""The web shell: a home page per role, no dead links, accessible layout."""

from __future__ import annotations

import pytest
from lxml import html as lxml_html

from tests.accounts.factories import citizen, login_fully, official, province_tree
from tinhso.accounts.models import Role

pytestmark = pytest.mark.django_db


def _doc(response):
    return lxml_html.fromstring(response.content.decode())


def _assert_no_dead_links(client, doc):
    hrefs = {a.get("href") for a in doc.iter("a") if a.get("href")}
    internal = sorted(h for h in hrefs if h.startswith("/"))
    assert internal
    for href in internal:
        if href.startswith("/static/"):
            continue
        status = client.get(href).status_code
        assert status < 400, f"{href} answered {status}"
    assert not [h for h in hrefs if h.startswith("http")], "no external links in the shell"


def test_public_home_offers_services_and_login_without_dead_links(client):
    response = client.get("/")
    doc = _doc(response)
    assert doc.get("lang") == "vi"
    text = doc.text_content()
    assert "Dành cho người dân, doanh nghiệp" in text
    assert "Tra cứu hồ sơ" in text
    assert doc.xpath("//a[@href='/accounts/login/']")
    _assert_no_dead_links(client, doc)


def test_citizen_home(client):
    user = citizen()
    login_fully(client, user)
    doc = _doc(client.get("/"))
    text = doc.text_content()
    assert f"Bạn đang đăng nhập với tên {user.full_name}" in text
    assert "Cơ quan và vai trò của bạn" not in text
    _assert_no_dead_links(client, doc)


def test_official_home_lists_agencies_roles_and_work(client):
    tree = province_tree()
    user = official(roles=[(tree["stc"], Role.CLERK), (tree["xa"], Role.ONESTOP_OFFICER)])
    login_fully(client, user)
    doc = _doc(client.get("/"))
    items = [li.text_content() for li in doc.xpath("//section[@aria-labelledby='h-agencies']//li")]
    assert any("Sở Tài chính" in t and "Văn thư" in t for t in items)
    assert any("Ủy ban nhân dân xã Suối Trong" in t and "Cán bộ một cửa" in t for t in items)
    work = doc.xpath("//section[@aria-labelledby='h-work']")[0].text_content()
    assert "Sổ văn bản" in work and "Tiếp nhận hồ sơ tại quầy" in work
    assert not doc.xpath("//section[@aria-labelledby='h-admin']")
    _assert_no_dead_links(client, doc)


def test_administrator_home_offers_audit_trail_and_directory_admin(client):
    tree = province_tree()
    user = official(roles=[(tree["ubnd"], Role.PLATFORM_ADMIN)])
    login_fully(client, user)
    doc = _doc(client.get("/"))
    admin = doc.xpath("//section[@aria-labelledby='h-admin']")[0].text_content()
    assert "Nhật ký hệ thống" in admin and "Quản trị danh bạ" in admin
    _assert_no_dead_links(client, doc)


def test_sections_not_built_yet_say_coming_instead_of_linking(client, settings):
    from tinhso.web.navigation import SECTIONS, url_or_none

    doc = _doc(client.get("/"))
    nav = doc.xpath("//nav[@aria-label='Điều hướng chính']")[0]
    for section in SECTIONS:
        if section.officials_only:
            continue
        url = url_or_none(section.url_name)
        if url:
            assert nav.xpath(f".//a[@href='{url}']"), section.key
        else:
            coming = [
                s.text_content() for s in nav.xpath(".//span[contains(@class,'nav-coming-item')]")
            ]
            assert any(str(section.title) in c and "sắp có" in c for c in coming), section.key


def test_layout_is_accessible(client):
    doc = _doc(client.get("/accounts/login/"))
    skip = doc.xpath("//a[@href='#main']")[0]
    assert "visually-hidden-focusable" in skip.get("class")
    assert doc.xpath("//main[@id='main']")
    for element in doc.xpath("//input[not(@type='hidden')] | //select | //textarea"):
        element_id = element.get("id")
        assert element_id, "every field has an id"
        assert doc.xpath(f"//label[@for='{element_id}']"), f"{element_id} has a label"
    assert not doc.xpath("//*[@style]"), "no inline styles (CSP)"
    assert not [s for s in doc.xpath("//script") if (s.text or "").strip()], "no inline scripts"


def test_pages_carry_the_content_security_policy(client):
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "img-src 'self' data:" in policy
    assert response["X-Frame-Options"] == "DENY"
