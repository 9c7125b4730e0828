"""Demo data of the open data portal, loaded by `tinhso demo` through the app's services.

- Data officers: ``chuyenvien.stc`` (Sở Tài chính), ``chuyenvien.syt`` (Sở Y tế),
  ``chuyenvien.sgddt`` (Sở Giáo dục và Đào tạo), ``chuyenvien.snnmt`` (Sở Nông nghiệp và
  Môi trường), ``chuyenvien.skhcn`` (Sở Khoa học và Công nghệ), appointed by ``admin``.
- Datasets of those departments, created as drafts, given CSV/XLSX files (loaded into the
  datastore by the same loader the worker runs: one file is in Windows-1258, as older
  Excel writes it), submitted and approved; one stays waiting for review, one a draft.
- Contributions: ``congdan.an`` proposes a dataset (pending), ``congdan.binh`` corrects
  one (accepted, credited), ``doanhnghiep.songlam`` proposes one that is declined.
- The platform's own datasets (one-stop statistics, documents, procedure catalogue,
  agency directory), published by `platform.publish_platform_data`.

Running it again changes nothing but refreshing the platform's datasets.
"""

from __future__ import annotations

import io
import random
from typing import Any

from tinhso.accounts.models import User
from tinhso.core.progress import report_progress
from tinhso.opendata import services
from tinhso.opendata.models import Contribution, Dataset, LoadJob
from tinhso.opendata.platform import publish_platform_data
from tinhso.opendata.reference import ensure_reference

OFFICERS = [
    "chuyenvien.stc",
    "chuyenvien.syt",
    "chuyenvien.sgddt",
    "chuyenvien.snnmt",
    "chuyenvien.skhcn",
]


def _agency_of(username: str) -> Any:
    user = User.objects.filter(username=username).first()
    if user is None:
        return None, None
    membership = user.memberships.filter(ended_on__isnull=True).select_related("agency").first()
    return user, membership.agency if membership else None


def _file(name: str, text: str, encoding: str = "utf-8") -> io.BytesIO:
    if encoding == "cp1258":
        import unicodedata

        tones = "\u0300\u0301\u0303\u0309\u0323"
        out = bytearray()
        for char in text:
            try:
                out += char.encode("cp1258")
            except UnicodeEncodeError:
                parts = unicodedata.normalize("NFD", char)
                base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
                out += (base + "".join(c for c in parts if c in tones)).encode("cp1258")
        data = bytes(out)
    else:
        data = text.encode(encoding)
    stream = io.BytesIO(data)
    stream.name = name
    stream.size = len(data)  # type: ignore[attr-defined]
    return stream


def _csv(header: list[str], rows: list[list[Any]]) -> str:
    import csv

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _communes() -> list[str]:
    from tinhso.directory.models import Agency

    names = Agency.objects.filter(
        kind=Agency.Kind.PEOPLES_COMMITTEE, status=Agency.Status.ACTIVE, parent__isnull=False
    ).values_list("name", flat=True)
    return [n.replace("Ủy ban nhân dân ", "").replace("Uỷ ban nhân dân ", "") for n in names][:30]


