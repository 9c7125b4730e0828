"""The platform's sections in the navigation.

A section whose URL name does not resolve yet is shown as "sắp có" (coming), never as a
dead link; apps light their section up simply by defining the URL name.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tinhso.accounts.rules import can


@dataclass(frozen=True)
class Section:
    key: str
    title: str | Promise
    url_name: str
    officials_only: bool = False
    permission: str | None = None  # shown only to users `can(user, permission)`


SECTIONS = [
    Section("onestop", _("Dịch vụ công"), "onestop:home"),
    Section("documents", _("Văn bản điều hành"), "documents:home", officials_only=True),
    Section("directory", _("Danh bạ cơ quan"), "directory:tree"),
    Section("exchange", _("Liên thông văn bản"), "exchange:home", officials_only=True),
    Section("gateway", _("Nền tảng tích hợp (LGSP)"), "gateway:home", officials_only=True),
    Section("opendata", _("Dữ liệu mở"), "opendata:home"),
    Section("feedback", _("Phản ánh hiện trường"), "feedback:home"),
    Section("reporting", _("Báo cáo, chỉ tiêu"), "reporting:home", officials_only=True),
    Section("meetings", _("Họp không giấy"), "meetings:home", officials_only=True),
    Section(
        "security",
        _("Giám sát an toàn"),
        "security:home",
        officials_only=True,
        permission="security.view",
    ),
    Section("counter", _("Trung tâm phục vụ hành chính công"), "counter:home"),
]


def url_or_none(url_name: str, *args, **kwargs) -> str | None:
    """The URL of `url_name`, or None while the app that owns it has not defined it."""
    try:
        return reverse(url_name, args=args or None, kwargs=kwargs or None)
    except NoReverseMatch:
        return None


def first_url(*url_names: str) -> str | None:
    for name in url_names:
        url = url_or_none(name)
        if url:
            return url
    return None


@functools.lru_cache(maxsize=16)
def _section_urls(prefix: str, urlconf: str) -> dict[str, str | None]:
    """Each section's URL (None while not defined): the same for every request under one
    script prefix and URLconf, so reversed once per process, not on every page (eleven
    `reverse` calls were a tenth of a public page's rendering)."""
    urls: dict[str, str | None] = {}
    for section in SECTIONS:
        try:
            urls[section.url_name] = reverse(section.url_name, urlconf=urlconf)
        except NoReverseMatch:
            urls[section.url_name] = None
    return urls


def sections_for(user, path: str = "") -> list[dict]:
    is_official = bool(
        getattr(user, "is_authenticated", False) and getattr(user, "is_official", False)
    )
    urls = _section_urls(get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)
    items = []
    for section in SECTIONS:
        if section.officials_only and not (is_official or getattr(user, "is_superuser", False)):
            continue
        if section.permission and not can(user, section.permission):
            continue
        url = urls[section.url_name]
        current = bool(url and url != "/" and path.startswith(url))
        items.append({"key": section.key, "title": section.title, "url": url, "current": current})
    return items
