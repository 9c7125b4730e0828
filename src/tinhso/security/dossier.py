"""Drafts of the level dossier (hồ sơ đề xuất cấp độ, Decree 85/2016 art. 15), filled from
the registry: the overall description, the design document, the explanation of the
proposed level against the criteria, and the security plan for that level (plus the
security unit's opinion for levels 4–5). Written as DOCX (WordprocessingML, no template
engine needed) or PDF (reportlab with the vendored DejaVu fonts).

Each document is a list of blocks — ("h", text), ("p", text), ("table", rows) — built
once by `blocks()` and written by either writer, so both formats say the same thing.
"""

from __future__ import annotations

import io
import zipfile
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils import timezone

from tinhso.security.models import DossierDocument, InformationSystem, LevelCriterion

K = DossierDocument.Kind
KINDS = [K.DESCRIPTION, K.DESIGN, K.LEVEL, K.PLAN]

# Controls expected per level (domain/security.md: typical controls at levels 2–3).
CONTROLS = {
    1: ["Quản lý tài khoản và phân quyền người dùng", "Sao lưu dữ liệu định kỳ"],
    2: [
        "Ghi nhật ký tập trung, lưu trữ theo thời hạn quy định",
        "Xác thực mạnh (nhiều yếu tố) cho quản trị viên",
        "Phân quyền theo vai trò",
        "Mã hóa kênh truyền (TLS)",
        "Sao lưu và diễn tập khôi phục",
        "Cập nhật bản vá định kỳ",
        "Phòng chống mã độc tập trung",
    ],
    3: [
        "Phát hiện và ngăn chặn xâm nhập (IDS/IPS)",
        "Tường lửa ứng dụng web (WAF)",
        "Kiểm tra, đánh giá an toàn thông tin trước khi đưa vào vận hành",
        "Giám sát an toàn thông tin tập trung, kết nối hệ thống giám sát quốc gia",
    ],
}


def controls_for(level: int) -> list[str]:
    found: list[str] = []
    for lvl in range(1, min(level, 3) + 1):
        found.extend(CONTROLS[lvl])
    return found


def _yes(value: bool) -> str:
    return "Có" if value else "Không"


def _level(value: int | None) -> str:
    return f"Cấp độ {value}" if value else "Chưa xác định"


def _info_rows(system: InformationSystem) -> list[list[str]]:
    return [
        ["Tên hệ thống", system.name],
        ["Mã hệ thống", system.code],
        ["Chủ quản", system.owner.name],
        ["Đơn vị vận hành", system.operator or "—"],
        ["Mục đích, chức năng", system.purpose or "—"],
        ["Dữ liệu xử lý", system.data_held or "—"],
        [
            "Dữ liệu cá nhân",
            f"{_yes(system.holds_personal_data)}"
            + (
                f" (khoảng {system.personal_data_subjects:,} người)".replace(",", ".")
                if system.holds_personal_data
                else ""
            ),
        ],
        [
            "Người sử dụng",
            f"{system.users or '—'} ({system.user_count:,} tài khoản)".replace(",", "."),
        ],
        [
            "Vận hành từ",
            f"{system.in_operation_since:%d/%m/%Y}" if system.in_operation_since else "—",
        ],
        ["Cấp độ đề xuất", _level(system.proposed_level)],
    ]


