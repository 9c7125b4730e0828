"""The data a centre starts with (all editable): severity bands, Decree 85 criteria,
incident deadlines per severity and the triage rules."""

from django.db import migrations

BANDS = [
    # Wazuh rule.level 0–16 (OSSEC lineage: 0–4 notices, 5–7 user errors and low-relevance
    # attacks, 8–11 first-time-seen and important events, 12–16 high importance, severe).
    ("wazuh", 0, 4, "low"),
    ("wazuh", 5, 7, "medium"),
    ("wazuh", 8, 11, "high"),
    ("wazuh", 12, 16, "critical"),
    ("cef", 0, 3, "low"),
    ("cef", 4, 6, "medium"),
    ("cef", 7, 8, "high"),
    ("cef", 9, 10, "critical"),
]

CRITERIA = [
    # (code, text, level, article)
    ("internal-public-only", "Hệ thống phục vụ nội bộ, chỉ xử lý thông tin công cộng", 1, "Điều 7"),
    (
        "internal-private",
        "Hệ thống phục vụ nội bộ, xử lý thông tin riêng hoặc dữ liệu cá nhân (không có bí mật nhà nước)",
        2,
        "Điều 8",
    ),
    ("online-service-l2", "Cung cấp dịch vụ công trực tuyến mức độ 2 trở xuống", 2, "Điều 8"),
    ("personal-data", "Xử lý dữ liệu cá nhân của dưới 10.000 người", 2, "Điều 8"),
    ("state-secret", "Xử lý thông tin bí mật nhà nước", 3, "Điều 9"),
    (
        "online-service-l3",
        "Cung cấp dịch vụ công trực tuyến mức độ 3 trở lên (toàn trình, một phần)",
        3,
        "Điều 9",
    ),
    ("personal-data-10k", "Xử lý dữ liệu cá nhân của từ 10.000 người trở lên", 3, "Điều 9"),
    ("shared-infrastructure", "Hạ tầng dùng chung của ngành hoặc của tỉnh", 3, "Điều 9"),
    (
        "national-24x7",
        "Hệ thống quốc gia phải vận hành 24/7, không chấp nhận ngừng vận hành không có kế hoạch",
        4,
        "Điều 10",
    ),
    (
        "national-critical",
        "Hệ thống đặc biệt quan trọng đối với quốc phòng, an ninh quốc gia",
        5,
        "Điều 11",
    ),
]

DEADLINES = [
    ("low", "10", False),
    ("medium", "5", False),
    ("high", "2", True),
    ("critical", "1", True),
]

