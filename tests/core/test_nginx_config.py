"""The nginx configuration documented for a province (docs/nginx/tinhso.conf) is one nginx
accepts (`nginx -t`), and keeps the promises the README makes about it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.core.test_two_web_processes import NGINX, self_signed_certificate

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "docs" / "nginx" / "tinhso.conf"


def _mb(value: str) -> int:
    return int(value.removesuffix("m"))


def test_the_documented_nginx_configuration_passes_nginx_t(tmp_path):
    if not Path(NGINX).exists():
        pytest.fail("nginx is missing: run scripts/ensure-system-packages")
    cert = self_signed_certificate(tmp_path)
    text = CONF.read_text()
    text = re.sub(r"/etc/ssl/tinhso/\S+\.fullchain\.pem", str(cert), text)
    text = re.sub(r"/etc/ssl/tinhso/\S+\.key", str(tmp_path / "key.pem"), text)
    text = text.replace("/var/log/nginx/", f"{tmp_path}/")
    text = text.replace("/srv/tinhso/var/", f"{tmp_path}/var/")
    temp = "\n".join(
        f"    {kind}_temp_path {tmp_path / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (tmp_path / "site.conf").write_text(text)
    (tmp_path / "nginx.conf").write_text(
        "events {}\nhttp {\n"
        f"    access_log {tmp_path}/access.log;\n{temp}\n"
        f"    include {tmp_path}/site.conf;\n}}\n"
    )
    done = subprocess.run(
        [NGINX, "-t", "-p", str(tmp_path), "-e", str(tmp_path / "error.log")]
        + ["-c", str(tmp_path / "nginx.conf"), "-g", f"pid {tmp_path}/nginx.pid;"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr


def test_the_documented_upload_limits_cover_the_applications_own():
    from django.conf import settings

    from tinhso.onestop.services.files import MAX_BYTES as ONESTOP
    from tinhso.opendata.services import MAX_UPLOAD_BYTES as OPENDATA
    from tinhso.signing import conf as signing

    text = CONF.read_text()
    default = _mb(re.search(r"^    client_max_body_size (\d+m);", text, re.M).group(1))
    opendata = _mb(
        re.search(r"location /opendata/ \{\s+client_max_body_size (\d+m)", text).group(1)
    )
    signed = _mb(
        re.search(r"\(documents\|signing\)/ \{\s+client_max_body_size (\d+m)", text).group(1)
    )
    gateway = _mb(re.search(r"client_max_body_size (\d+m);  # GATEWAY_MAX", text).group(1))
    mb = 1024 * 1024
    assert default * mb > ONESTOP
    assert opendata * mb > OPENDATA
    assert signed * mb > max(signing.sign_max_bytes(), signing.verify_max_bytes())
    assert gateway * mb > settings.GATEWAY_MAX_BODY_BYTES
    # uploaded files are never public: only the portal's image renditions
    assert re.search(r"location /media/ \{\s+return 404;", text)
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in text