def _datasets(rng: random.Random) -> list[dict[str, Any]]:
    communes = _communes() or ["Phường Sông Lam", "Xã An Sơn", "Xã Bình Lĩnh"]
    budget = [
        ["Thu nội địa", 14250000, 108.5],
        ["Thu từ doanh nghiệp nhà nước", 1320000, 102.1],
        ["Thu từ khu vực ngoài quốc doanh", 3860000, 111.4],
        ["Thuế thu nhập cá nhân", 1180000, 109.0],
        ["Thu tiền sử dụng đất", 4200000, 96.3],
        ["Thu từ hoạt động xuất nhập khẩu", 2650000, 105.2],
        ["Thu xổ số kiến thiết", 310000, 101.0],
    ]
    facilities = [
        ["Bệnh viện Đa khoa tỉnh", "Bệnh viện", communes[0], 750, "0238 3844 001"],
        ["Bệnh viện Sản - Nhi", "Bệnh viện", communes[0], 420, "0238 3844 002"],
        [
            "Bệnh viện Y học cổ truyền",
            "Bệnh viện",
            communes[1 % len(communes)],
            250,
            "0238 3844 003",
        ],
        *[[f"Trạm Y tế {c}", "Trạm y tế", c, rng.randint(5, 12), ""] for c in communes[:20]],
    ]
    schools = [
        [c, rng.randint(2, 5), rng.randint(20, 60), rng.randint(600, 2400), rng.randint(40, 130)]
        for c in communes
    ]
    rice = [
        [year, c, round(rng.uniform(300, 1500), 1), round(rng.uniform(5.6, 6.9), 2)]
        for year in (2024, 2025)
        for c in communes
    ]
    wifi = [[f"Điểm Wi-Fi {c}", c, f"Nhà văn hóa {c}", rng.randint(20, 120)] for c in communes[:15]]
    return [
        {
            "officer": "chuyenvien.stc",
            "title": "Dự toán thu ngân sách nhà nước trên địa bàn tỉnh năm 2026",
            "notes": "Dự toán thu ngân sách nhà nước năm 2026 theo Nghị quyết của Hội đồng nhân "
            "dân tỉnh; đơn vị: triệu đồng.",
            "groups": ["kinh-te-tai-chinh"],
            "tags": ["ngân sách", "dự toán", "tài chính công"],
            "frequency": "ANNUAL",
            "extras": {
                "temporal_start": "2026-01-01",
                "temporal_end": "2026-12-31",
                "legal_basis": "Luật Ngân sách nhà nước 2015",
            },
            "files": [
                (
                    "du-toan-thu-2026.csv",
                    _csv(["Chỉ tiêu", "Dự toán (triệu đồng)", "So với năm trước (%)"], budget),
                    "utf-8-sig",
                )
            ],
        },
        {
            "officer": "chuyenvien.syt",
            "title": "Danh sách cơ sở khám bệnh, chữa bệnh công lập",
            "notes": "Bệnh viện và trạm y tế công lập trên địa bàn tỉnh, số giường bệnh kế hoạch.",
            "groups": ["y-te"],
            "tags": ["y tế", "bệnh viện", "trạm y tế"],
            "frequency": "QUARTERLY",
            "files": [
                (
                    "co-so-kham-chua-benh.csv",
                    _csv(
                        ["Tên cơ sở", "Loại", "Xã, phường", "Số giường", "Điện thoại"], facilities
                    ),
                    "utf-8",
                )
            ],
        },
        {
            "officer": "chuyenvien.sgddt",
            "title": "Số trường, lớp, học sinh phổ thông năm học 2025–2026 theo xã, phường",
            "notes": "Số liệu thống kê đầu năm học.",
            "groups": ["giao-duc"],
            "tags": ["giáo dục", "học sinh", "trường học"],
            "frequency": "ANNUAL",
            "files": [
                (
                    "truong-lop-hoc-sinh.xlsx",
                    (["Xã, phường", "Số trường", "Số lớp", "Số học sinh", "Số giáo viên"], schools),
                    "xlsx",
                )
            ],
        },
        {
            "officer": "chuyenvien.snnmt",
            "title": "Diện tích và năng suất lúa theo xã, phường",
            "notes": "Diện tích gieo trồng (ha) và năng suất (tấn/ha) lúa cả năm.",
            "groups": ["nong-nghiep"],
            "tags": ["nông nghiệp", "lúa", "sản lượng"],
            "frequency": "ANNUAL",
            "files": [
                (
                    "dien-tich-lua.csv",
                    _csv(["Năm", "Xã, phường", "Diện tích (ha)", "Năng suất (tấn/ha)"], rice),
                    "utf-8",
                )
            ],
        },
        {
            "officer": "chuyenvien.skhcn",
            "title": "Điểm truy cập Wi-Fi công cộng miễn phí",
            "notes": "Điểm phát Wi-Fi công cộng tại nhà văn hóa, bưu điện xã; tệp do đơn vị "
            "xuất từ phần mềm cũ (bảng mã Windows-1258).",
            "groups": ["khoa-hoc-cong-nghe"],
            "tags": ["wifi", "hạ tầng số", "chuyển đổi số"],
            "frequency": "MONTHLY",
            "files": [
                (
                    "diem-wifi.csv",
                    _csv(["Tên điểm", "Xã, phường", "Địa điểm", "Số người dùng/ngày"], wifi),
                    "cp1258",
                )
            ],
        },
        {
            "officer": "chuyenvien.skhcn",
            "title": "Danh mục cơ sở dữ liệu dùng chung của tỉnh",
            "notes": "Đang chờ lãnh đạo duyệt.",
            "groups": ["khoa-hoc-cong-nghe"],
            "tags": ["dữ liệu dùng chung"],
            "frequency": "IRREG",
            "link": "https://data.gov.vn",
            "state": "pending",
        },
        {
            "officer": "chuyenvien.stc",
            "title": "Giá đất ở các phường (bản nháp)",
            "notes": "Đang nhập liệu.",
            "groups": ["kinh-te-tai-chinh"],
            "tags": ["giá đất"],
            "state": "draft",
        },
    ]


