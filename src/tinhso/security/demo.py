"""Demo data of the security app, loaded by `tinhso demo` through the app's services.

The province's systems in the registry (tinhso's own public-service portal and one-stop
system at level 3 with their dossier drafts, the departments' systems at levels 2 and 3),
the sensors and the ranges that attribute events to agencies, a day of Wazuh alerts
through the same intake the sensors use, tinhso's own failed logins, and incidents worked
by the centre's analyst (one closed with evidence). Running it twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.utils import timezone

from tinhso.accounts.models import User
from tinhso.directory.models import Agency
from tinhso.security import intake, services
from tinhso.security.models import Alert, AssetRange, InformationSystem, Source
from tinhso.security.parsing import from_json

# (agency code, system code, name, criteria, personal data subjects, users, approved)
SYSTEMS = [
    ("H99.03", "STC-NS", "Phần mềm quản lý ngân sách tỉnh", ["internal-private"], 0, 180, True),
    ("H99.03", "STC-TS", "Cơ sở dữ liệu tài sản công", ["internal-private"], 0, 90, True),
    (
        "H99.07",
        "SYT-HSSK",
        "Hệ thống hồ sơ sức khỏe điện tử",
        ["internal-private"],
        850_000,
        2400,
        True,
    ),
    (
        "H99.07",
        "SYT-BV",
        "Phần mềm quản lý bệnh viện tỉnh",
        ["internal-private"],
        120_000,
        900,
        True,
    ),
    (
        "H99.08",
        "SGD-CSDL",
        "Cơ sở dữ liệu ngành giáo dục",
        ["internal-private"],
        310_000,
        5200,
        True,
    ),
    (
        "H99.08",
        "SGD-QLVB",
        "Phần mềm quản lý văn bản ngành giáo dục",
        ["internal-private"],
        0,
        700,
        True,
    ),
    ("H99.10", "SKHCN-IDC", "Trung tâm dữ liệu tỉnh", ["shared-infrastructure"], 0, 60, True),
    (
        "H99.10",
        "SKHCN-LGSP",
        "Nền tảng tích hợp, chia sẻ dữ liệu (LGSP)",
        ["shared-infrastructure"],
        0,
        40,
        True,
    ),
    (
        "H99.02",
        "SNV-CBCC",
        "Cơ sở dữ liệu cán bộ, công chức, viên chức",
        ["internal-private"],
        9_500,
        120,
        True,
    ),
    ("H99.04", "STP-HT", "Phần mềm đăng ký, quản lý hộ tịch", ["internal-private"], 0, 300, True),
    ("H99.05", "SXD-CPXD", "Phần mềm cấp phép xây dựng", ["online-service-l2"], 0, 80, True),
    ("H99.06", "SNN-DD", "Cơ sở dữ liệu đất đai", ["internal-private"], 0, 150, False),
    (
        "H99.09",
        "SCT-TM",
        "Cổng thông tin xúc tiến thương mại",
        ["internal-public-only"],
        0,
        20,
        True,
    ),
    ("H99.11", "SVH-DL", "Cổng thông tin du lịch tỉnh", ["internal-public-only"], 0, 15, True),
    (
        "H99.14",
        "TTR-KNTC",
        "Phần mềm quản lý khiếu nại, tố cáo",
        ["internal-private"],
        4_000,
        60,
        False,
    ),
    ("H99.15", "BQL-DT", "Phần mềm quản lý dự án đầu tư", ["internal-private"], 0, 40, True),
]

AGENTS = {  # agency code -> (agent name prefix, IP range)
    "H99.01": ("vpubnd-", "10.1.0.0/16"),
    "H99.02": ("snv-", "10.2.0.0/16"),
    "H99.03": ("stc-", "10.3.0.0/16"),
    "H99.04": ("stp-", "10.4.0.0/16"),
    "H99.05": ("sxd-", "10.5.0.0/16"),
    "H99.06": ("snn-", "10.6.0.0/16"),
    "H99.07": ("syt-", "10.7.0.0/16"),
    "H99.08": ("sgd-", "10.8.0.0/16"),
    "H99.09": ("sct-", "10.9.0.0/16"),
    "H99.10": ("skhcn-", "10.10.0.0/16"),
    "H99.11": ("svh-", "10.11.0.0/16"),
    "H99.16": ("ttpvhcc-", "10.16.0.0/16"),
}


def _wazuh(
    n: int,
    *,
    at: dt.datetime,
    level: int,
    rule_id: str,
    description: str,
    groups: list[str],
    agent: str,
    ip: str,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A Wazuh 4.x alert as the manager's integrator hands it to `custom-tinhso`."""
    return {
        "timestamp": at.strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
        "rule": {
            "level": level,
            "description": description,
            "id": rule_id,
            "firedtimes": 1,
            "mail": level >= 12,
            "groups": groups,
        },
        "agent": {"id": f"{100 + n % 400:03d}", "name": agent, "ip": ip},
        "manager": {"name": "wazuh-manager.songlam.gov.vn"},
        "id": f"{int(at.timestamp())}.{1000 + n}",
        "decoder": {"name": groups[1] if len(groups) > 1 else "json"},
        "location": "/var/log/auth.log" if "sshd" in groups else "EventChannel",
        "full_log": description,
        "data": data or {},
    }