def blocks(system: InformationSystem, kind: str) -> tuple[str, list[tuple]]:
    from tinhso.security.services import suggested_level

    province = getattr(settings, "TINHSO_PROVINCE_NAME", "")
    level = system.approved_level or system.proposed_level or 1
    title = str(DossierDocument.Kind(kind).label).upper()
    out: list[tuple] = [
        ("p", system.owner.name.upper()),
        ("p", f"{province} — ngày {timezone.localdate():%d/%m/%Y}"),
        ("title", title),
        ("p", f"Hệ thống: {system.name} ({system.code})"),
        (
            "p",
            "Bản dự thảo do tinhso lập từ sổ đăng ký hệ thống thông tin; "
            "cơ quan chủ quản rà soát, bổ sung trước khi trình thẩm định.",
        ),
    ]
    if kind == K.DESCRIPTION:
        out += [
            ("h", "1. Thông tin chung"),
            ("table", _info_rows(system)),
            ("h", "2. Phạm vi, quy mô"),
            (
                "p",
                f"Hệ thống phục vụ {system.users or 'người dùng'}, với khoảng "
                f"{system.user_count:,} tài khoản.".replace(",", "."),
            ),
            ("h", "3. Mô hình bảo đảm an toàn thông tin 4 lớp"),
            (
                "table",
                [
                    ["Lớp 1: lực lượng tại chỗ", _yes(system.layer_onsite)],
                    ["Lớp 2: giám sát, bảo vệ chuyên nghiệp", _yes(system.layer_monitoring)],
                    ["Lớp 3: kiểm tra, đánh giá độc lập", _yes(system.layer_assessment)],
                    ["Lớp 4: kết nối hệ thống giám sát quốc gia", _yes(system.layer_national)],
                ],
            ),
        ]
    elif kind == K.DESIGN:
        out += [
            ("h", "1. Thông tin hệ thống"),
            ("table", _info_rows(system)[:4]),
            ("h", "2. Thiết kế"),
            (
                "p",
                "Hồ sơ thiết kế sơ bộ (hệ thống xây dựng mới, nâng cấp) hoặc thiết kế "
                "thi công đã được phê duyệt (hệ thống đang vận hành) kèm theo.",
            ),
            ("p", f"Mục đích, chức năng: {system.purpose or '—'}"),
            ("p", f"Dữ liệu xử lý: {system.data_held or '—'}"),
        ]
    elif kind == K.LEVEL:
        suggested, held = suggested_level(
            criteria=system.criteria,
            holds_personal_data=system.holds_personal_data,
            personal_data_subjects=system.personal_data_subjects,
        )
        rows = [["Tiêu chí", "Điều", "Cấp độ"]]
        rows += [[c.text, c.article, str(c.level)] for c in held] or [["(không có)", "", "1"]]
        out += [
            ("h", "1. Hệ thống"),
            ("table", _info_rows(system)),
            ("h", "2. Tiêu chí xác định cấp độ (Nghị định 85/2016/NĐ-CP, Điều 7–11)"),
            ("table", rows),
            (
                "p",
                f"Theo các tiêu chí trên, hệ thống thuộc cấp độ {suggested}. "
                f"Cơ quan chủ quản đề xuất: {_level(system.proposed_level)}.",
            ),
        ]
    elif kind == K.PLAN:
        out += [
            ("h", f"1. Yêu cầu bảo đảm an toàn thông tin ở {_level(level).lower()}"),
            ("table", [[str(i), c] for i, c in enumerate(controls_for(level), 1)]),
            ("h", "2. Tổ chức thực hiện theo mô hình 4 lớp"),
            ("p", f"Lực lượng tại chỗ: {system.operator or system.owner.name}."),
            (
                "p",
                "Giám sát, bảo vệ chuyên nghiệp: Trung tâm giám sát an toàn thông tin của "
                "tỉnh (tinhso), tiếp nhận cảnh báo từ Wazuh, tường lửa, phòng chống mã độc.",
            ),
            ("p", "Kiểm tra, đánh giá độc lập: định kỳ, do tổ chức độc lập với lớp 2 thực hiện."),
            (
                "p",
                "Kết nối, chia sẻ thông tin với hệ thống giám sát quốc gia: báo cáo định kỳ "
                "và báo cáo sự cố theo quy định.",
            ),
        ]
    elif kind == K.OPINION:
        out += [
            ("h", "Ý kiến chuyên môn của đơn vị chuyên trách về an toàn thông tin"),
            ("table", _info_rows(system)),
            ("p", "Đơn vị chuyên trách ghi ý kiến về sự phù hợp của cấp độ đề xuất."),
        ]
    return title, out


# ---------------------------------------------------------------------------------------
# DOCX

_CT = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.wordprocessingml.document.main+xml"/>'
    '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-'
    'package.core-properties+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
    'relationships/metadata/core-properties" Target="docProps/core.xml"/>'
    "</Relationships>"
)
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _run(text: str, *, bold: bool = False, size: int = 26) -> str:
    props = f'<w:rPr><w:rFonts w:ascii="Times New Roman" w:hAnsi="Times New Roman"/>{"<w:b/>" if bold else ""}<w:sz w:val="{size}"/></w:rPr>'
    return f'<w:r>{props}<w:t xml:space="preserve">{escape(text)}</w:t></w:r>'