def _xlsx(name: str, header: list[str], rows: list[list[Any]]) -> io.BytesIO:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    data = out.getvalue()
    stream = io.BytesIO(data)
    stream.name = name
    stream.size = len(data)  # type: ignore[attr-defined]
    return stream


def load(out) -> None:
    ensure_reference()
    admin = User.objects.filter(username="admin").first()
    if admin is None:
        out.write("  dữ liệu mở: không có tài khoản admin, bỏ qua")
        return
    if not Dataset.objects.filter(source=Dataset.Source.MANUAL).exists():
        _manual(out, admin)
    datasets = publish_platform_data()
    out.write(
        f"  dữ liệu mở: {Dataset.objects.count()} bộ dữ liệu "
        f"({len(datasets)} của nền tảng), {Contribution.objects.count()} đóng góp"
    )


def _manual(out, admin) -> None:
    rng = random.Random(13)
    for username in OFFICERS:
        user, agency = _agency_of(username)
        if user is not None and agency is not None:
            services.appoint_data_officer(actor=admin, user=user, agency=agency)
    specs = _datasets(rng)
    created: dict[str, Dataset] = {}
    for number, spec in enumerate(specs, start=1):
        report_progress(out, number, len(specs) + 3)
        officer, agency = _agency_of(spec["officer"])
        if officer is None or agency is None:
            continue
        dataset = services.create_dataset(
            actor=officer,
            agency=agency,
            title=spec["title"],
            notes=spec["notes"],
            groups=spec["groups"],
            tags=spec["tags"],
            frequency=spec.get("frequency", ""),
            extras={"spatial": "Tỉnh Sông Lam", **spec.get("extras", {})},
            maintainer=officer.full_name,
            maintainer_email=officer.email,
        )
        for name, content, encoding in spec.get("files", []):
            upload = _xlsx(name, *content) if encoding == "xlsx" else _file(name, content, encoding)
            resource = services.add_resource(actor=officer, dataset=dataset, upload=upload)
            job = LoadJob.objects.filter(resource=resource).first()
            if job is not None:
                services.run_load(job.pk)
        if spec.get("link"):
            services.add_resource(
                actor=officer, dataset=dataset, name="Cổng dữ liệu quốc gia", url=spec["link"]
            )
        state = spec.get("state", "published")
        if state in ("pending", "published"):
            services.transition(actor=officer, dataset=dataset, action="submit")
        if state == "published":
            services.transition(actor=admin, dataset=dataset, action="approve")
        created[spec["officer"] + str(number)] = dataset
    _contributions(admin)
    for job in LoadJob.objects.filter(status=LoadJob.Status.QUEUED):
        services.run_load(job.pk)  # what the worker would do next


def _contributions(admin) -> None:
    an = User.objects.filter(username="congdan.an").first()
    binh = User.objects.filter(username="congdan.binh").first()
    business = User.objects.filter(username="doanhnghiep.songlam").first()
    health = Dataset.objects.filter(title__startswith="Danh sách cơ sở khám bệnh").first()
    officer_health, _ = _agency_of("chuyenvien.syt")
    _, industry = _agency_of("chuyenvien.sct")
    _, finance = _agency_of("chuyenvien.stc")
    if an is not None and (industry or finance):
        services.propose(
            actor=an,
            kind=Contribution.Kind.NEW_DATASET,
            agency=industry or finance,
            title="Danh sách chợ truyền thống và giờ họp chợ",
            comment="Đề nghị công bố danh sách chợ, giờ họp chợ để người dân tiện tra cứu.",
            link="https://example.org/cho-truyen-thong",
        )
    if binh is not None and health is not None and officer_health is not None:
        correction = services.propose(
            actor=binh,
            kind=Contribution.Kind.CORRECTION,
            dataset=health,
            title="Bổ sung số điện thoại trạm y tế",
            comment="Tôi bổ sung số điện thoại các trạm y tế đã gọi xác minh.",
            upload=_file(
                "dien-thoai-tram-y-te.csv",
                "Tên cơ sở,Điện thoại\nTrạm Y tế Xã An Sơn,0238 3851 111\n",
            ),
        )
        services.accept_contribution(
            actor=officer_health, contribution=correction, note="Đã xác minh, cảm ơn bạn."
        )
    if business is not None and finance is not None:
        declined = services.propose(
            actor=business,
            kind=Contribution.Kind.NEW_DATASET,
            agency=finance,
            title="Danh sách doanh nghiệp nợ thuế",
            comment="Đề nghị công bố.",
        )
        stc, _ = _agency_of("chuyenvien.stc")
        services.decline_contribution(
            actor=stc or admin,
            contribution=declined,
            reason="Dữ liệu thuộc thẩm quyền công khai của cơ quan thuế, không thuộc Sở Tài chính.",
        )
