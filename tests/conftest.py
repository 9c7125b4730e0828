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
    """The test database made from the kept migrated database when there is one
    (tests.pristine); on PostgreSQL, each pytest process's own so runs can overlap.
    TINHSO_TEST_DB_PREFIX: put before every database name the run creates (a shared server
    where each user drops only the databases of their own prefix; see tests.pristine)."""
    from django.conf import settings

    from tests import pristine

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        pristine.migrate_from_kept_sqlite()
    if db["ENGINE"].endswith("postgresql"):
        suffix = os.environ.get("TINHSO_TEST_DB_SUFFIX", str(os.getpid()))
        prefix = os.environ.get("TINHSO_TEST_DB_PREFIX", "")
        db.setdefault("TEST", {})["NAME"] = f"{prefix}test_{db['NAME']}_{suffix}"
        # migrated by an earlier run with the same migrations (tests.pristine)
        template = pristine.migrated_template()
        if pristine.template_exists(template, pristine.server_url_of(db)):
            db["TEST"]["TEMPLATE"] = template


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, tmp_path_factory):
    """pytest-django's, then a copy of the just-migrated test database (tests.pristine)."""
    from tests import pristine

    with django_db_blocker.unblock():
        kept = pristine.keep(tmp_path_factory.mktemp("pristine"))
    yield kept
    with django_db_blocker.unblock():
        pristine.remove(kept)
        pristine.end_other_sessions()


@pytest.fixture(scope="session")
def migrated(django_db_setup) -> Pristine:
    """Copies of a migrated database for processes the test starts (`.database(name, dir)`)."""
    return django_db_setup


# What migrations and post_migrate write once and no test changes: a transactional test's
# teardown leaves them, so it needs no post_migrate to write them again (a second a test).
KEPT_TABLES = frozenset({"django_content_type", "auth_permission"})

# PostgreSQL: empty only the tables that hold rows. DELETE with the foreign-key and guard
# triggers off (session_replication_role, a superuser's, as the tests connect) rather than
# TRUNCATE, whose new files for every table cascaded to cost 1.5-2.5 s a test; without
# that right, TRUNCATE ... CASCADE of the filled tables.
FLUSH_FILLED_TABLES = """DO $flush$
DECLARE
  name text;
  filled text[] := '{}';
  has_rows boolean;
BEGIN
  FOREACH name IN ARRAY %s::text[] LOOP
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %%I)', name) INTO has_rows;
    IF has_rows THEN
      filled := filled || format('%%I', name);
    END IF;
  END LOOP;
  IF cardinality(filled) = 0 THEN
    RETURN;
  END IF;
  IF current_setting('is_superuser') = 'on' THEN
    SET LOCAL session_replication_role = replica;
    FOREACH name IN ARRAY filled LOOP
      EXECUTE 'DELETE FROM ' || name;
    END LOOP;
    SET LOCAL session_replication_role = origin;
  ELSE
    EXECUTE 'TRUNCATE ' || array_to_string(filled, ', ') || ' CASCADE';
  END IF;
END
$flush$;"""


def _flush_sql(connection) -> list[str]:
    from django.core.management.color import no_style

    tables = [
        table
        for table in connection.introspection.django_table_names(
            only_existing=True, include_views=False
        )
        if table not in KEPT_TABLES
    ]
    if connection.vendor == "postgresql":
        names = "ARRAY[" + ", ".join(f"'{table}'" for table in tables) + "]"
        return [FLUSH_FILLED_TABLES % names]
    return connection.ops.sql_flush(no_style(), tables, reset_sequences=False)


def _empty_the_database(self) -> None:
    """A transactional test's teardown (Django's flush without post_migrate)."""
    from django.db import connections

    for alias in self._databases_names(include_mirrors=False):
        connection = connections[alias]
        connection.ops.execute_sql_flush(_flush_sql(connection))


@pytest.fixture(scope="session", autouse=True)
def _light_flush() -> None:
    from django.test import TransactionTestCase

    original = TransactionTestCase._fixture_teardown
    TransactionTestCase._fixture_teardown = _empty_the_database  # type: ignore[method-assign]
    yield
    TransactionTestCase._fixture_teardown = original  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _nothing_kept_from_another_test() -> None:
    """What a process keeps in memory (tinhso.core.stamps) may hold rows an earlier test
    wrote and its rollback removed."""
    from tinhso.core import stamps

    stamps.forget_all()


TEST_REDIS = "redis://127.0.0.1:6379/3"
# Both legs of `make test` run at once against the same Redis database: each process keeps
# its keys under a prefix of its own and empties only those (a FLUSHDB, what the cache's
# clear() sends, emptied the other leg's rate-limit counters in the middle of its test).
TEST_REDIS_PREFIX = f"tinhso-test-{os.getpid()}"


