"""Every list a person sees is paginated and counted, with one shared page bar
(web/_pagination.html) whose links keep the list's filters."""

from __future__ import annotations

import re

import pytest
from django.core.paginator import Paginator
from django.test import Client
from django.urls import reverse

from tests.onestop.conftest import pdf_file, world  # noqa: F401 (the fixture)
from tinhso.accounts.middleware import SESSION_KEY
from tinhso.onestop import services
from tinhso.web.templatetags.tinhso_pages import page_window

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(request):
    """The one-stop tests' small province (tests/onestop/conftest.py)."""
    return request.getfixturevalue("world")


def _login(client: Client, user) -> None:
    client.force_login(user)
    if user.needs_second_factor:
        session = client.session
        session[SESSION_KEY] = True
        session.save()


def _bar(html: str) -> str:
    """The text of the first page bar (count and page links)."""
    match = re.search(r'data-testid="pagination">(.*?)</nav>', html, re.S)
    assert match, "the page has no pagination bar"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def _links(html: str) -> list[str]:
    bar = re.search(r'data-testid="pagination">(.*?)</nav>', html, re.S).group(1)
    return [href.replace("&amp;", "&") for href in re.findall(r'href="([^"]+)"', bar)]


def _dossiers(w, n: int) -> list:
    return [
        services.submit_dossier(
            user=w.citizen,
            procedure=w.procedure,
            form_data={"ho_ten": "Nguyễn Văn A"},
            attachments=[services.Attachment(file=pdf_file(), paper=w.paper)],
        )
        for _ in range(n)
    ]


def test_my_dossiers_shows_every_dossier_over_pages_with_counts(w):
    dossiers = _dossiers(w, 45)
    client = Client()
    _login(client, w.citizen)
    url = reverse("onestop:my_dossiers")
    first = client.get(url).content.decode()
    assert _bar(first).startswith("1–20 / 45 hồ sơ")
    assert "?page=2" in _links(first) and "?page=3" in _links(first)
    seen = set()
    for number in (1, 2, 3):
        html = client.get(url, {"page": number}).content.decode()
        seen |= set(re.findall(r"/onestop/ho-so/([0-9a-f-]{36})/", html))
    assert {str(d.uid) for d in dossiers} <= seen  # none unreachable
    last = client.get(url, {"page": 3}).content.decode()
    assert _bar(last).startswith("41–45 / 45 hồ sơ")
    # a hand-edited page number shows a page, never an error
    assert client.get(url, {"page": "abc"}).status_code == 200
    assert _bar(client.get(url, {"page": "999999999999"}).content.decode()).startswith("41–45")


def test_the_queue_pages_keep_the_queue_and_the_search(w):
    _dossiers(w, 30)
    client = Client()
    _login(client, w.officer)
    html = client.get(reverse("onestop:queue"), {"q": "to_receive", "s": "Nguyễn"}).content.decode()
    assert _bar(html).startswith("1–25 / 30 hồ sơ")
    link = _links(html)[0]
    assert "q=to_receive" in link and "s=Nguy" in link and "page=2" in link


def test_the_catalogue_and_the_wallet_are_counted(w):
    client = Client()
    html = client.get(reverse("onestop:catalog"), {"q": "trich luc"}).content.decode()
    assert _bar(html) == "1–1 / 1 thủ tục"
    partial = client.get(reverse("onestop:catalog"), HTTP_HX_REQUEST="true").content.decode()
    assert 'data-testid="pagination"' in partial  # the HTMX results carry it too
    for i in range(22):
        services.add_to_wallet(user=w.citizen, file=pdf_file(f"p{i}.pdf", str(i).encode()))
    _login(client, w.citizen)
    wallet = client.get(reverse("onestop:wallet")).content.decode()
    assert _bar(wallet).startswith("1–20 / 22 giấy tờ")


def test_the_dossier_register_is_paged_not_cut_at_500_rows(w):
    for d in _dossiers(w, 3):
        services.accept_dossier(officer=w.officer, dossier=d)
    client = Client()
    _login(client, w.admin)
    html = client.get(reverse("onestop:register")).content.decode()
    assert _bar(html) == "1–3 / 3 hồ sơ"
    assert "500" not in _bar(html)


def test_my_messages_and_the_audit_trail_use_the_shared_bar(w):
    for d in _dossiers(w, 2):
        services.accept_dossier(officer=w.officer, dossier=d)
    client = Client()
    _login(client, w.citizen)
    assert "thông báo" in _bar(client.get("/notify/").content.decode())
    _login(client, w.admin)
    trail = client.get(reverse("audit:trail"), {"action": "onestop.accept_dossier"})
    assert _bar(trail.content.decode()).startswith("1–2 / 2 bản ghi")


def test_directory_search_pages_agencies_and_people_separately(w):
    client = Client()
    _login(client, w.admin)
    html = client.get(reverse("directory:search"), {"q": "so"}).content.decode()
    assert "cơ quan" in _bar(html)
    people = client.get(reverse("directory:people"), {"q": "a"}).content.decode()
    assert 'data-testid="pagination"' in people or "Không tìm thấy" in people


def test_page_window_shows_first_last_and_neighbours():
    def window(n: int, total: int) -> list:
        page = Paginator(range(total * 10), 10).page(n)
        return page_window(page)

    assert window(1, 1) == [1]
    assert window(1, 4) == [1, 2, 3, 4]
    assert window(6, 20) == [1, None, 4, 5, 6, 7, 8, None, 20]
    assert window(20, 20) == [1, None, 18, 19, 20]


def test_page_links_drop_the_first_page_number_and_keep_other_parameters():
    from django.test import RequestFactory

    from tinhso.web.templatetags.tinhso_pages import page_url

    request = RequestFactory().get("/x/", {"q": "khai sinh", "page": "3", "field": "HT"})
    context = {"request": request}
    assert page_url(context, 1) == "?q=khai+sinh&field=HT"
    assert page_url(context, 4) == "?q=khai+sinh&field=HT&page=4"
    assert page_url(context, 2, "page_people") == "?q=khai+sinh&page=3&field=HT&page_people=2"
    assert page_url({}, 2) == "?page=2"
