"""Issue 18, search at a province's scale: the fast paths find the same documents.

On PostgreSQL a word search walks the newest documents first, then asks the GIN index one
window of days at a time (selectors._pg_candidates); the limits are lowered here so that a
handful of documents goes through every step. A sender's words may be mixed with the
subject's; a desk without words stops counting a little past the page.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tinhso.documents import selectors, views

from .conftest import register

pytestmark = pytest.mark.django_db

NEWEST = timezone.make_aware(datetime(2026, 11, 20, 9, 0))


def _spread(office, days: int, every: int) -> list[str]:
    """One document a day, newest first; every `every`-th is about dykes. Returns the
    numbers of the dyke documents, newest first."""
    dykes = []
    for day in range(days):
        about_dykes = day % every == 0
        number = f"{day + 1}/UBND-VP"
        register(
            office,
            number_notation=number,
            subject="Về việc tu bổ đê điều mùa lũ" if about_dykes else "Về việc khác",
            body_subject="Nội dung văn bản",
            arrived_at=NEWEST - timedelta(days=day),
            issued_on=(NEWEST - timedelta(days=day)).date(),
        )
        if about_dykes:
            dykes.append(number)
    return dykes


@pytest.mark.postgres
@pytest.mark.parametrize("window_max_rows", [1_000_000, 0], ids=["day-windows", "all-days"])
def test_a_rare_word_search_finds_the_newest_matches_past_the_recent_walk(
    office, monkeypatch, window_max_rows
):
    dykes = _spread(office, days=36, every=5)  # days 0, 5, ..., 35: 8 matches
    monkeypatch.setattr(selectors, "RECENT_WALK_ROWS", 4)
    monkeypatch.setattr(selectors, "SEARCH_CANDIDATES", 5)
    monkeypatch.setattr(selectors, "WINDOW_MAX_ROWS", window_max_rows)
    page = selectors.search_documents(user=office.clerk, q="de dieu", kind="incoming")
    assert [d.number_notation for d in page.items] == dykes[:5]
    assert page.total == 5


@pytest.mark.postgres
def test_a_word_search_past_its_page_counts_the_ranked_candidates_without_a_count(
    office, monkeypatch
):
    """The ranked statement selects exactly the candidates the walk found: their number
    is the total, not asked of the database again (a COUNT per kind searched)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _spread(office, days=16, every=2)  # 8 about dykes
    monkeypatch.setattr(selectors, "SEARCH_CANDIDATES", 6)
    with CaptureQueriesContext(connection) as sent:
        page = selectors.search_documents(user=office.clerk, q="de dieu", kind="incoming", limit=3)
    assert len(page.items) == 3 and (page.total, page.total_exact) == (6, True)
    assert not [q for q in sent.captured_queries if "COUNT(" in q["sql"].upper()]


@pytest.mark.postgres
def test_a_rare_word_search_keeps_the_date_range_past_the_recent_walk(office, monkeypatch):
    dykes = _spread(office, days=36, every=5)
    monkeypatch.setattr(selectors, "RECENT_WALK_ROWS", 3)
    page = selectors.search_documents(
        user=office.clerk,
        q="đê điều",
        kind="incoming",
        date_from=(NEWEST - timedelta(days=22)).date(),
        date_to=(NEWEST - timedelta(days=3)).date(),
    )
    assert [d.number_notation for d in page.items] == dykes[1:5]  # days 5, 10, 15, 20


def test_a_search_mixing_the_senders_words_with_the_subjects_finds_the_document(office):
    register(
        office,
        sender_name="Bộ Tài chính",
        number_notation="45/BTC-NSNN",
        subject="Về việc hướng dẫn lập dự toán",
        body_subject="Nội dung không nêu tên cơ quan gửi",
    )
    register(office, sender_name="Bộ Nội vụ", number_notation="12/BNV-VTLT")
    found = selectors.search_documents(user=office.clerk, q="bo tai chinh du toan", kind="all")
    assert [d.number_notation for d in found.items] == ["45/BTC-NSNN"]


def test_a_desk_without_words_counts_only_a_little_past_the_page(office, monkeypatch):
    for i in range(12):
        register(office, number_notation=f"{i + 1}/UBND-VP", issued_on=date(2026, 1, 5))
    monkeypatch.setattr(selectors, "COUNT_AHEAD", 5)
    page = selectors.search_documents(user=office.clerk, kind="incoming", limit=3)
    assert (page.total, page.total_exact) == (8, False)  # 3 on the page and 5 ahead
    exact = selectors.search_documents(user=office.clerk, kind="incoming", limit=10)
    assert (exact.total, exact.total_exact) == (12, True)
    client = Client()
    client.force_login(office.clerk)
    session = client.session
    session["tinhso_2fa_ok"] = True
    session.save()
    monkeypatch.setattr(views, "SEARCH_PAGE", 3)
    html = client.get(reverse("documents:search"), {"kind": "incoming"}).content.decode()
    assert "Hơn 8 kết quả" in html


def test_a_status_of_the_other_kind_counts_exactly_none_of_that_kind(office):
    register(office, number_notation="1/UBND-VP", issued_on=date(2026, 1, 5))
    page = selectors.search_documents(user=office.clerk, kind="all", status="draft")
    assert (page.total, page.total_exact) == (0, True)  # not "more than 0"
