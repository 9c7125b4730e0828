"""The page header is kept rendered per person, language and menu state
(`{% chrome %}`, tinhso.web.templatetags.chrome): drawn once, and still each page's own —
its CSRF token, its return address, the viewer's name and menu."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.accounts.factories import login_fully, official, province_tree
from tinhso.accounts import services
from tinhso.accounts.models import Role

pytestmark = pytest.mark.django_db

BANNER = "onestop/payments/_sandbox_banner.html"  # an inclusion tag inside the header
HEADER = re.compile(r"<header>.*</header>", re.S)
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
NEXT = re.compile(r'<input name="next" type="hidden" value="([^"]*)">')


def _header(response) -> str:
    return HEADER.search(response.content.decode()).group(0)


def test_a_persons_header_is_drawn_once_then_served_from_memory():
    tree = province_tree()
    leader = official(roles=[(tree["stc"], Role.LEADER)])
    client = Client()
    login_fully(client, leader)
    first = client.get("/directory/")
    assert BANNER in [t.name for t in first.templates]
    again = client.get("/directory/")
    assert BANNER not in [t.name for t in again.templates]  # the header was not drawn again
    assert TOKEN.sub("", _header(again)) == TOKEN.sub("", _header(first))
    assert str(leader) in _header(again)


def test_each_page_has_its_own_csrf_token_and_return_address():
    tree = province_tree()
    leader = official(roles=[(tree["stc"], Role.LEADER)])
    signed_in = Client()
    login_fully(signed_in, leader)
    client = Client(enforce_csrf_checks=True)
    client.cookies = signed_in.cookies
    client.get("/directory/")
    page = client.get("/directory/?q=s%E1%BB%9F&x=<b>")
    assert BANNER not in [t.name for t in page.templates]
    header = _header(page)
    assert "tinhso-chrome" not in header
    assert NEXT.findall(header) == ["/directory/?q=s%E1%BB%9F&amp;x=%3Cb%3E"]
    (token, *_) = TOKEN.findall(header)
    logged_out = client.post("/accounts/logout/", {"csrfmiddlewaretoken": token})
    assert logged_out.status_code == 302  # 403 if the token were not this browser's


def test_people_never_see_each_others_header():
    tree = province_tree()
    first = official("lanhdao.mot", roles=[(tree["stc"], Role.LEADER)])
    second = official("lanhdao.hai", roles=[(tree["stc"], Role.LEADER)])
    for person, other in ((first, second), (second, first)):
        client = Client()
        login_fully(client, person)
        header = _header(client.get("/directory/"))
        assert str(person) in header and str(other) not in header


def test_a_new_role_shows_its_section_at_once():
    tree = province_tree()
    specialist = official(roles=[(tree["stc"], Role.SPECIALIST)])
    client = Client()
    login_fully(client, specialist)
    assert "Giám sát an toàn" not in _header(client.get("/directory/"))
    services.grant_role(user=specialist, agency=tree["stc"], role=Role.LEADER)
    assert "Giám sát an toàn" in _header(client.get("/directory/"))


def test_the_current_section_is_marked_on_each_section():
    tree = province_tree()
    leader = official(roles=[(tree["stc"], Role.LEADER)])
    client = Client()
    login_fully(client, leader)
    directory = _header(client.get("/directory/"))
    documents = _header(client.get("/documents/"))
    assert re.search(r'active" href="/directory/" aria-current="page"', directory)
    assert re.search(r'active" href="/documents/" aria-current="page"', documents)
    assert 'href="/directory/" aria-current' not in documents
