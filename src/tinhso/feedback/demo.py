"""Demo data of the feedback app, loaded by `tinhso demo` through the app's services.

The coordinating centre is the Văn phòng UBND tỉnh (``lanhdao.vpubnd``,
``chuyenvien.vpubnd``); the communes' boundaries come from the shipped GeoJSON
(`data/songlam-communes.geojson`, fictional); roads go to Sở Xây dựng, environment to
Sở Nông nghiệp và Môi trường, everything else to the commune/ward's People's Committee.
Citizens ``congdan.an``, ``congdan.binh``, ``congdan.chi`` report; the centre triages;
the agencies' officials assign, answer, ask for more information, transfer; citizens rate
and reopen — each step through `services`, as a person would.
"""

from __future__ import annotations

import io
import json
import random
from datetime import timedelta
from pathlib import Path

from django.test import override_settings
from django.utils import timezone

from tinhso.accounts.models import Role, RoleGrant, User
from tinhso.core import ratelimit
from tinhso.core.errors import DomainError
from tinhso.directory.models import AdministrativeUnit, Agency
from tinhso.feedback import geo, services
from tinhso.feedback.models import Area, Category, Report, ReportState

DATA = Path(__file__).resolve().parent / "data" / "songlam-communes.geojson"

TIERS = [
    ("khan-cap", "Khẩn cấp (thiên tai, dịch bệnh, cháy nổ)", 1),
    ("tai-cho", "Kiểm tra, xử lý tại chỗ (hạ tầng, vệ sinh, trật tự đô thị)", 3),
    ("thong-thuong", "Thông thường", 10),
]
# code, name, tier, radius m, notice, group, route (agency slug code or None = commune)
CATEGORIES = [
    ("giao-thong", "Hư hỏng đường, cầu, vỉa hè", "tai-cho", 60, "", "Hạ tầng", "H99.05"),
    ("chieu-sang", "Đèn chiếu sáng công cộng hỏng", "tai-cho", 40, "", "Hạ tầng", None),
    ("rac-thai", "Rác thải, vệ sinh môi trường", "tai-cho", 50, "", "Môi trường", None),
    ("ngap-ung", "Ngập úng, cống thoát nước", "tai-cho", 80, "", "Hạ tầng", None),
    ("trat-tu-do-thi", "Lấn chiếm vỉa hè, trật tự đô thị", "tai-cho", 40, "", "Trật tự", None),
    ("o-nhiem", "Ô nhiễm không khí, nguồn nước, tiếng ồn", "thong-thuong", 150, "", "Môi trường", "H99.06"),
    ("an-ninh", "An ninh trật tự", "khan-cap", 100, "Nếu có nguy hiểm trực tiếp, hãy gọi ngay 113.", "An ninh", None),
    ("chay-no", "Cháy, nổ, sự cố khẩn cấp", "khan-cap", 200, "Khi có cháy, hãy gọi ngay 114 trước khi gửi phản ánh.", "Khẩn cấp", None),
]  # fmt: skip
ATTRIBUTES = {
    "giao-thong": [
        {
            "code": "muc_do",
            "datatype": "singlevaluelist",
            "required": False,
            "description": "Mức độ hư hỏng",
            "order": 1,
            "values": [
                {"key": "nhe", "name": "Nhẹ"},
                {"key": "nang", "name": "Nặng, nguy hiểm"},
            ],
        }
    ]
}
TEXTS = {
    "giao-thong": ["Ổ gà lớn giữa đường, xe máy dễ ngã", "Vỉa hè bị sụt lún", "Mặt cầu bong tróc"],
    "chieu-sang": ["Cả dãy đèn đường không sáng từ tối qua", "Cột đèn nghiêng sắp đổ"],
    "rac-thai": ["Rác tồn đọng nhiều ngày ở đầu ngõ", "Đổ trộm phế thải xây dựng ven đường"],
    "ngap-ung": ["Mưa lớn, nước ngập sâu nửa bánh xe", "Nắp cống bị mất, rất nguy hiểm"],
    "trat-tu-do-thi": ["Quán ăn lấn chiếm toàn bộ vỉa hè", "Xe tải đỗ chắn lối đi"],
    "o-nhiem": ["Xưởng xả khói đen ban đêm", "Nước kênh có mùi hôi bất thường"],
    "an-ninh": ["Nhóm thanh niên tụ tập gây mất trật tự ban đêm"],
    "chay-no": ["Cây đổ đè lên đường dây điện, có tia lửa"],
}
CITIZENS = ["congdan.an", "congdan.binh", "congdan.chi"]
REPORTS = 72