def _alerts(now: dt.datetime) -> list[dict[str, Any]]:
    alerts = []
    n = 0

    def add(**kwargs: Any) -> None:
        nonlocal n
        n += 1
        alerts.append(_wazuh(n, **kwargs))

    for minute in range(12):  # an SSH brute force against the finance portal
        add(
            at=now - dt.timedelta(hours=3, minutes=40 - minute),
            level=10,
            rule_id="5712",
            description="sshd: brute force trying to get access to the system. Non existent user.",
            groups=["syslog", "sshd", "authentication_failures"],
            agent="stc-web-01",
            ip="10.3.1.15",
            data={"srcip": "203.0.113.77", "srcuser": f"user{minute}"},
        )
    add(
        at=now - dt.timedelta(hours=2),
        level=12,
        rule_id="510",
        description="Trojaned version of file detected (rootcheck).",
        groups=["ossec", "rootcheck", "malware"],
        agent="syt-pc-112",
        ip="10.7.8.112",
    )
    for i, code in enumerate(["sgd", "snv", "sxd", "svh"]):  # connections to a C2 server
        add(
            at=now - dt.timedelta(hours=1, minutes=10 * i),
            level=11,
            rule_id="100201",
            description="Kết nối tới máy chủ điều khiển mã độc (danh sách chặn quốc gia).",
            groups=["ids", "suricata", "malicious_ip"],
            agent=f"{code}-pc-{20 + i}",
            ip=f"10.{[8, 2, 5, 11][i]}.4.{20 + i}",
            data={"srcip": f"10.{[8, 2, 5, 11][i]}.4.{20 + i}", "dstip": "198.51.100.23"},
        )
    for i in range(25):  # a scan from outside, dropped by the firewall
        add(
            at=now - dt.timedelta(minutes=30, seconds=-i),
            level=5,
            rule_id="4101",
            description="Firewall drop event.",
            groups=["firewall", "firewall_drop"],
            agent="skhcn-fw-01",
            ip="10.10.0.1",
            data={"srcip": "192.0.2.200", "dstport": str(20 + i)},
        )
    for i in range(6):  # routine notices
        add(
            at=now - dt.timedelta(minutes=90 + i),
            level=3,
            rule_id="5402",
            description="Successful sudo to ROOT executed.",
            groups=["syslog", "sudo"],
            agent=f"ttpvhcc-srv-0{i % 3}",
            ip=f"10.16.0.{10 + i}",
        )
    return alerts


