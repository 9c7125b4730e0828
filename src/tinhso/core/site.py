"""The address people reach this instance at, for links that leave the site (e-mail, SMS).

`settings.TINHSO_SITE_URL` is configured per deployment; unset, it follows the port of
`make demo PORT=N` / `tinhso serve --port N` (see settings.py and the serve command).
"""

from __future__ import annotations

from django.conf import settings


def site_url() -> str:
    return str(getattr(settings, "TINHSO_SITE_URL", "") or "").rstrip("/")


def absolute_url(path: str) -> str:
    """`/onestop/ho-so/…/` → `https://dichvucong.example.gov.vn/onestop/ho-so/…/`."""
    if not path.startswith("/"):
        path = "/" + path
    return site_url() + path
