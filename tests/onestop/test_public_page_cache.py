"""The public catalogue pages are rendered once per web process for visitors who are not
logged in (tinhso.core.pagecache), and stay right: each visitor's own CSRF token, a change
to the catalogue shown at once, logged-in users and pending messages never served from
what was kept."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from tinhso.onestop.models import Procedure

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _procedure_url(world) -> str:
    return reverse("onestop:procedure", args=[world.procedure.code])


@pytest.mark.django_db
def test_a_procedure_page_seen_again_runs_no_query(
    client, world, django_assert_num_queries, own_page_stamp
):
    first = client.get(_procedure_url(world))
    assert first.status_code == 200
    with django_assert_num_queries(0):
        again = Client().get(_procedure_url(world))
    assert again.status_code == 200
    assert "Thẩm định hồ sơ" in again.content.decode()
    assert again["Content-Security-Policy"] == first["Content-Security-Policy"]
    assert again["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_each_visitor_gets_their_own_csrf_token_and_it_is_accepted(world):
    url = _procedure_url(world)
    tokens = []
    for _ in range(2):
        visitor = Client(enforce_csrf_checks=True)
        page = visitor.get(url).content.decode()
        assert "tinhso-csrf-placeholder" not in page
        (token,) = TOKEN.findall(page)
        tokens.append(token)
        switched = visitor.post(
            reverse("set_language"),
            {"csrfmiddlewaretoken": token, "language": "en", "next": url},
        )
        assert switched.status_code == 302  # 403 if the token were another visitor's
    assert tokens[0] != tokens[1]


@pytest.mark.django_db
def test_a_change_to_the_procedure_is_shown_at_once(client, world):
    url = _procedure_url(world)
    assert "Cấp bản sao trích lục hộ tịch" in client.get(url).content.decode()
    procedure = Procedure.objects.get(pk=world.procedure.pk)
    procedure.name = "Cấp bản sao trích lục hộ tịch (sửa đổi)"
    procedure.save()
    assert "(sửa đổi)" in Client().get(url).content.decode()


@pytest.mark.django_db
def test_the_catalogue_search_is_kept_per_query(client, world):
    url = reverse("onestop:catalog")
    found = client.get(url, {"q": "trich luc"}).content.decode()
    missing = client.get(url, {"q": "xay dung"}).content.decode()
    assert "Cấp bản sao trích lục hộ tịch" in found
    assert "Cấp bản sao trích lục hộ tịch" not in missing
    assert "Cấp bản sao trích lục hộ tịch" in Client().get(url, {"q": "trich luc"}).content.decode()


@pytest.mark.django_db
def test_languages_are_kept_apart(world, settings):
    url = _procedure_url(world)
    vietnamese = Client().get(url).content.decode()
    english_visitor = Client()
    english_visitor.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = english_visitor.get(url).content.decode()
    assert "Thành phần hồ sơ" in vietnamese
    assert "Thành phần hồ sơ" not in english
    assert "Thành phần hồ sơ" in Client().get(url).content.decode()


@pytest.mark.django_db
def test_a_logged_in_official_gets_the_page_rendered_for_them(client, world):
    from .test_web_pages import login

    url = _procedure_url(world)
    Client().get(url)  # kept for visitors
    login(client, world.officer)
    page = client.get(url).content.decode()
    assert world.officer.full_name in page
    assert world.officer.full_name not in Client().get(url).content.decode()


@pytest.mark.django_db
def test_a_pending_message_is_shown_to_its_visitor_only(world):
    from django.contrib.messages import constants
    from django.contrib.messages.storage.base import Message
    from django.contrib.messages.storage.cookie import CookieStorage
    from django.http import HttpRequest

    url = _procedure_url(world)
    visitor = Client()
    visitor.cookies["messages"] = CookieStorage(HttpRequest())._encode(
        [Message(constants.SUCCESS, "Tin nhắn riêng của khách này")]
    )
    assert "Tin nhắn riêng của khách này" in visitor.get(url).content.decode()
    assert "Tin nhắn riêng của khách này" not in Client().get(url).content.decode()


@pytest.mark.django_db
def test_a_committed_change_is_stamped_and_another_processs_stamp_drops_the_kept_page(
    world, own_page_stamp, settings, django_capture_on_commit_callbacks
):
    import os
    import time
    from pathlib import Path

    url = _procedure_url(world)
    stamp = Path(settings.VAR_DIR) / "cache" / "public-pages.stamp"
    procedure = Procedure.objects.get(pk=world.procedure.pk)
    with django_capture_on_commit_callbacks(execute=True):
        procedure.save()
    assert stamp.exists()  # written when the change commits, for the other processes
    Client().get(url)  # kept
    # another process changes the procedure and stamps the file (no signal reaches us)
    Procedure.objects.filter(pk=procedure.pk).update(name="Đổi tên ở tiến trình khác")
    later = time.time_ns()
    os.utime(stamp, ns=(later, later))
    assert "Đổi tên ở tiến trình khác" in Client().get(url).content.decode()


# The API's public catalogue (`@public_json`): kept rendered the same way, callers still
# authenticated


API = "/api/v1/onestop/procedures/"


@pytest.mark.django_db
def test_the_api_catalogue_asked_again_runs_only_the_callers_token_check(
    world, django_assert_num_queries, own_page_stamp
):
    from rest_framework.test import APIClient

    from tinhso.accounts.services import issue_token

    caller = APIClient()
    caller.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(user=world.officer)}")
    first = caller.get(API, {"q": "trich luc"})
    assert first.status_code == 200
    with django_assert_num_queries(1):  # the token, looked up for every call
        again = caller.get(API, {"q": "trich luc"})
    assert again.json() == first.json() and again["Content-Type"] == "application/json"
    with django_assert_num_queries(0):
        anonymous = APIClient().get(API, {"q": "trich luc"})
    assert anonymous.json()["results"][0]["code"] == world.procedure.code
    # another query is another answer
    assert APIClient().get(API, {"q": "xay dung"}).json()["results"] == []


@pytest.mark.django_db
def test_a_wrong_token_is_refused_even_when_the_answer_is_kept(world, own_page_stamp):
    from rest_framework.test import APIClient

    assert APIClient().get(API).status_code == 200
    forger = APIClient()
    forger.credentials(HTTP_AUTHORIZATION="Token not-a-token-of-ours")
    refused = forger.get(API)
    assert refused.status_code == 401 and "results" not in refused.json()


@pytest.mark.django_db
def test_a_change_to_the_catalogue_is_in_the_api_at_once(world):
    from rest_framework.test import APIClient

    detail = f"{API}{world.procedure.code}/"
    assert "(sửa đổi)" not in APIClient().get(detail).json()["name"]
    assert APIClient().get(API).status_code == 200
    procedure = Procedure.objects.get(pk=world.procedure.pk)
    procedure.name = "Cấp bản sao trích lục hộ tịch (sửa đổi)"
    procedure.save()
    assert APIClient().get(detail).json()["name"].endswith("(sửa đổi)")
    names = [p["name"] for p in APIClient().get(API).json()["results"]]
    assert "Cấp bản sao trích lục hộ tịch (sửa đổi)" in names


# The one-stop menu is kept per language and access (`{% cache … using="fragments" %}`)


def _menu(page: str) -> str:
    start = page.index('class="nav nav-pills')
    return page[start : page.index("</nav>", start)]


@pytest.mark.django_db
def test_the_one_stop_menu_is_each_visitors_own(world, settings):
    from tests.onestop.test_web_pages import login

    menus = {}
    for name, user in (("citizen", world.citizen), ("officer", world.officer)):
        visitor = Client()
        login(visitor, user)
        menus[name] = _menu(visitor.get(reverse("onestop:lookup")).content.decode())
        assert _menu(visitor.get(reverse("onestop:lookup")).content.decode()) == menus[name]
    assert "Hồ sơ của tôi" in menus["citizen"] and "Xử lý hồ sơ" not in menus["citizen"]
    assert "Xử lý hồ sơ" in menus["officer"] and "Hồ sơ của tôi" not in menus["officer"]
    english = Client()
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "Tra cứu hồ sơ" not in _menu(english.get(reverse("onestop:lookup")).content.decode())


# Signed-in citizens: one kept copy of the catalogue and of a procedure's page, each
# served with the citizen's own header (`@public_page(citizens=True)`)


def _citizen(world, username: str):
    from tinhso.accounts.services import create_citizen

    return create_citizen(
        username=username,
        full_name=f"Công dân {username}",
        email=f"{username}@example.com",
        password="Mat-khau-rat-dai-2026",
    )


def _signed_in(user) -> Client:
    from tests.onestop.test_web_pages import login

    visitor = Client()
    login(visitor, user)
    return visitor


@pytest.mark.django_db
def test_a_citizen_is_served_the_kept_page_with_their_own_header(world, own_page_stamp):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = _procedure_url(world)
    first, second = _citizen(world, "congdan.an"), _citizen(world, "congdan.binh")
    drawn = _signed_in(first).get(url).content.decode()
    visitor = _signed_in(second)
    with CaptureQueriesContext(connection) as queries:
        page = visitor.get(url).content.decode()
    assert not [q for q in queries.captured_queries if "onestop_procedure" in q["sql"]]
    assert "Công dân congdan.binh" in page and "congdan.an" not in page
    assert "Công dân congdan.an" in drawn and "congdan.binh" not in drawn
    assert "Cấp bản sao trích lục hộ tịch" in page and "Hồ sơ của tôi" in page
    assert "tinhso:header-placeholder" not in page and "tinhso-csrf" not in page
    assert page.count("<header>") == 1
    # the language form returns to this page, with this browser's own token
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = visitor.cookies
    page = strict.get(url).content.decode()
    assert f'name="next" type="hidden" value="{url}"' in page
    (token, *_) = TOKEN.findall(page)
    switched = strict.post(reverse("set_language"), {"csrfmiddlewaretoken": token, "next": url})
    assert switched.status_code == 302


@pytest.mark.django_db
def test_officials_get_the_page_drawn_for_them(world, own_page_stamp):
    url = _procedure_url(world)
    _signed_in(_citizen(world, "congdan.an")).get(url)
    officer = _signed_in(world.officer).get(url).content.decode()
    assert "Tiếp nhận hồ sơ tại quầy" in officer and "Nộp hồ sơ trực tuyến" not in officer


@pytest.mark.django_db
def test_a_change_to_the_catalogue_reaches_citizens_at_once(world):
    url = reverse("onestop:catalog")
    visitor = _signed_in(_citizen(world, "congdan.an"))
    assert "(sửa đổi)" not in visitor.get(url).content.decode()
    procedure = Procedure.objects.get(pk=world.procedure.pk)
    procedure.name = "Cấp bản sao trích lục hộ tịch (sửa đổi)"
    procedure.save()
    assert "(sửa đổi)" in visitor.get(url).content.decode()
