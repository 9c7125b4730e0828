"""Production settings: `tinhso check --deploy` is clean; the demo still runs over http."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(args: list[str], extra_env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "DEBUG",
            "SECRET_KEY",
            "SECRET_KEY_FILE",
            "ALLOWED_HOSTS",
            "SECURE_COOKIES",
            "SECURE_HSTS_SECONDS",
            "SECURE_SSL_REDIRECT",
            "SILENCED_SYSTEM_CHECKS",
            "DATABASE_URL",
            "PAYMENT_SANDBOX",
            "DJANGO_ALLOW_ASYNC_UNSAFE",  # set by tests/conftest.py for Playwright
        }
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "tinhso.settings",
            "PYTHONPATH": str(ROOT / "src"),
            "TINHSO_VAR_DIR": str(tmp_path),
            **extra_env,
        }
    )
    return subprocess.run(
        [sys.executable, "-m", "tinhso", *args],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "k7#Qm2!vR9zX4@pL8wN3$tY6&hJ1^cF5*bD0(gS-eA+uK=oI_" + "Zq9Wm3Rt",
    "ALLOWED_HOSTS": "dichvucong.songlam.gov.vn",
}


def test_check_deploy_is_clean_with_production_environment(tmp_path):
    result = _run(["check", "--deploy", "--fail-level", "WARNING"], PRODUCTION, tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues (0 silenced)." in output, output


def test_check_deploy_refuses_the_payment_sandbox_and_it_is_off_by_default(tmp_path):
    on = _run(["check", "--deploy"], {**PRODUCTION, "PAYMENT_SANDBOX": "1"}, tmp_path)
    assert on.returncode != 0 and "payments.E001" in on.stdout + on.stderr
    off = _run(["check", "--deploy"], PRODUCTION, tmp_path)  # not set: off outside the tests
    assert "payments.E001" not in off.stdout + off.stderr, off.stdout + off.stderr


def test_production_settings_values(tmp_path):
    code = (
        "from django.conf import settings as s;"
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT,"
        " s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, 'default-src' in"
        " s.CONTENT_SECURITY_POLICY)"
    )
    result = _run(["shell", "-v", "0", "-c", code], PRODUCTION, tmp_path)
    assert result.stdout.split() == ["False", "True", "True", "True", "31536000", "True", "True"]


def test_demo_environment_runs_over_plain_http(tmp_path):
    """`make demo` serves http://127.0.0.1: no secure-only cookies, no redirect, no HSTS."""
    code = (
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS)"
    )
    from tinhso.core import secret_key

    secret_key.ensure(tmp_path / "secret_key")  # as `make demo` does
    result = _run(
        ["shell", "-v", "0", "-c", code],
        {"SECURE_COOKIES": "0", "SECURE_HSTS_SECONDS": "0"},
        tmp_path,
    )
    assert result.stdout.split() == ["False", "False", "0"], result.stderr


def test_debug_is_off_unless_asked(tmp_path):
    code = "from django.conf import settings as s; print(s.DEBUG)"
    key = {"SECRET_KEY": PRODUCTION["SECRET_KEY"]}
    assert _run(["shell", "-v", "0", "-c", code], key, tmp_path).stdout.strip() == "False"
    assert _run(["shell", "-v", "0", "-c", code], {"DEBUG": "1"}, tmp_path).stdout.strip() == "True"


def test_refuses_to_start_without_a_secret_key_when_debug_is_off(tmp_path):
    """No key printed in the source to fall back on: the settings refuse to load, for a
    web process as for `check --deploy`, and nothing is created on the side."""
    for args in (["check"], ["check", "--deploy"], ["migrate", "--noinput"]):
        result = _run(args, {"DEBUG": "0", "TINHSO_PRODUCTION": "0"}, tmp_path)
        assert result.returncode != 0, args
        assert "SECRET_KEY is not set" in result.stderr, result.stderr[-2000:]
    assert not (tmp_path / "secret_key").exists()
    wsgi = subprocess.run(
        [sys.executable, "-c", "import tinhso.wsgi"],
        env={
            **os.environ,
            "PYTHONPATH": str(ROOT / "src"),
            "TINHSO_VAR_DIR": str(tmp_path),
            "DEBUG": "0",
            "SECRET_KEY": "",
            "SECRET_KEY_FILE": "",
        },
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert wsgi.returncode != 0 and "SECRET_KEY is not set" in wsgi.stderr


def test_check_deploy_fails_with_an_error_on_a_published_or_weak_key(tmp_path):
    published = "insecure-development-key-change-me-" + "x" * 20  # the old fallback
    for key in (published, "django-insecure-" + "a1b2c3d4e5" * 6, "short-key-123"):
        result = _run(["check", "--deploy"], {**PRODUCTION, "SECRET_KEY": key}, tmp_path)
        output = result.stdout + result.stderr
        assert result.returncode != 0, key
        assert "tinhso.E001" in output and "SECRET_KEY is not a real secret key" in output


def test_demo_commands_create_a_random_key_once_in_var_and_keep_it(tmp_path):
    """`tinhso demo` / `tinhso serve` from a fresh clone: a random key, mode 600, kept."""
    result = _run(["demo", "--help"], {}, tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    key_file = tmp_path / "secret_key"
    first = key_file.read_text().strip()
    assert len(first) >= 50
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert _run(["serve", "--help"], {}, tmp_path).returncode == 0
    assert key_file.read_text().strip() == first
    # Every later start (web, worker, any command) reads the same key, DEBUG off.
    code = "from django.conf import settings as s; print(s.SECRET_KEY)"
    assert _run(["shell", "-v", "0", "-c", code], {}, tmp_path).stdout.strip() == first
    # Another fresh clone gets another key.
    other = tmp_path / "other"
    other.mkdir()
    assert _run(["demo", "--help"], {}, other).returncode == 0
    assert (other / "secret_key").read_text().strip() != first


def test_the_makefile_helper_creates_the_key_file(tmp_path):
    target = tmp_path / "var" / "secret_key"
    result = subprocess.run(
        [sys.executable, "-m", "tinhso.core.secret_key", str(target)],
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert target.stat().st_mode & 0o777 == 0o600
    assert len(target.read_text().strip()) >= 50


def test_tests_run_with_their_own_random_key():
    from django.conf import settings

    from tinhso.core.secret_key import weakness

    assert weakness(settings.SECRET_KEY) is None
    assert "insecure" not in settings.SECRET_KEY


def test_production_collects_static_and_serves_https_only_except_the_health_check(tmp_path):
    """As deployed: collectstatic with hashed names (whitenoise), then every page is
    redirected to https (with HSTS there) except the load balancer's health check."""
    static_root = tmp_path / "static"
    env = {**PRODUCTION, "STATIC_ROOT": str(static_root)}
    result = _run(["collectstatic", "--noinput", "-v", "0"], env, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (static_root / "staticfiles.json").exists()

    code = (
        "from django.test import Client;"
        "c = Client(HTTP_HOST='dichvucong.songlam.gov.vn');"
        "r = c.get('/');"
        "print(r.status_code, r['Location']);"
        "print(c.get('/healthz').status_code);"
        "r = c.get('/accounts/login/', secure=True);"
        "print(r.status_code, r['Strict-Transport-Security'])"
    )
    result = _run(["shell", "-v", "0", "-c", code], env, tmp_path)
    lines = result.stdout.splitlines()
    assert len(lines) == 3, result.stdout + result.stderr[-3000:]
    assert lines[0] == "301 https://dichvucong.songlam.gov.vn/"
    assert lines[1] == "200"
    assert lines[2] == "200 max-age=31536000; includeSubDomains; preload"
