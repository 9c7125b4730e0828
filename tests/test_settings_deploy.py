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
            "ALLOWED_HOSTS",
            "SECURE_COOKIES",
            "SECURE_HSTS_SECONDS",
            "SECURE_SSL_REDIRECT",
            "SILENCED_SYSTEM_CHECKS",
            "DATABASE_URL",
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
    result = _run(
        ["shell", "-v", "0", "-c", code],
        {"SECURE_COOKIES": "0", "SECURE_HSTS_SECONDS": "0"},
        tmp_path,
    )
    assert result.stdout.split() == ["False", "False", "0"], result.stderr


def test_debug_is_off_unless_asked(tmp_path):
    code = "from django.conf import settings as s; print(s.DEBUG)"
    assert _run(["shell", "-v", "0", "-c", code], {}, tmp_path).stdout.strip() == "False"
    assert _run(["shell", "-v", "0", "-c", code], {"DEBUG": "1"}, tmp_path).stdout.strip() == "True"


def test_production_refuses_to_start_without_secret_key(tmp_path):
    result = _run(["check"], {"TINHSO_PRODUCTION": "1", "DEBUG": "0"}, tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


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
        "r = c.get('/', secure=True);"
        "print(r.status_code, r['Strict-Transport-Security'])"
    )
    result = _run(["shell", "-v", "0", "-c", code], env, tmp_path)
    lines = result.stdout.splitlines()
    assert len(lines) == 3, result.stdout + result.stderr[-3000:]
    assert lines[0] == "301 https://dichvucong.songlam.gov.vn/"
    assert lines[1] == "200"
    assert lines[2] == "200 max-age=31536000; includeSubDomains; preload"
