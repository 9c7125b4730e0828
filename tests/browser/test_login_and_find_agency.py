"""In a real browser: an official logs in with password + one-time code, then finds an
agency through the directory search without typing diacritics."""

from __future__ import annotations

import re

import pytest
from tests.accounts.factories import PASSWORD, code_for, official, province_tree

from tinhso.accounts.models import Role


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_official_logs_in_with_second_factor_and_finds_an_agency(page):
    tree = province_tree()
    user = official("lanhdao.huyen", roles=[(tree["huyen"], Role.LEADER)])
    base = page.base_url

    # Log in with the password.
    page.goto(f"{base}/accounts/login/")
    assert page.locator("html").get_attribute("lang") == "vi"
    page.get_by_label("Tên đăng nhập").fill(user.username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()

    # The password alone is not enough for an official: the one-time code page.
    page.wait_for_url(re.compile(r"/accounts/otp/"))
    page.goto(f"{base}/")  # trying to skip it leads back to it
    page.wait_for_url(re.compile(r"/accounts/otp/"))
    page.get_by_label("Mã xác thực (6 chữ số)").fill(code_for(user))
    page.get_by_role("button", name="Xác nhận").click()

    page.wait_for_url(f"{base}/")
    assert page.get_by_role("heading", level=1).inner_text() == f"Xin chào, {user.full_name}"
    agencies = page.locator("section[aria-labelledby='h-agencies']")
    assert "Ủy ban nhân dân huyện Núi Xanh" in agencies.inner_text()
    assert "Lãnh đạo" in agencies.inner_text()

    # The directory from the main navigation; search without diacritics.
    page.get_by_role("navigation", name="Điều hướng chính").get_by_role(
        "link", name="Danh bạ cơ quan"
    ).click()
    page.get_by_role("searchbox").first.fill("so tai chinh")
    page.get_by_role("searchbox").first.press("Enter")
    page.wait_for_url(re.compile(r"/directory/search/\?q=so\+tai\+chinh"))
    result = page.get_by_role("link", name="Sở Tài chính")
    assert result.count() == 1
    assert page.get_by_role("link", name="Ủy ban nhân dân huyện Núi Xanh").count() == 0
    result.click()
    page.wait_for_url(re.compile(r"/directory/agencies/H99\.01/"))
    assert "Sở Tài chính" in page.get_by_role("heading", level=1).inner_text()
