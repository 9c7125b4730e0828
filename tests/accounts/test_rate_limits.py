"""Rate limits cannot be dodged with a forged X-Forwarded-For, are shared by every web
process, and the public lookup is limited per dossier code too (issue 7 item 4)."""

from __future__ import annotations

import os
import threading

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import RequestFactory
from rest_framework.test import APIClient

from tests.accounts.factories import citizen, login_password
from tests.conftest import TEST_REDIS, TEST_REDIS_PREFIX
from tests.onestop.conftest import accepted, world  # noqa: F401 (fixture)
from tinhso.audit.models import AuditEntry
from tinhso.core import ratelimit
from tinhso.core.middleware import client_ip

pytestmark = pytest.mark.django_db

LOOKUP = "/api/v1/onestop/lookup/"


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()
    yield
    cache.clear()


def test_seventy_lookups_with_a_different_forwarded_for_each_are_limited_at_thirty():
    """The reported probe: one machine, a new X-Forwarded-For on every request."""
    api = APIClient(REMOTE_ADDR="203.0.113.7")
    statuses = [
        api.get(
            LOOKUP,
            {"code": f"X-{i}", "secret": "1111"},
            HTTP_X_FORWARDED_FOR=f"198.51.100.{i}",
        ).status_code
        for i in range(70)
    ]
    assert statuses[:30] == [404] * 30
    assert set(statuses[30:]) == {429}


def test_the_lookup_page_ignores_a_forged_forwarded_for_too(client, settings):
    settings.ONESTOP_LOOKUP_RATE = "5/min"
    statuses = [
        client.post(
            "/onestop/tra-cuu/",
            {"code": f"X-{i}", "secret": "1111"},
            REMOTE_ADDR="203.0.113.8",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{i}",
        ).status_code
        for i in range(8)
    ]
    assert statuses[:5] == [200] * 5 and set(statuses[5:]) == {429}