def _photo(rng: random.Random, gps: tuple[float, float] | None = None) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (960, 720), tuple(rng.randint(60, 200) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = rng.randint(0, 900), rng.randint(0, 660)
        draw.rectangle(
            [x, y, x + rng.randint(20, 160), y + rng.randint(20, 120)], fill=(40, 40, 40)
        )
    out = io.BytesIO()
    exif = Image.Exif()
    if gps is not None:
        exif[0x8825] = {
            1: "N",
            2: (int(gps[0]), int(gps[0] * 60) % 60, round(gps[0] * 3600 % 60, 2)),
            3: "E",
            4: (int(gps[1]), int(gps[1] * 60) % 60, round(gps[1] * 3600 % 60, 2)),
        }
    image.save(out, format="JPEG", quality=70, exif=exif)
    return out.getvalue()


def _point(rng: random.Random, unit_id: int) -> tuple[float, float]:
    area = Area.objects.get(admin_unit_id=unit_id)
    for _ in range(200):
        lat = rng.uniform(area.min_lat, area.max_lat)
        lng = rng.uniform(area.min_lng, area.max_lng)
        if geo.unit_at(lat, lng) == unit_id:
            return round(lat, 6), round(lng, 6)
    point = geo.representative_point(unit_id)
    assert point is not None
    return point


def _leader(agency: Agency) -> User | None:
    grant = RoleGrant.objects.filter(agency=agency, role=Role.LEADER).order_by("id").first()
    return grant.user if grant else None


def _handler(agency: Agency) -> User | None:
    grant = (
        RoleGrant.objects.filter(agency=agency, role=Role.SPECIALIST).order_by("id").first()
        or RoleGrant.objects.filter(agency=agency, role=Role.LEADER).order_by("id").first()
    )
    return grant.user if grant else None


def configure(out) -> bool:
    admin = User.objects.filter(username="admin").first()
    centre_agency = Agency.objects.filter(code="H99.01").first()
    if admin is None or centre_agency is None:
        return False
    services.set_centre(
        actor=admin, agency=centre_agency, jurisdiction_id="songlam.example", reopen_days=7
    )
    tiers = {
        code: services.save_tier(actor=admin, code=code, name=name, workdays=days)
        for code, name, days in TIERS
    }
    geojson = json.loads(DATA.read_text())
    services.import_areas(actor=admin, geojson=geojson)
    geo.forget()
    for order, (code, name, tier, radius, notice, group, route) in enumerate(CATEGORIES):
        category = services.save_category(
            actor=admin,
            code=code,
            name=name,
            tier=tiers[tier],
            notice=notice,
            group=group,
            description=name,
            keywords=code.replace("-", " "),
            duplicate_radius_m=radius,
            attributes=ATTRIBUTES.get(code),
            order=order,
        )
        if route:
            agency = Agency.objects.filter(code=route).first()
            if agency is not None:
                services.set_route(actor=admin, agency=agency, category=category)
    for unit in AdministrativeUnit.objects.filter(
        level=AdministrativeUnit.Level.COMMUNE, feedback_area__isnull=False
    ):
        agency = Agency.objects.filter(admin_unit=unit, status=Agency.Status.ACTIVE).first()
        if agency is not None:
            services.set_route(actor=admin, agency=agency, admin_unit=unit)
    _key, key = services.issue_open311_key(actor=admin, name="Ứng dụng Sông Lam Smart (demo)")
    out.write(f"  Open311 api_key (demo): {key}")
    return True


def load(step) -> None:
    if Report.objects.exists():
        return
    if not configure(step):
        return
    rng = random.Random(1022)
    citizens = list(User.objects.filter(username__in=CITIZENS).order_by("username"))
    centre_user = User.objects.filter(username="lanhdao.vpubnd").first()
    if not citizens or centre_user is None:
        return
    units = list(Area.objects.values_list("admin_unit_id", flat=True).order_by("admin_unit_id"))
    categories = {c.code: c for c in Category.objects.all()}
    now = timezone.now()
    made: list[Report] = []
    skipped = 0
    with override_settings(FEEDBACK_SUBMIT_RATE="100000/hour"):
        for i in range(REPORTS):
            code = rng.choice(list(TEXTS))
            unit = units[i % len(units)] if i < 48 else rng.choice(units[:6])
            lat, lng = _point(rng, unit)
            photos = [_photo(rng, (lat, lng) if i % 9 == 0 else None)] if i % 3 == 0 else []
            # the oldest third was sent weeks ago (their deadlines have passed)
            when = now - timedelta(days=rng.randint(12, 40)) if i % 3 == 1 else now
            use_gps_of_photo = i % 9 == 0
            try:
                report = services.submit_report(
                    actor=citizens[i % len(citizens)],
                    category=code,
                    description=rng.choice(TEXTS[code]),
                    lat=None if use_gps_of_photo else lat,
                    lng=None if use_gps_of_photo else lng,
                    address=f"Tổ {rng.randint(1, 12)}, thôn {rng.randint(1, 8)}",
                    photos=photos,
                    attributes={"muc_do": "nang"} if code == "giao-thong" else None,
                    device_id=f"demo-{i % 7}",
                    now=when,
                )
            except DomainError:
                skipped += 1
                continue
            made.append(report)
    # The loader sent these for the citizens in a moment: their own hourly limit starts
    # afresh, so that a citizen of the demo can report at once (it answered 429 before).
    for citizen in citizens:
        ratelimit.reset("feedback_submit", f"u{citizen.pk}", services.submit_rate())
    counts: dict[str, int] = {}
    for i, report in enumerate(made):
        try:
            _walk(i, report, centre_user, citizens, made, categories, now, rng)
        except DomainError as err:
            skipped += 1
            if skipped <= 3:
                step.write(f"  (bỏ qua một bước mẫu: {err.code})")
        report.refresh_from_db()
        counts[report.state] = counts.get(report.state, 0) + 1
    escalated = services.escalate_overdue()
    summary = ", ".join(f"{ReportState(k).label}: {v}" for k, v in sorted(counts.items()))
    step.write(
        f"  phản ánh hiện trường: {len(made)} ({summary}); {escalated} quá hạn báo trung tâm"
    )


def _walk(i, report, centre_user, citizens, made, categories, now, rng) -> None:
    """Move report number i along a path that depends on i (several states)."""
    kind = i % 12
    if kind == 0:
        return  # waits for triage
    if kind == 1 and i > 12:
        services.act(actor=centre_user, report=report, action="merge", original=made[i - 12].code)
        return
    if kind == 2:
        services.act(
            actor=centre_user,
            report=report,
            action="reject",
            reason="Nội dung không thuộc phạm vi phản ánh hiện trường (khiếu nại cá nhân).",
        )
        return
    if kind == 3:
        new = "rac-thai" if report.category.code != "rac-thai" else "ngap-ung"
        services.act(actor=centre_user, report=report, action="recategorise", category=new)
    services.act(actor=centre_user, report=report, action="accept", note="")
    report.refresh_from_db()
    agency = report.agency
    leader = _leader(agency)
    handler = _handler(agency)
    if leader is None or handler is None:
        return
    if kind in (4, 5):
        return  # routed, not yet taken up (some are overdue)
    services.act(actor=leader, report=report, action="assign", assignee=str(handler.uid), note="")
    if kind == 6:
        return  # in progress
    reporter = report.reporter
    if kind == 7:
        services.act(
            actor=handler,
            report=report,
            action="request_info",
            text="Đề nghị cho biết chính xác số nhà hoặc mốc gần nhất.",
        )
        return
    if kind == 8:
        others = Agency.objects.filter(code="H99.05").exclude(pk=agency.pk).first()
        if others is not None:
            services.act(
                actor=handler,
                report=report,
                action="transfer",
                agency=others.code,
                reason="Tuyến đường do tỉnh quản lý.",
            )
        return
    answer = rng.choice(
        [
            "Đơn vị đã cử người kiểm tra và khắc phục xong trong ngày.",
            "Đã phối hợp với công ty môi trường thu gom, xử lý; sẽ tăng tần suất kiểm tra.",
            "Đã sửa chữa, thay thế thiết bị hư hỏng.",
        ]
    )
    photos = [_photo(rng)] if i % 2 == 0 else []
    services.act(actor=handler, report=report, action="answer", text=answer, photos=photos)
    if kind == 9 and reporter is not None:
        services.act(
            actor=reporter, report=report, action="rate", rating=rng.choice([4, 5, 5]), note=""
        )
    elif kind == 10 and reporter is not None:
        services.act(
            actor=reporter,
            report=report,
            action="reopen",
            reason="Mới sửa tạm, sau trận mưa lại hỏng như cũ.",
        )
    elif kind == 11 and reporter is not None:
        services.act(actor=reporter, report=report, action="rate", rating=2, note="Xử lý chậm.")
        services.act(
            actor=centre_user,
            report=report,
            action="hide",
            reason="Có thông tin cá nhân trong nội dung.",
        )
