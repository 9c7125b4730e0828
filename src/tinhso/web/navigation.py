"""The platform's sections in the navigation.

A section whose URL name does not resolve yet is shown as "sắp có" (coming), never as a
dead link; apps light their section up simply by defining the URL name.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    url_name: str
    officials_only: bool = False


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
    Section("security", _("Giám sát an toàn"), "security:home", officials_only=True),
]


def sections_for(user) -> list[dict]:
    is_official = bool(
        getattr(user, "is_authenticated", False) and getattr(user, "is_official", False)
    )
    items = []
    for section in SECTIONS:
        if section.officials_only and not (is_official or getattr(user, "is_superuser", False)):
            continue
        try:
            url = reverse(section.url_name)
        except NoReverseMatch:
            url = None
        items.append({"key": section.key, "title": section.title, "url": url})
    return items