def load(step) -> None:
    if InformationSystem.objects.filter(code="TINHSO-DVC").exists():
        step.write("  giám sát an toàn: đã có")
        return
    admin = User.objects.get(username="admin")
    agencies = {a.code: a for a in Agency.objects.filter(status=Agency.Status.ACTIVE)}
    vpubnd, skhcn = agencies["H99.01"], agencies["H99.10"]
    operator = f"Trung tâm Công nghệ thông tin và Truyền thông ({skhcn.name})"

    # tinhso itself: two level-3 systems with their dossier drafts (Decree 85 art. 15).
    common: dict[str, Any] = dict(
        operator=operator,
        holds_personal_data=True,
        personal_data_subjects=1_200_000,
        users="Công dân, doanh nghiệp, cán bộ, công chức của tỉnh",
        in_operation_since=dt.date(2025, 7, 1),
        layer_onsite=True,
        layer_monitoring=True,
        layer_national=True,
    )
    portal = services.save_system(
        actor=admin,
        owner=vpubnd,
        code="TINHSO-DVC",
        name="Cổng dịch vụ công trực tuyến tỉnh (tinhso)",
        purpose="Cung cấp dịch vụ công trực tuyến toàn trình và một phần; tra cứu, thanh toán, "
        "nhận kết quả điện tử.",
        data_held="Hồ sơ thủ tục hành chính, giấy tờ, thông tin định danh của công dân và "
        "doanh nghiệp.",
        user_count=1_200_000,
        criteria=["online-service-l3", "shared-infrastructure"],
        **common,
    )
    onestop = services.save_system(
        actor=admin,
        owner=vpubnd,
        code="TINHSO-MOTCUA",
        name="Hệ thống thông tin giải quyết thủ tục hành chính (một cửa điện tử, tinhso)",
        purpose="Tiếp nhận, luân chuyển, xử lý hồ sơ thủ tục hành chính; trả kết quả.",
        data_held="Hồ sơ thủ tục hành chính và kết quả giải quyết; dữ liệu cá nhân của người nộp.",
        user_count=3_500,
        criteria=["online-service-l3"],
        **common,
    )
    for system in (portal, onestop):
        services.generate_dossier(actor=admin, system=system, fmt="docx")
        services.generate_dossier(actor=admin, system=system, fmt="pdf")
        services.record_assessment(
            actor=admin,
            system=system,
            assessor="Trung tâm kiểm định an toàn thông tin (đơn vị độc lập, giả định)",
            assessed_on=dt.date(2025, 6, 10),
            result="findings",
            findings="Bật tường lửa ứng dụng web cho trang quản trị; diễn tập khôi phục sao lưu "
            "hằng quý.",
            next_due_on=dt.date(2026, 6, 10),
        )
        services.propose_level(actor=admin, system=system, level=3)
        services.approve_level(
            actor=admin,
            system=system,
            level=3,
            decision_number=f"{'1125' if system == portal else '1126'}/QĐ-UBND",
            decision_date=dt.date(2025, 6, 25),
        )

    # The departments' systems.
    today = timezone.localdate()
    for index, (code, sys_code, name, criteria, subjects, users, approved) in enumerate(SYSTEMS):
        owner = agencies.get(code)
        if owner is None:
            continue
        system = services.save_system(
            actor=admin,
            owner=owner,
            code=sys_code,
            name=name,
            operator=owner.name,
            purpose=name,
            holds_personal_data=subjects > 0,
            personal_data_subjects=subjects,
            users=f"Cán bộ {owner.name}",
            user_count=users,
            criteria=criteria,
            layer_onsite=True,
            layer_monitoring=index % 3 != 0,
            layer_national=index % 2 == 0,
        )
        if approved:
            level = system.proposed_level or 2
            services.propose_level(actor=admin, system=system, level=level)
            decided = today - dt.timedelta(days=700 - 40 * index)
            services.approve_level(
                actor=admin,
                system=system,
                level=level,
                decision_number=f"{300 + index}/QĐ-UBND",
                decision_date=decided,
            )

    # Sensors and attribution.
    wazuh, token = services.create_source(actor=admin, name="wazuh-tinh", kind="wazuh")
    services.create_source(actor=admin, name="syslog-tuong-lua", kind="syslog", addresses="")
    for code, (prefix, network) in AGENTS.items():
        agency = agencies.get(code)
        if agency is None:
            continue
        services.save_range(
            actor=admin, kind=AssetRange.Kind.AGENT_NAME, value=prefix, agency=agency
        )
        services.save_range(
            actor=admin, kind=AssetRange.Kind.IP_RANGE, value=network, agency=agency
        )
    finance = InformationSystem.objects.get(code="STC-NS")
    services.save_range(
        actor=admin,
        kind=AssetRange.Kind.AGENT_NAME,
        value="stc-web-",
        agency=finance.owner,
        system=finance,
    )
    services.save_range(
        actor=admin, kind=AssetRange.Kind.HOST, value="tinhso", agency=vpubnd, system=portal
    )
    intake.forget_tables()

    # A day of alerts, through the intake the sensors use.
    now = timezone.now()
    items = [from_json(a, json.dumps(a, ensure_ascii=False)) for a in _alerts(now)]
    result = intake.ingest(source=wazuh, items=items)
    for n in range(10):  # someone guessing a citizen's password on the portal
        services.record_internal(
            kind="login_failed" if n < 5 else "login_locked",
            user_name="congdan.binh",
            ip="198.51.100.61",
            detail="congdan.binh",
        )

    # The centre works the alerts.
    malware = Alert.objects.filter(rule__code="malware").first()
    syt_admin = User.objects.filter(username="quantri.syt").first()
    if malware is not None:
        incident = services.open_incident(
            actor=admin,
            title="Mã độc trên máy trạm Sở Y tế",
            severity="",
            alerts=[malware],
            description="Wazuh phát hiện tệp bị thay thế (trojan) trên máy trạm syt-pc-112.",
            assignee=syt_admin,
        )
        services.transition_incident(actor=admin, incident=incident, action="start")
        services.add_note(
            actor=admin, incident=incident, text="Đã yêu cầu cách ly máy khỏi mạng nội bộ."
        )
    login_alert = Alert.objects.filter(rule__code="failed-login-burst").first()
    if login_alert is not None:
        incident = services.open_incident(
            actor=admin,
            title="Dò mật khẩu tài khoản công dân trên cổng dịch vụ công",
            severity="",
            alerts=[login_alert],
            assignee=admin,
        )
        services.transition_incident(
            actor=admin,
            incident=incident,
            action="close",
            resolution="Tài khoản đã bị chặn tự động; địa chỉ 198.51.100.61 đã đưa vào danh sách "
            "chặn của tường lửa; đã thông báo chủ tài khoản.",
            evidence=(
                "nhat-ky-dang-nhap.txt",
                "\n".join(
                    f"{now:%Y-%m-%d} congdan.binh 198.51.100.61 login failed #{i + 1}"
                    for i in range(10)
                ).encode(),
            ),
        )
    c2 = list(Alert.objects.filter(rule__code="malicious-connection"))
    if c2:
        services.open_incident(
            actor=admin,
            title="Nhiều máy trạm kết nối tới máy chủ điều khiển mã độc 198.51.100.23",
            severity="high",
            alerts=c2,
            agency=vpubnd,
            description="Kết nối từ máy trạm của nhiều sở; cần rà soát và báo cáo.",
        )
    step.write(
        f"  giám sát an toàn: {InformationSystem.objects.count()} hệ thống, "
        f"{result.accepted} sự kiện Wazuh, {Alert.objects.count()} cảnh báo; "
        f"mã nguồn wazuh-tinh: {token[:8]}… (cấp mới ở /security/cau-hinh/)"
    )
    Source.objects.filter(pk=wazuh.pk).update(last_event_at=now)
