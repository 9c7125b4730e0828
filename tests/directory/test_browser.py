"""In a real browser: the tree opens with the keyboard (deeper levels load with HTMX) and
the search finds "Sở Tài chính" from "so tai chinh"."""

import pytest

from tinhso.directory import services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_tree_expands_lazily_and_search_finds_without_diacritics(page, province):
    services.create_agency(
        actor=None, code="H57.19.01.01", name="Phòng Xúc tiến Thương mại", parent=province.ttxt
    )
    page.goto(page.base_url + "/directory/")
    deep = page.get_by_text("Phòng Xúc tiến Thương mại")
    assert deep.count() == 0  # level 3 is not rendered with the page
    skhdt = page.locator("summary", has_text="Sở Kế hoạch và Đầu tư")
    skhdt.focus()
    page.keyboard.press("Enter")
    ttxt = page.locator("summary", has_text="Trung tâm Xúc tiến đầu tư")
    ttxt.wait_for(state="visible")
    ttxt.focus()
    page.keyboard.press("Enter")
    deep.wait_for(state="visible")  # fetched by HTMX when the <details> opened

    page.get_by_label("Tìm cơ quan hoặc cán bộ (không cần gõ dấu)").fill("so tai chinh")
    page.keyboard.press("Enter")
    link = page.get_by_role("link", name="Sở Tài chính")
    link.wait_for()
    assert link.locator("mark").count() == 3
    link.click()
    page.wait_for_url("**/directory/agencies/H57.03/")
    assert page.locator("h1").inner_text().startswith("Sở Tài chính")
    assert "000.00.03.H57" in page.content()
