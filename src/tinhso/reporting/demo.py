"""Demo data of the reporting app, loaded by `tinhso demo` through the app's services.

Two report definitions of the demo province's People's Committee (UBND tỉnh, H99): the
monthly socio-economic report of the departments and the quarterly digital-transformation
report of the departments and communes. For four departments (Sở Tài chính, Sở Khoa học
và Công nghệ, Sở Nội vụ, Sở Tư pháp) the officers (`chuyenvien.<slug>`) fill the last
periods, their leaders (`lanhdao.<slug>`) approve and sign them (the demo certificates of
signing/demo.py); one report is returned for correction by `lanhdao.ubnd`, one waits for
its leader. The 766 index and the KPIs need no data of their own: they are computed from
the one-stop and documents demo data. Idempotent: nothing is done twice.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from tinhso.accounts.models import User
from tinhso.core.errors import DomainError
from tinhso.core.progress import report_progress
from tinhso.directory import selectors as directory
from tinhso.reporting import periods, services
from tinhso.reporting.models import Aggregation, Frequency, ReportDefinition, ValueType
from tinhso.reporting.services import IndicatorSpec as Spec

KTXH = [
    Spec(
        "KT01",
        "Thu ngân sách nhà nước trên địa bàn",
        "triệu đồng",
        ValueType.INTEGER,
        Aggregation.SUM,
        0,
    ),
    Spec(
        "KT02",
        "Kế hoạch vốn đầu tư công được giao",
        "tỷ đồng",
        ValueType.DECIMAL,
        Aggregation.SUM,
        0,
    ),
    Spec("KT03", "Vốn đầu tư công đã giải ngân", "tỷ đồng", ValueType.DECIMAL, Aggregation.SUM, 0),
    Spec(
        "KT04",
        "Tỷ lệ giải ngân vốn đầu tư công",
        "%",
        ValueType.PERCENT,
        Aggregation.WEIGHTED,
        weight_code="KT02",
    ),
    Spec(
        "KT05",
        "Doanh nghiệp thành lập mới",
        "doanh nghiệp",
        ValueType.INTEGER,
        Aggregation.SUM,
        0,
        disaggregation="Theo loại hình doanh nghiệp",
    ),
    Spec(
        "KT06",
        "Số cán bộ, công chức của cơ quan",
        "người",
        ValueType.INTEGER,
        Aggregation.NONE,
        0,
        required=False,
    ),
]
CDS = [
    Spec(
        "CDS01",
        "Tỷ lệ hồ sơ công việc xử lý trên môi trường mạng",
        "%",
        ValueType.PERCENT,
        Aggregation.AVERAGE,
    ),
    Spec("CDS02", "Số cán bộ có chữ ký số cá nhân", "người", ValueType.INTEGER, Aggregation.SUM, 0),
    Spec(
        "CDS03",
        "Số lượt truy cập dịch vụ công trực tuyến",
        "lượt",
        ValueType.INTEGER,
        Aggregation.SUM,
        0,
    ),
]
DEPARTMENTS = ["stc", "skhcn", "snv", "stp"]


def _user(username: str) -> User | None:
    return User.objects.filter(username=username).first()


def _agency(code: str):
    try:
        return directory.get_agency(code)
    except DomainError:
        return None


def _values(index: int, month_shift: int) -> dict[str, str]:
    base = 1000 * (index + 1) + 37 * month_shift
    plan = Decimal(120 + 15 * index)
    spent = (plan * Decimal("0.08") * (month_shift + 3)).quantize(Decimal("0.1"))
    return {
        "KT01": str(base * 12),
        "KT02": str(plan),
        "KT03": str(spent),
        "KT04": str((spent * 100 / plan).quantize(Decimal("0.01"))),
        "KT05": str(4 + index + month_shift),
        "KT06": str(40 + 5 * index),
    }


def load(step) -> None:
    admin = _user("admin")
    ubnd = _agency("H99")
    if admin is None or ubnd is None:
        return
    if ReportDefinition.objects.filter(code="KTXH-THANG").exists():
        return
    today = timezone.localdate()
    start = today - timedelta(days=120)
    ktxh = services.create_definition(
        actor=admin,
        code="KTXH-THANG",
        title="Báo cáo tình hình kinh tế - xã hội hằng tháng",
        content="Tình hình thực hiện các chỉ tiêu kinh tế - xã hội của ngành, lĩnh vực trong "
        "tháng; khó khăn, vướng mắc; nhiệm vụ trọng tâm tháng tới.",
        receiver=ubnd,
        frequency=Frequency.MONTHLY,
        reporter_levels=["department"],
        deadline_working_days=3,
        outline="I. Tình hình thực hiện nhiệm vụ trong tháng\nII. Khó khăn, vướng mắc\n"
        "III. Nhiệm vụ trọng tâm tháng tới\nIV. Kiến nghị, đề xuất",
        guidance="Số liệu chốt từ ngày 15 tháng trước đến ngày 14 tháng báo cáo; gửi qua hệ "
        "thống báo cáo của tỉnh, có chữ ký số của lãnh đạo cơ quan.",
        indicators=KTXH,
        valid_from=start,
    )
    services.create_definition(
        actor=admin,
        code="CDS-QUY",
        title="Báo cáo kết quả chuyển đổi số hằng quý",
        content="Kết quả thực hiện Kế hoạch chuyển đổi số của tỉnh trong quý.",
        receiver=ubnd,
        frequency=Frequency.QUARTERLY,
        reporter_levels=["department", "commune"],
        deadline_working_days=5,
        outline="I. Chính quyền số\nII. Kinh tế số\nIII. Xã hội số\nIV. Kiến nghị",
        guidance="Tỷ lệ tính theo hướng dẫn của Sở Khoa học và Công nghệ.",
        indicators=CDS,
        valid_from=start,
    )
    current = periods.period_containing(Frequency.MONTHLY, today)
    last = periods.previous_key(Frequency.MONTHLY, current)
    before = periods.previous_key(Frequency.MONTHLY, last)
    total = len(DEPARTMENTS) * 3
    done = 0
    for index, slug in enumerate(DEPARTMENTS):
        officer, leader = _user(f"chuyenvien.{slug}"), _user(f"lanhdao.{slug}")
        agency = None
        if officer is not None:
            grant = officer.role_grants.select_related("agency").first()
            agency = grant.agency if grant else None
        if officer is None or leader is None or agency is None:
            continue
        for shift, key in enumerate((before, last, current)):
            report_progress(step, done, total)
            done += 1
            sub = services.save_report(
                actor=officer,
                definition=ktxh,
                agency=agency,
                period_key=key,
                values=_values(index, shift),
                narrative=f"Trong kỳ, {agency.name} hoàn thành các nhiệm vụ được giao; tiến độ "
                "giải ngân vốn đầu tư công tiếp tục được đẩy nhanh.",
            )
            if key == current and index == 3:
                continue  # still being drafted
            sub = services.send_for_approval(actor=officer, submission=sub)
            if key == current and index == 2:
                continue  # waiting for the leader
            sub = services.approve_and_submit(actor=leader, submission=sub)
            if key == last and index == 1:
                chairman = _user("lanhdao.ubnd")
                if chairman is not None:
                    services.return_for_correction(
                        actor=chairman,
                        submission=sub,
                        reason="Số liệu giải ngân (KT03) chưa khớp với báo cáo của Kho bạc; "
                        "đề nghị rà soát, gửi lại.",
                    )
    step.write(
        f"  báo cáo: 2 chế độ báo cáo, {ktxh.submissions.count()} báo cáo của "
        f"{len(DEPARTMENTS)} sở (kỳ {before}, {last}, {current})"
    )
