"""Vietnamese by default, English on request (the compiled catalogue is committed)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_vietnamese_by_default(client):
    html = client.get("/").content.decode()
    assert '<html lang="vi">' in html
    assert "Đăng nhập" in html


def test_switching_to_english_translates_the_shell_and_login(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302
    html = client.get("/accounts/login/").content.decode()
    assert '<html lang="en">' in html
    assert "Skip to main content" in html
    assert ">Username</label>" in html and ">Password</label>" in html
    assert "Forgot your password?" in html
    assert "Đăng nhập" not in html.split('<select id="lang-select"')[0]
    # and back
    client.post("/i18n/setlang/", {"language": "vi", "next": "/"})
    assert "Bỏ qua, đến nội dung chính" in client.get("/").content.decode()


def test_english_catalogue_is_compiled_and_current():
    from pathlib import Path

    import tinhso

    locale = Path(tinhso.__file__).parent / "locale" / "en" / "LC_MESSAGES"
    po, mo = locale / "django.po", locale / "django.mo"
    assert po.exists() and mo.exists()
    assert mo.stat().st_size > 1000


def test_an_english_browser_still_gets_vietnamese_until_the_visitor_switches(client):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="vi">' in html
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert '<html lang="en">' in html