def _forget_test_redis_keys() -> None:
    import redis

    server = redis.Redis.from_url(TEST_REDIS)
    names = list(server.scan_iter(f"{TEST_REDIS_PREFIX}:*", count=1000))
    if names:
        server.delete(*names)


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
        **settings.CACHES,  # the others (the templates' `fragments`) as they are
        "default": {
            "BACKEND": "tinhso.core.cache.RedisCache",
            "LOCATION": TEST_REDIS,
            "KEY_PREFIX": TEST_REDIS_PREFIX,
        },
    }
    _forget_test_redis_keys()
    yield caches["default"]
    _forget_test_redis_keys()


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


DATABASE_FIXTURES = {"db", "transactional_db", "live_server", "django_db_setup"}


def pytest_addoption(parser):
    parser.addoption(
        "--database-tests-only",
        action="store_true",
        help="run only the tests that use a database, but for the browser flows (the "
        "second leg of `make test`: the first runs the others, whose outcome does not "
        "depend on the database, and the flows, whose every page and service the second "
        "leg tests beneath the browser)",
    )


def uses_database(item) -> bool:
    """Marked for PostgreSQL, marked django_db, or asking (through any fixture) for a
    test database."""
    return (
        "postgres" in item.keywords
        or bool(item.get_closest_marker("django_db"))
        or bool(DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())))
    )


def once_in_sqlite(item) -> bool:
    """A flow driven through Chromium, not marked for PostgreSQL: the SQLite leg runs it.
    It spends its time in the browser and the pages; what it reaches of the database, the
    PostgreSQL leg tests through the services and pages themselves (running the flows on
    both made the suite outgrow its 20 minutes)."""
    return "browser" in item.keywords and "postgres" not in item.keywords


def pytest_collection_modifyitems(config, items):
    from django.db import connection

    for marker, (engine, reason) in LEG_ONLY.items():
        if connection.vendor == engine:
            continue
        skip = pytest.mark.skip(reason=reason)
        for item in items:
            if marker in item.keywords:
                item.add_marker(skip)
    if config.getoption("--database-tests-only"):
        kept = [item for item in items if uses_database(item) and not once_in_sqlite(item)]
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept


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
    # what the page asked for as it closed is answered before the database is emptied
    in_flight_requests(live_server).wait_until_quiet(LIVE_REQUESTS_WAIT_S)


LIVE_REQUESTS_WAIT_S = 15
LIVE_QUIET_S = 0.2


class InFlightRequests:
    """The live server's application, counting the requests it has begun and not finished.

    A request is finished when the server has closed its response: Django's
    `request_finished` (and what it runs, such as the security events' flush) has run."""

    def __init__(self, app) -> None:
        self.app = app
        self.count = 0
        self.changed = threading.Condition()

    def __call__(self, environ, start_response):
        with self.changed:
            self.count += 1
        try:
            result = self.app(environ, start_response)
        except BaseException:
            self._finished()
            raise
        return _ClosingResult(result, self._finished)

    def _finished(self) -> None:
        with self.changed:
            self.count -= 1
            self.changed.notify_all()

    def wait_until_quiet(self, timeout: float) -> None:
        """Until no request has been running for LIVE_QUIET_S (a page's last fetch may
        start just after the test's last step returned)."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while time.monotonic() < deadline:
                if self.count == 0 and not self.changed.wait(LIVE_QUIET_S):
                    return
                if self.count:
                    self.changed.wait(max(0.0, deadline - time.monotonic()))


class _ClosingResult:
    def __init__(self, result, finished) -> None:
        self.result = result
        self.finished = finished

    def __iter__(self):
        return iter(self.result)

    def close(self) -> None:
        try:
            if hasattr(self.result, "close"):
                self.result.close()
        finally:
            self.finished()


def in_flight_requests(live_server) -> InFlightRequests:
    httpd = live_server.thread.httpd
    app = httpd.get_app()
    if not isinstance(app, InFlightRequests):
        app = InFlightRequests(app)
        httpd.set_app(app)
    return app


@pytest.fixture(scope="session")
def live_server(live_server):
    """pytest-django's, counting its requests (pytest_runtest_teardown waits for them)."""
    in_flight_requests(live_server)
    return live_server


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item) -> None:
    """A live-server test ends when the server has finished its requests, before any
    fixture is torn down. A request's last work runs after its answer has gone (security
    events are written when the request finishes), and on SQLite the server shares the
    test's in-memory connection: that work raced the teardown's flush ("cannot open
    savepoint - SQL statements in progress") and broke every live-server test after it.
    Waiting for the server's threads to end instead cost 15 s a test: a browser keeps
    its connections open, and their threads wait for its next request."""
    live_server = getattr(item, "funcargs", {}).get("live_server")
    if live_server is not None:
        in_flight_requests(live_server).wait_until_quiet(LIVE_REQUESTS_WAIT_S)
