"""Document lists are paginated and counted with the shared page bar: search results
(the count of every match, page links keeping the query), a register's lines."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from tinhso.documents import selectors

from .conftest import register

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    session = client.session
    session["tinhso_2fa_ok"] = True
    session.save()
    return client


def _bar(html: str) -> tuple[str, list[str]]:
    match = re.search(r'data-testid="pagination">(.*?)</nav>', html, re.S)
    assert match, "no pagination bar"
    text = " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())
    links = [h.replace("&amp;", "&") for h in re.findall(r'href="([^"]+)"', match.group(1))]
    return text, links


def test_search_counts_every_match_and_pages_through_them(office):
    for i in range(53):
        register(office, number_notation=f"{i + 1}/UBND-VP", subject=f"Về việc thử {i}")
    assert selectors.search_documents(user=office.leader, q="ve viec thu", limit=10).total == 53
    client = _client(office.leader)
    url = reverse("documents:search")
    first = client.get(url, {"q": "ve viec thu", "kind": "incoming"}).content.decode()
    text, links = _bar(first)
    assert text.startswith("1–50 / 53 văn bản")
    assert any(
        "q=ve+viec+thu" in link and "kind=incoming" in link and "page=2" in link for link in links
    )
    second = client.get(url, {"q": "ve viec thu", "kind": "incoming", "page": "2"}).content.decode()
    assert _bar(second)[0].startswith("51–53 / 53 văn bản")
    assert len(re.findall(r"\b\d+/UBND-VP\b", second)) == 3  # the last three documents
    # beyond the last page: the last page, not an empty one
    deep = client.get(url, {"q": "ve viec thu", "kind": "incoming", "page": "99"}).content.decode()
    assert _bar(deep)[0].startswith("51–53 / 53")


def test_a_register_shows_its_lines_page_by_page(office):
    for i in range(3):
        document = register(office, number_notation=f"{i + 1}/UBND-VP")
    client = _client(office.leader)
    html = client.get(reverse("documents:register", args=[document.register_id])).content.decode()
    assert _bar(html)[0] == "1–3 / 3 văn bản"