def test_forwarded_for_counts_only_behind_a_trusted_proxy(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    settings.ONESTOP_LOOKUP_RATE = "3/min"
    behind_proxy = APIClient(REMOTE_ADDR="10.0.0.5")
    # Each real client behind our proxy has its own allowance...
    for i in range(6):
        response = behind_proxy.get(
            LOOKUP, {"code": f"Y-{i}", "secret": "1111"}, HTTP_X_FORWARDED_FOR=f"198.51.100.{i}"
        )
        assert response.status_code == 404
    # ...but a client cannot pick its address by prepending to the header.
    statuses = [
        behind_proxy.get(
            LOOKUP,
            {"code": f"Z-{i}", "secret": "1111"},
            HTTP_X_FORWARDED_FOR=f"192.0.2.{i}, 198.51.100.200",
        ).status_code
        for i in range(5)
    ]
    assert statuses == [404, 404, 404, 429, 429]


@pytest.mark.parametrize(
    ("remote", "forwarded", "trusted", "expected"),
    [
        ("203.0.113.7", "1.2.3.4", [], "203.0.113.7"),
        ("203.0.113.7", "1.2.3.4", ["10.0.0.0/8"], "203.0.113.7"),
        ("10.0.0.5", "1.2.3.4", ["10.0.0.0/8"], "1.2.3.4"),
        ("10.0.0.5", "6.6.6.6, 1.2.3.4", ["10.0.0.0/8"], "1.2.3.4"),
        ("10.0.0.5", "1.2.3.4, 10.0.0.9", ["10.0.0.0/8"], "1.2.3.4"),
        ("10.0.0.5", "not-an-ip", ["10.0.0.0/8"], "10.0.0.5"),
        ("10.0.0.5", "", ["10.0.0.0/8"], "10.0.0.5"),
        ("::1", "2001:db8::7", ["::1"], "2001:db8::7"),
        ("10.0.0.5", "1.2.3.4:5555", ["10.0.0.5"], "1.2.3.4"),
    ],
)
def test_client_ip_believes_only_trusted_proxies(settings, remote, forwarded, trusted, expected):
    settings.TRUSTED_PROXIES = trusted
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_the_audit_trail_records_the_same_client_ip_as_the_limits(client):
    user = citizen()
    client.post(
        "/accounts/login/",
        {"username": user.username, "password": "Mat-khau-2026"},
        REMOTE_ADDR="203.0.113.9",
        HTTP_X_FORWARDED_FOR="1.2.3.4",
    )
    entry = AuditEntry.objects.filter(action="accounts.login", actor_id=user.pk).get()
    assert entry.ip == "203.0.113.9"
    login_password(client, user)  # no header at all: the test client's own address
    assert AuditEntry.objects.filter(action="accounts.login", ip="127.0.0.1").exists()


def test_counters_live_in_the_shared_database_table_not_in_process_memory(settings):
    assert settings.CACHES["default"]["BACKEND"] == "tinhso.core.cache.DatabaseCache"
    for _ in range(3):
        ratelimit.hit("probe", "203.0.113.7", "10/min")
    with connection.cursor() as cursor:  # one row of the shared counters' table
        cursor.execute("SELECT count FROM tinhso_rate_counter WHERE name LIKE %s", ["rl:probe:%"])
        assert cursor.fetchall() == [(3,)]
    # A second web process has its own cache object and sees the same count.
    from django.core.cache import caches

    other_process = caches.create_connection("default")
    assert other_process is not cache
    assert ratelimit.peek("probe", "203.0.113.7", "3/min").allowed is False


def test_a_limit_is_exact_and_refunds_take_back_a_hit():
    rate = "5/h"
    decisions = [ratelimit.hit("exact", "k", rate).allowed for _ in range(7)]
    assert decisions == [True] * 5 + [False] * 2
    ratelimit.reset("exact", "k", rate)
    for _ in range(5):
        ratelimit.hit("exact", "k", rate)
        ratelimit.refund("exact", "k", rate)
    assert ratelimit.hit("exact", "k", rate).count == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_hits_from_several_workers_are_all_counted():
    """Several gunicorn workers hitting one counter at once lose no hit (row lock)."""
    from django.db import connections

    barrier = threading.Barrier(8)
    errors = []

    def worker():
        try:
            barrier.wait()
            for _ in range(10):
                ratelimit.hit("concurrent", "203.0.113.7", "1000/h")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert ratelimit.peek("concurrent", "203.0.113.7", "1000/h").count == 81


def test_redis_is_used_when_configured_for_limits_and_sessions(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    code = (
        "from django.conf import settings as s; "
        "print(s.CACHES['default']['BACKEND'], s.SESSION_ENGINE)"
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(root / "src"),
        "DJANGO_SETTINGS_MODULE": "tinhso.settings",
        "TINHSO_VAR_DIR": str(tmp_path),
        "SECRET_KEY": "r" * 10 + "0123456789abcdefghijklmnopqrstuvwxyz-_ABCDEFGH",
        "REDIS_URL": "redis://127.0.0.1:6379/3",
    }
    result = subprocess.run(
        [sys.executable, "-m", "tinhso", "shell", "-v", "0", "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.split() == [
        "tinhso.core.cache.RedisCache",
        "django.contrib.sessions.backends.cached_db",  # read from Redis, kept in the database
    ], result.stderr


def test_redis_counts_like_the_database(redis_cache):
    import redis

    decisions = [ratelimit.hit("redis", "203.0.113.7", "4/min").allowed for _ in range(6)]
    assert decisions == [True] * 4 + [False] * 2
    assert not ratelimit.peek("redis", "203.0.113.7", "4/min").allowed
    assert ratelimit.peek("redis", "203.0.113.8", "4/min").allowed
    # every window's counter expires by itself (two periods and a second)
    server = redis.Redis.from_url(TEST_REDIS)
    names = server.keys(f"{TEST_REDIS_PREFIX}:*:rl:redis:*")
    assert names and all(0 < server.ttl(name) <= 121 for name in names)


# ---------------------------------------------------------------------------------------
# The public lookup, per dossier code


def test_guessing_one_dossiers_digits_from_many_addresses_is_stopped(world, settings):  # noqa: F811
    """4 digits and sequential codes: wrong digits on one code count from every IP."""
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    settings.ONESTOP_LOOKUP_CODE_RATE = "10/day"
    dossier = accepted(world)
    proxy = APIClient(REMOTE_ADDR="10.0.0.1")
    statuses = []
    for i in range(12):
        response = proxy.get(
            LOOKUP,
            {"code": dossier.code, "secret": f"{9000 + i:04d}"},
            HTTP_X_FORWARDED_FOR=f"198.51.100.{i}",  # a new address each time
        )
        statuses.append(response.status_code)
    assert statuses[:10] == [404] * 10
    assert statuses[10:] == [429, 429]
    # Even the right digits are refused now (else the guesser would learn them).
    right = proxy.get(
        LOOKUP, {"code": dossier.code, "secret": "5678"}, HTTP_X_FORWARDED_FOR="192.0.2.1"
    )
    assert right.status_code == 429
    assert right.json()["code"] == "rate_limited"
    page = APIClient(REMOTE_ADDR="192.0.2.50").post(
        "/onestop/tra-cuu/", {"code": dossier.code, "secret": "5678"}
    )
    assert page.status_code == 429
    assert "tra cứu sai quá nhiều lần" in page.content.decode()
    # Another dossier is not affected.
    other = accepted(world)
    assert (
        proxy.get(LOOKUP, {"code": other.code, "secret": "5678"}, HTTP_X_FORWARDED_FOR="192.0.2.2")
    ).status_code == 200


def test_the_applicant_looking_up_their_dossier_again_and_again_is_not_limited_by_code(
    world,  # noqa: F811
    settings,
):
    settings.ONESTOP_LOOKUP_CODE_RATE = "3/day"
    dossier = accepted(world)
    api = APIClient(REMOTE_ADDR="203.0.113.20")
    statuses = [
        api.get(LOOKUP, {"code": dossier.code, "secret": "5678"}).status_code for _ in range(8)
    ]
    assert statuses == [200] * 8


def test_the_redis_cache_keeps_one_client_per_pool(redis_cache):
    """Django's backend built a `redis.Redis` for every call: a signed-in page's session
    read paid for a new client and its table of reply parsers each time."""
    inner = redis_cache._cache
    first = inner.get_client(write=True)
    redis_cache.set("tinhso-one-client", "giá trị", 30)
    assert redis_cache.get("tinhso-one-client") == "giá trị"
    assert inner.get_client() is first and inner.get_client(write=True) is first
