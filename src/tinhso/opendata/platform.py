"""Open data tinhso publishes about its own operations, refreshed by a scheduled task
(`tasks.publish_platform_data_task`, `tinhso opendata_refresh`; the portal's home page
asks the worker for a refresh when the data is more than a day old).

| dataset | read through | rows |
|---|---|---|
| one-stop dossiers by agency / procedure and month, on-time rates | `onestop.statistics.summary` | counts per group and month |
| documents received and sent electronically per agency | `documents.selectors.statistics` | counts per agency and month |
| the procedure catalogue | `onestop.selectors.search_procedures` | one row per procedure |
| the agency directory (public fields) | `directory.models.Agency` (read-only) | one row per agency |

No personal data, by construction: every table is built from an explicit list of
columns (`COLUMNS`) filled only from aggregate counts or from public registers (the
procedure catalogue, agencies' public contact data: never an official, a citizen, an
applicant, a dossier or a document). `check_public` refuses any column whose name looks
personal (`PERSONAL`) and is run on every table before it is stored; a test walks the
published tables and asserts both.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tinhso.audit.services import record
from tinhso.directory.models import Agency
from tinhso.opendata import services
from tinhso.opendata.models import Dataset, DatasetState, Frequency

MONTHS = 12
PERSONAL = re.compile(
    r"(citizen|cccd|cmnd|so_dinh_danh|applicant|nguoi_nop|ho_ten|full_name|birth|ngay_sinh|"
    r"username|user|phone_person|dia_chi_nguoi|tax_code|ma_so_thue|email_user)",
    re.I,
)


class PersonalDataRefused(ValueError):
    pass


def check_public(fields: list[dict[str, Any]]) -> None:
    for field in fields:
        if PERSONAL.search(field["id"]):
            raise PersonalDataRefused(f"column {field['id']!r} looks personal")


def _months(today: dt.date, count: int = MONTHS) -> list[tuple[int, int]]:
    result = []
    year, month = today.year, today.month
    for _ in range(count):
        result.append((year, month))
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return list(reversed(result))


def _owner() -> Agency | None:
    code = getattr(settings, "OPENDATA_PLATFORM_AGENCY", "")
    if code:
        agency = Agency.objects.filter(code=code).first()
        if agency is not None:
            return agency
    return (
        Agency.objects.filter(parent__isnull=True, status=Agency.Status.ACTIVE)
        .order_by("path")
        .first()
    )


# ---------------------------------------------------------------------------------------
# the tables


def onestop_by(group_by: str) -> tuple[list[dict[str, Any]], list[list[Any]]]:
    from tinhso.onestop.statistics import Period, summary

    label = {"agency": "co_quan", "procedure": "thu_tuc"}[group_by]
    fields: list[dict[str, Any]] = [
        {"id": "thang", "type": "text", "info": {"label": "Tháng (YYYY-MM)"}},
        {"id": f"ma_{label}", "type": "text"},
        {"id": f"ten_{label}", "type": "text"},
        {"id": "tiep_nhan", "type": "int"},
        {"id": "tiep_nhan_truc_tuyen", "type": "int"},
        {"id": "da_giai_quyet", "type": "int"},
        {"id": "giai_quyet_dung_han", "type": "int"},
        {"id": "giai_quyet_qua_han", "type": "int"},
        {"id": "ty_le_dung_han", "type": "numeric", "info": {"label": "% đúng hạn"}},
    ]
    rows = []
    today = timezone.localdate()
    for year, month in _months(today):
        period = Period.month(year, month)
        if period.start > today:
            continue
        for row in summary(period=period, group_by=group_by):
            if not row["received"] and not row["resolved"]:
                continue
            rows.append(
                [
                    f"{year:04d}-{month:02d}",
                    row["code"],
                    row["name"],
                    row["received"],
                    row["received_online"],
                    row["resolved"],
                    row["resolved_early"] + row["resolved_on_time"],
                    row["resolved_late"],
                    row["on_time_rate"],
                ]
            )
    return fields, rows


def documents_by_agency() -> tuple[list[dict[str, Any]], list[list[Any]]]:
    from tinhso.documents.selectors import statistics

    fields = [
        {"id": "thang", "type": "text"},
        {"id": "ma_co_quan", "type": "text"},
        {"id": "ten_co_quan", "type": "text"},
        {"id": "van_ban_den", "type": "int"},
        {"id": "van_ban_den_dien_tu", "type": "int"},
        {"id": "van_ban_di", "type": "int"},
        {"id": "van_ban_di_gui_dien_tu", "type": "int"},
        {"id": "van_ban_di_ky_so", "type": "int"},
    ]
    agencies = list(Agency.objects.filter(status=Agency.Status.ACTIVE).order_by("path"))
    rows = []
    today = timezone.localdate()
    for year, month in _months(today):
        start = dt.date(year, month, 1)
        if start > today:
            continue
        end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        for row in statistics(agencies=agencies, date_from=start, date_to=min(end, today)):
            if not row["incoming"] and not row["outgoing"]:
                continue
            rows.append(
                [
                    f"{year:04d}-{month:02d}",
                    row["agency"].code,
                    row["agency"].name,
                    row["incoming"],
                    row["incoming_electronic"],
                    row["outgoing"],
                    row["outgoing_exchanged"],
                    row["outgoing_signed"],
                ]
            )
    return fields, rows


def procedure_catalogue() -> tuple[list[dict[str, Any]], list[list[Any]]]:
    from tinhso.onestop.selectors import search_procedures

    fields = [
        {"id": "ma_thu_tuc", "type": "text"},
        {"id": "ten_thu_tuc", "type": "text"},
        {"id": "linh_vuc", "type": "text"},
        {"id": "co_quan_giai_quyet", "type": "text"},
        {"id": "cap_thuc_hien", "type": "text"},
        {"id": "thoi_han_ngay_lam_viec", "type": "numeric"},
        {"id": "phi_le_phi_dong", "type": "int"},
        {"id": "dich_vu_cong_truc_tuyen", "type": "text"},
    ]
    rows = [
        [
            p.code,
            p.name,
            p.field.name,
            p.agency.name if p.agency is not None else "",
            p.levels,
            p.processing_days,
            p.fee_vnd,
            p.online_type,
        ]
        for p in search_procedures()
    ]
    return fields, rows


def agency_directory() -> tuple[list[dict[str, Any]], list[list[Any]]]:
    fields = [
        {"id": "ma_dinh_danh", "type": "text"},
        {"id": "ma_qcvn_102", "type": "text"},
        {"id": "ten_co_quan", "type": "text"},
        {"id": "ten_viet_tat", "type": "text"},
        {"id": "loai", "type": "text"},
        {"id": "co_quan_chu_quan", "type": "text"},
        {"id": "dia_chi", "type": "text"},
        {"id": "dien_thoai", "type": "text"},
        {"id": "thu_dien_tu", "type": "text"},
        {"id": "trang_thong_tin", "type": "text"},
    ]
    rows = [
        [
            a.code,
            a.legacy_code or "",
            a.name,
            a.short_name,
            a.get_kind_display(),
            a.parent.code if a.parent is not None else "",
            a.address,
            a.phone,
            a.email,
            a.website,
        ]
        for a in Agency.objects.filter(status=Agency.Status.ACTIVE)
        .select_related("parent")
        .order_by("path")
    ]
    return fields, rows


Builder = Callable[[], tuple[list[dict[str, Any]], list[list[Any]]]]

# key → (title, notes, groups, tags, frequency, [(resource name, builder)])
PLATFORM_DATASETS: dict[
    str, tuple[str, str, list[str], list[str], str, list[tuple[str, Builder]]]
] = {
    "onestop-dossiers": (
        "Tình hình giải quyết hồ sơ thủ tục hành chính theo tháng",
        "Số hồ sơ tiếp nhận, đã giải quyết, đúng hạn, quá hạn và tỷ lệ đúng hạn theo cơ quan "
        "và theo thủ tục, 12 tháng gần nhất; số liệu của hệ thống một cửa điện tử, tự cập nhật "
        "hằng ngày. Chỉ có số đếm, không có thông tin cá nhân.",
        ["hanh-chinh-cong"],
        ["thủ tục hành chính", "một cửa", "tỷ lệ đúng hạn"],
        Frequency.DAILY,
        [
            ("Theo cơ quan và tháng", lambda: onestop_by("agency")),
            ("Theo thủ tục và tháng", lambda: onestop_by("procedure")),
        ],
    ),
    "documents-electronic": (
        "Văn bản đến, văn bản đi điện tử theo cơ quan",
        "Số văn bản đến (trong đó nhận điện tử), văn bản đi (trong đó gửi điện tử, ký số) "
        "theo cơ quan và tháng, 12 tháng gần nhất; tự cập nhật hằng ngày.",
        ["hanh-chinh-cong"],
        ["văn bản điện tử", "chuyển đổi số"],
        Frequency.DAILY,
        [("Theo cơ quan và tháng", documents_by_agency)],
    ),
    "procedure-catalogue": (
        "Danh mục thủ tục hành chính của tỉnh",
        "Mã, tên, lĩnh vực, cơ quan giải quyết, thời hạn, phí và mức độ dịch vụ công trực "
        "tuyến của các thủ tục đang áp dụng.",
        ["hanh-chinh-cong"],
        ["thủ tục hành chính", "dịch vụ công"],
        Frequency.WEEKLY,
        [("Danh mục thủ tục", procedure_catalogue)],
    ),
    "agency-directory": (
        "Danh bạ cơ quan nhà nước của tỉnh",
        "Mã định danh (Quyết định 20/2020/QĐ-TTg và QCVN 102:2016), tên, loại, cơ quan chủ "
        "quản và thông tin liên hệ công khai của các cơ quan, đơn vị. Không có thông tin cán bộ.",
        ["hanh-chinh-cong"],
        ["cơ quan nhà nước", "mã định danh"],
        Frequency.WEEKLY,
        [("Danh bạ cơ quan", agency_directory)],
    ),
}


def publish_platform_data(*, keys: list[str] | None = None) -> list[Dataset]:
    """Create or refresh the platform's datasets (each in its own transaction)."""
    owner = _owner()
    if owner is None:
        return []
    result = []
    for key, (title, notes, groups, tags, frequency, parts) in PLATFORM_DATASETS.items():
        if keys is not None and key not in keys:
            continue
        result.append(_publish_one(owner, key, title, notes, groups, tags, frequency, parts))
    return result