def _para(text: str, *, bold: bool = False, size: int = 26, center: bool = False) -> str:
    align = '<w:pPr><w:jc w:val="center"/></w:pPr>' if center else ""
    return f"<w:p>{align}{_run(text, bold=bold, size=size)}</w:p>"


def _table(rows: list[list[str]]) -> str:
    border = "".join(
        f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
        for side in ("top", "left", "bottom", "right", "insideH", "insideV")
    )
    body = "".join(
        "<w:tr>" + "".join(f"<w:tc>{_para(str(cell))}</w:tc>" for cell in row) + "</w:tr>"
        for row in rows
    )
    return f'<w:tbl><w:tblPr><w:tblW w:w="5000" w:type="pct"/><w:tblBorders>{border}</w:tblBorders></w:tblPr>{body}</w:tbl>'


def to_docx(title: str, items: list[tuple]) -> bytes:
    parts = []
    for kind, value in items:
        if kind == "title":
            parts.append(_para(value, bold=True, size=30, center=True))
        elif kind == "h":
            parts.append(_para(value, bold=True))
        elif kind == "table":
            parts.append(_table(value))
        else:
            parts.append(_para(value))
    document = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="{_W}">'
        f'<w:body>{"".join(parts)}<w:sectPr><w:pgSz w:w="11906" w:h="16838"/>'
        '<w:pgMar w:top="1134" w:right="1134" w:bottom="1134" w:left="1701" w:header="720" '
        'w:footer="720" w:gutter="0"/></w:sectPr></w:body></w:document>'
    )
    core = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
        'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<dc:title>{escape(title)}</dc:title><dc:creator>tinhso</dc:creator></cp:coreProperties>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in (
            ("[Content_Types].xml", _CT),
            ("_rels/.rels", _RELS),
            ("word/document.xml", document),
            ("docProps/core.xml", core),
        ):
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return buffer.getvalue()


def docx_text(data: bytes) -> str:
    """The text of a DOCX we wrote (tests, search)."""
    import re

    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        xml = zf.read("word/document.xml").decode()
    from xml.sax.saxutils import unescape

    return unescape(" ".join(re.findall(r"<w:t[^>]*>([^<]*)</w:t>", xml)))


# ---------------------------------------------------------------------------------------
# PDF


def to_pdf(title: str, items: list[tuple]) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from tinhso.core.pdf import register_reportlab_fonts

    register_reportlab_fonts()
    body = ParagraphStyle("body", fontName="Serif", fontSize=11, leading=15)
    head = ParagraphStyle("head", parent=body, fontName="Serif-Bold", spaceBefore=8)
    big = ParagraphStyle("title", parent=head, fontSize=14, alignment=1, spaceAfter=8)
    flow = []
    width = A4[0] - 50 * mm
    for kind, value in items:
        if kind == "title":
            flow.append(Paragraph(escape(value), big))
        elif kind == "h":
            flow.append(Paragraph(escape(value), head))
        elif kind == "table":
            cols = max(len(r) for r in value)
            widths = [width * 0.35, width * 0.65] if cols == 2 else [width / cols] * cols
            if cols == 3:
                widths = [width * 0.7, width * 0.15, width * 0.15]
            table = Table(
                [[Paragraph(escape(str(c))[:3000], body) for c in row] for row in value],
                colWidths=widths,
            )
            table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black)]))
            flow.append(table)
        else:
            flow.append(Paragraph(escape(value), body))
        flow.append(Spacer(1, 3))
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, title=title, author="tinhso", leftMargin=30 * mm, rightMargin=20 * mm
    )
    doc.build(flow)
    return buffer.getvalue()


def render(system: InformationSystem, kind: str, fmt: str) -> bytes:
    title, items = blocks(system, kind)
    return to_docx(title, items) if fmt == "docx" else to_pdf(title, items)


def criterion_rows() -> list[LevelCriterion]:
    return list(LevelCriterion.objects.order_by("order"))