RULES = [
    dict(
        code="failed-login-burst",
        name="Đăng nhập sai nhiều lần cho một tài khoản",
        description="10 lần đăng nhập sai cho cùng một tài khoản trong 5 phút (dò mật khẩu).",
        conditions=[{"field": "groups", "op": "contains", "value": "authentication_failed"}],
        threshold=10,
        window_seconds=300,
        group_by=["user_name"],
        severity="high",
        category="brute_force",
        dedup_seconds=3600,
    ),
    dict(
        code="wazuh-high-level",
        name="Cảnh báo Wazuh mức cao",
        description="Mọi sự kiện Wazuh từ mức 12 trở lên.",
        conditions=[
            {"field": "level", "op": "gte", "value": 12},
            {"field": "format", "op": "in", "value": ["wazuh4", "wazuh5", "cef"]},
        ],
        threshold=1,
        window_seconds=60,
        group_by=["rule_id", "agent_id", "host"],
        severity="",
        category="",
        dedup_seconds=3600,
    ),
    dict(
        code="malware",
        name="Phát hiện mã độc",
        description="Sự kiện thuộc nhóm virus/malware/rootcheck.",
        conditions=[
            {
                "field": "groups",
                "op": "contains_any",
                "value": ["virus", "malware", "rootkit", "virustotal"],
            }
        ],
        threshold=1,
        window_seconds=60,
        group_by=["agent_id", "host"],
        severity="high",
        category="malware",
        dedup_seconds=86400,
    ),
    dict(
        code="malicious-connection",
        name="Kết nối tới máy chủ độc hại",
        description="Kết nối tới địa chỉ trong danh sách độc hại (IDS, danh sách chặn).",
        conditions=[
            {"field": "groups", "op": "contains_any", "value": ["malicious_ip", "blacklist", "c2"]}
        ],
        threshold=1,
        window_seconds=60,
        group_by=["agent_id", "host"],
        severity="high",
        category="malicious_connection",
        dedup_seconds=86400,
    ),
    dict(
        code="scan",
        name="Dò quét từ một địa chỉ",
        description="20 sự kiện dò quét/tường lửa chặn từ cùng một địa chỉ trong 1 phút.",
        conditions=[
            {"field": "groups", "op": "contains_any", "value": ["recon", "firewall_drop", "scan"]}
        ],
        threshold=20,
        window_seconds=60,
        group_by=["src_ip"],
        severity="medium",
        category="recon",
        dedup_seconds=3600,
    ),
    dict(
        code="login-locked",
        name="Tài khoản bị tạm khóa đăng nhập",
        description="Tài khoản tinhso bị chặn đăng nhập do sai nhiều lần.",
        conditions=[{"field": "category", "op": "eq", "value": "login_locked"}],
        threshold=1,
        window_seconds=60,
        group_by=["user_name"],
        severity="medium",
        category="brute_force",
        dedup_seconds=3600,
    ),
    dict(
        code="permission-denied-burst",
        name="Nhiều lần bị từ chối quyền",
        description="20 lần bị từ chối quyền cho một tài khoản trong 10 phút.",
        conditions=[{"field": "category", "op": "eq", "value": "permission_denied"}],
        threshold=20,
        window_seconds=600,
        group_by=["user_name"],
        severity="medium",
        category="access",
        dedup_seconds=3600,
    ),
    dict(
        code="integrity-broken",
        name="Nhật ký hệ thống bị phá vỡ",
        description="Kiểm tra chuỗi nhật ký (audit) hoặc nhật ký nền tảng tích hợp thất bại.",
        conditions=[{"field": "category", "op": "in", "value": ["audit_chain", "gateway_log"]}],
        threshold=1,
        window_seconds=60,
        group_by=["category"],
        severity="critical",
        category="integrity",
        dedup_seconds=86400,
    ),
    dict(
        code="certificate-expiry",
        name="Chứng thư số sắp hết hạn hoặc đã hết hạn",
        description="Quét chứng thư số hằng ngày.",
        conditions=[{"field": "category", "op": "eq", "value": "certificate_expiry"}],
        threshold=1,
        window_seconds=60,
        group_by=["description"],
        severity="",
        category="pki",
        dedup_seconds=7 * 86400,
    ),
    dict(
        code="signature-invalid",
        name="Chữ ký số không hợp lệ",
        description="Một tệp PDF mang chữ ký không hợp lệ (bị sửa sau khi ký, chứng thư thu hồi...).",
        conditions=[{"field": "category", "op": "eq", "value": "signature_invalid"}],
        threshold=1,
        window_seconds=60,
        group_by=["description"],
        severity="medium",
        category="pki",
        dedup_seconds=86400,
    ),
]


def seed(apps, schema_editor):
    SeverityBand = apps.get_model("security", "SeverityBand")
    LevelCriterion = apps.get_model("security", "LevelCriterion")
    IncidentDeadline = apps.get_model("security", "IncidentDeadline")
    Rule = apps.get_model("security", "Rule")
    Source = apps.get_model("security", "Source")
    for scale, lo, hi, severity in BANDS:
        SeverityBand.objects.get_or_create(
            scale=scale, min_level=lo, max_level=hi, defaults={"severity": severity}
        )
    for order, (code, text, level, article) in enumerate(CRITERIA, 1):
        LevelCriterion.objects.update_or_create(
            code=code, defaults={"text": text, "level": level, "article": article, "order": order}
        )
    for severity, days, report in DEADLINES:
        IncidentDeadline.objects.update_or_create(
            severity=severity, defaults={"working_days": days, "must_report": report}
        )
    for rule in RULES:
        Rule.objects.update_or_create(code=rule["code"], defaults=rule)
    Source.objects.get_or_create(name="tinhso", defaults={"kind": "internal"})


class Migration(migrations.Migration):
    dependencies = [("security", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
