"""Shared test fixtures: database per-run naming, PostgreSQL-only marker, the browser."""

from __future__ import annotations

import os
import threading
import time

import pytest

from tests.pristine import Pristine

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop
# Processes the tests start (the console, `tinhso` commands) need a key: DEBUG is off.
os.environ.setdefault("SECRET_KEY", "tinhso-test-suite-" + "k" * 40)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix) -> None:
    """Give each pytest process its own PostgreSQL test database so runs can overlap.
    TINHSO_TEST_DB_PREFIX: put before every database name the run creates (a shared server
    where each user drops only the databases of their own prefix; see tests.pristine)."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("postgresql"):
        suffix = os.environ.get("TINHSO_TEST_DB_SUFFIX", str(os.getpid()))
        prefix = os.environ.get("TINHSO_TEST_DB_PREFIX", "")
        db.setdefault("TEST", {})["NAME"] = f"{prefix}test_{db['NAME']}_{suffix}"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, tmp_path_factory):
    """pytest-django's, then a copy of the just-migrated test database (tests.pristine)."""
    from tests import pristine

    with django_db_blocker.unblock():
        kept = pristine.keep(tmp_path_factory.mktemp("pristine"))
    yield kept
    with django_db_blocker.unblock():
        pristine.remove(kept)


@pytest.fixture(scope="session")
def migrated(django_db_setup) -> Pristine:
    """Copies of a migrated database for processes the test starts (`.database(name, dir)`)."""
    return django_db_setup


@pytest.fixture(autouse=True)
def _nothing_kept_from_another_test() -> None:
    """What a process keeps in memory (tinhso.core.stamps) may hold rows an earlier test
    wrote and its rollback removed."""
    from tinhso.core import stamps

    stamps.forget_all()


TEST_REDIS = "redis://127.0.0.1:6379/3"


@pytest.fixture
def redis_cache(settings):
    """Django's Redis cache as the default cache, emptied before and after. Without a
    Redis server it skips, except under CI, where .ci/run starts one."""
    import redis
    from django.core.cache import caches

    try:
        redis.Redis.from_url(TEST_REDIS, socket_timeout=1).ping()
    except redis.exceptions.RedisError:
        if os.environ.get("CI"):  # a missing server is a failure there
            raise
        pytest.skip("no Redis server at 127.0.0.1:6379 right now (.ci/run starts one)")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": TEST_REDIS,
            "KEY_PREFIX": "tinhso-test",
        }
    }
    caches["default"].clear()
    yield caches["default"]
    caches["default"].clear()


@pytest.fixture
def own_page_stamp(settings, tmp_path) -> None:
    """Kept public pages hear of other processes' catalogue changes through a stamp file
    in var/ (tinhso.core.pagecache), and both legs of `make test` share var/: a test that
    counts on a page staying kept gives its process a stamp file of its own."""
    settings.VAR_DIR = tmp_path


LEG_ONLY = {  # marker -> (the engine it needs, why the other leg cannot show it)
    "postgres": (
        "postgresql",
        "needs PostgreSQL (row locks, triggers, or processes sharing the test database); "
        "this is the SQLite leg, and `make test` runs it in its PostgreSQL leg",
    ),
    "sqlite": (
        "sqlite",
        "checks what the platform does on SQLite; this is the PostgreSQL leg, and "
        "`make test` runs it in its SQLite leg",
    ),
}


def pytest_collection_modifyitems(config, items):
    from django.db import connection

    for marker, (engine, reason) in LEG_ONLY.items():
        if connection.vendor == engine:
            continue
        skip = pytest.mark.skip(reason=reason)
        for item in items:
            if marker in item.keywords:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def chromium():
    """The system Chromium driven by Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    executable = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=executable,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, live_server):
    context = chromium.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.base_url = live_server.url  # type: ignore[attr-defined]
    yield page
    context.close()


LIVE_REQUESTS_WAIT_S = 15


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item) -> None:
    """A live-server test ends when the server's request threads have, before any fixture
    is torn down. A request's last work runs after its answer has gone (security events
    are written when the request finishes), and on SQLite the server shares the test's
    in-memory connection: that work raced the teardown's flush ("cannot open savepoint -
    SQL statements in progress") and broke every live-server test after it."""
    if "live_server" not in getattr(item, "fixturenames", ()):
        return
    deadline = time.monotonic() + LIVE_REQUESTS_WAIT_S
    for thread in threading.enumerate():
        target = getattr(thread, "_target", None)
        if getattr(target, "__name__", "") == "process_request_thread":
            thread.join(max(0.0, deadline - time.monotonic()))