@transaction.atomic
def _publish_one(
    owner: Agency,
    key: str,
    title: str,
    notes: str,
    groups: list[str],
    tags: list[str],
    frequency: str,
    parts: list[tuple[str, Builder]],
) -> Dataset:
    dataset = Dataset.objects.filter(platform_key=key).first()
    if dataset is None:
        dataset = services.create_dataset(
            actor=None,
            agency=owner,
            title=title,
            notes=notes,
            groups=groups,
            tags=tags,
            frequency=frequency,
            licence_id="cc-by-4.0",
            source=Dataset.Source.PLATFORM,
            platform_key=key,
            extras={"spatial": settings.TINHSO_PROVINCE_NAME, "data_owner_code": owner.code},
        )
    step = {"DAILY": 1, "WEEKLY": 7}.get(frequency, 30)
    total = 0
    for name, build in parts:
        fields, rows = build()
        check_public(fields)
        resource = dataset.resources.filter(name=name).first()
        if resource is None:
            resource = services.add_resource(
                actor=None,
                dataset=dataset,
                name=name,
                format="CSV",
                system=True,
                datastore_only=True,
            )
        services.datastore_create(
            actor=None, resource=resource, fields=fields, records=rows, system=True
        )
        total += len(rows)
    dataset = services.update_dataset(
        actor=None,
        dataset=dataset,
        system=True,
        next_update_on=timezone.localdate() + dt.timedelta(days=step),
    )
    if dataset.state != DatasetState.PUBLISHED:
        services._publish_system(dataset)
    record(
        actor=None,
        action="opendata.platform_refresh",
        obj=dataset,
        agency=owner,
        summary={"key": key, "rows": total},
    )
    return dataset


def refresh_if_stale() -> None:
    """Ask the worker (once an hour per process) to refresh platform data older than a day."""

    latest = (
        Dataset.objects.filter(source=Dataset.Source.PLATFORM)
        .order_by("metadata_modified")
        .values_list("metadata_modified", flat=True)
        .first()
    )
    if latest is not None and latest > timezone.now() - dt.timedelta(days=1):
        return
    if latest is None and not Agency.objects.exists():
        return
    from tinhso.core.tasks import enqueue_once
    from tinhso.opendata.tasks import publish_platform_data_task

    enqueue_once("opendata:platform-refresh", publish_platform_data_task, every=3600)
