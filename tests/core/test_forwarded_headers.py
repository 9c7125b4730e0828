"""X-Forwarded-Proto (and -Host, -Port) are believed only from TRUSTED_PROXIES: a client
reaching a web process directly cannot make a plain-http request look secure."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

PAGE = "/accounts/login/"


@pytest.fixture
def https_only(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    return settings


def test_a_client_claiming_https_over_plain_http_is_redirected_to_https(client, https_only):
    response = client.get(PAGE, HTTP_X_FORWARDED_PROTO="https", REMOTE_ADDR="198.51.100.7")
    assert response.status_code == 301
    assert response["Location"] == f"https://testserver{PAGE}"


def test_the_trusted_proxy_saying_https_is_believed(client, https_only):
    response = client.get(PAGE, HTTP_X_FORWARDED_PROTO="https", REMOTE_ADDR="10.0.0.1")
    assert response.status_code == 200
    assert response.wsgi_request.is_secure()


def test_without_trusted_proxies_nobody_sets_the_scheme(client, https_only):
    https_only.TRUSTED_PROXIES = []
    response = client.get(PAGE, HTTP_X_FORWARDED_PROTO="https", REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 301


def test_a_forwarded_host_from_a_client_is_dropped(client, https_only):
    https_only.USE_X_FORWARDED_HOST = True
    https_only.ALLOWED_HOSTS = ["testserver"]
    response = client.get(
        PAGE, secure=True, HTTP_X_FORWARDED_HOST="evil.example", REMOTE_ADDR="198.51.100.7"
    )
    assert response.status_code == 200  # not a 400 for a disallowed host: never read
    assert response.wsgi_request.get_host() == "testserver"
