"""What Decree 42/2022 (art. 4, art. 7) requires a state portal to publish, as data.

The list is data rather than code because the decree may be superseded (a Decree 224/2026
is reported to replace it): edit this table, not the templates. `english` marks the
sections art. 7 requires in English; `max_age_days` is how long a section stays "up to
date" without a review.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class RequiredSection:
    key: str
    title: Promise
    basis: str
    english: bool = False
    max_age_days: int = 365


REQUIRED_SECTIONS: list[RequiredSection] = [
    RequiredSection("organisation", _("Cơ cấu tổ chức, sơ đồ tổ chức"), "NĐ 42/2022 đ.4.1", True),
    RequiredSection("functions", _("Chức năng, nhiệm vụ, quyền hạn"), "NĐ 42/2022 đ.4.1", True),
    RequiredSection("contacts", _("Địa chỉ liên hệ, cán bộ đầu mối"), "NĐ 42/2022 đ.4.1.e", True),
    RequiredSection(
        "legal_documents",
        _("Văn bản quy phạm pháp luật, văn bản chỉ đạo điều hành"),
        "NĐ 42/2022 đ.4.1.a",
        max_age_days=90,
    ),
    RequiredSection(
        "procedures",
        _("Thủ tục hành chính, dịch vụ công trực tuyến"),
        "NĐ 42/2022 đ.4.1.c",
        max_age_days=90,
    ),
    RequiredSection(
        "policies", _("Phổ biến, hướng dẫn pháp luật, chế độ, chính sách"), "NĐ 42/2022 đ.4.1.d"
    ),
    RequiredSection(
        "plans", _("Chiến lược, chương trình, kế hoạch, quy hoạch"), "NĐ 42/2022 đ.4.1.đ"
    ),
    RequiredSection("finance", _("Báo cáo tài chính năm, thống kê ngành"), "NĐ 42/2022 đ.4.1"),
    RequiredSection(
        "consultations",
        _("Lấy ý kiến dự thảo văn bản"),
        "NĐ 43/2011 (giữ theo thông lệ)",
        max_age_days=180,
    ),
]

BY_KEY = {section.key: section for section in REQUIRED_SECTIONS}
SECTION_CHOICES = [(section.key, section.title) for section in REQUIRED_SECTIONS]
