"""On a 390 × 844 phone: the catalogue's results start on the first screen (the filters
fold away), wide tables keep several words per line, scrolling sideways instead, and a
procedure's papers stack, a block each, with nothing to scroll."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from tests.onestop.conftest import submit, world  # noqa: F401 (the fixture)

from tinhso.accounts import otp
from tinhso.accounts.services import set_totp_secret
from tinhso.onestop.models import Procedure

PHONE = {"width": 390, "height": 844}
PASSWORD = "Mat-khau-2026"


def _lines_and_words(locator) -> tuple[int, int]:
    """How many lines a cell's text takes, and how many words it has."""
    return locator.evaluate(
        """cell => {
            const style = getComputedStyle(cell);
            const line = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.5;
            const range = document.createRange();
            range.selectNodeContents(cell);
            const height = range.getBoundingClientRect().height;
            return [Math.round(height / line), cell.innerText.trim().split(/\\s+/).length];
        }"""
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_first_catalogue_result_is_on_the_first_screen_of_a_phone(page, request):
    w = request.getfixturevalue("world")
    for i in range(12):
        Procedure.objects.create(
            code=f"1.10000{i:02d}",
            name=f"Thủ tục cấp giấy chứng nhận đủ điều kiện hoạt động số {i} cho tổ chức",
            field=w.field,
            agency=w.dept,
            processing_days=Decimal("10"),
        )
    page.set_viewport_size(PHONE)
    page.goto(f"{page.base_url}/onestop/thu-tuc/")
    first = page.locator("#results tbody tr").first.get_by_role("link")
    box = first.bounding_box()
    assert box is not None and first.is_visible()
    assert box["y"] + box["height"] <= PHONE["height"], box  # no scrolling needed
    assert 0 <= box["x"] < PHONE["width"]
    # the filters are one tap away, and still work
    field_filter = page.get_by_label("Lĩnh vực")
    assert not field_filter.is_visible()
    page.get_by_role("button", name="Bộ lọc").click()
    field_filter.wait_for(state="visible")
    assert page.get_by_label("Cơ quan thực hiện").is_visible()
    # the names in the results keep several words per line
    lines, words = _lines_and_words(page.locator("#results tbody tr").first.locator("td").nth(1))
    assert lines <= max(2, words // 2), (lines, words)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_queue_table_on_a_phone_does_not_wrap_one_word_per_line(page, request):
    w = request.getfixturevalue("world")
    w.procedure.name = "Thủ tục cấp bản sao trích lục hộ tịch cho công dân đang cư trú"
    w.procedure.save()
    submit(w)  # waits for reception in the officer's queue
    officer = w.officer
    officer.set_password(PASSWORD)
    officer.save(update_fields=["password"])
    set_totp_secret(user=officer, secret=otp.new_secret())

    page.set_viewport_size(PHONE)
    base = page.base_url
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Tên đăng nhập").fill(officer.username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(re.compile(r"/accounts/otp/"))
    officer.refresh_from_db()
    page.get_by_label("Mã xác thực (6 chữ số)").fill(
        otp.code_at(otp.user_secret(officer), otp.current_step())
    )
    page.get_by_role("button", name="Xác nhận").click()
    page.wait_for_url(re.compile(r"^(?!.*/accounts/).*$"))

    page.goto(f"{base}/onestop/xu-ly/?q=to_receive")
    row = page.locator("table tbody tr").first
    for column in (1, 2, 3):  # procedure, applicant, state
        lines, words = _lines_and_words(row.locator("td").nth(column))
        assert lines <= max(2, words // 2), (column, lines, words)
    # the table scrolls inside its box; the page itself does not
    box = page.locator(".table-responsive").first
    assert box.evaluate("b => b.scrollWidth > b.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_procedures_papers_read_on_a_phone_without_scrolling_sideways(page, request):
    w = request.getfixturevalue("world")
    page.set_viewport_size(PHONE)
    page.goto(f"{page.base_url}/onestop/thu-tuc/{w.procedure.code}/")
    row = page.locator("table.table-stack tbody tr").first
    name = row.locator("th")
    assert name.inner_text() in {p.name for p in w.procedure.papers.all()}
    # every cell of the row, its column's name in front, fits the screen's width
    for cell in [name, *row.locator("td").all()]:
        box = cell.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    required = row.locator("td").nth(2)
    label = "c => getComputedStyle(c, '::before').content"
    assert required.evaluate(label) == '"Bắt buộc: "'
    tops = [c.bounding_box()["y"] for c in row.locator("td").all()]
    assert tops == sorted(tops) and len(set(tops)) == len(tops)  # a line each
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # on a wide screen it is a table again, its header shown
    page.set_viewport_size({"width": 1280, "height": 800})
    assert page.locator("table.table-stack thead").is_visible()
    assert required.evaluate(label) == "none"
