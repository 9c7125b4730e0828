"""Digital-transformation KPIs computed from tinhso's own data, never typed.

Each KPI names its formula (shown on the page), its target (the province's plan: over
45 % of dossiers fully online, at least 95 % satisfied, 90/80/60 % of work records handled
online at province/district/commune level; the others are tinhso's defaults, set per
province with the REPORTING_KPI_TARGETS setting), and a drill-down to the rows that did
not count. Figures per agency (with everything below it), per level, per period, and a
monthly trend.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings

from tinhso.core.errors import ValidationFailed
from tinhso.core.replica import replica_reads
from tinhso.documents import selectors as documents
from tinhso.onestop import statistics
from tinhso.reporting.errors import ReportingError as E
from tinhso.reporting.selectors import AgencyNode, agency_nodes


@dataclass(frozen=True)
class KpiDef:
    code: str
    name: str
    formula: str
    target: dict[str, Decimal]  # by level (province/district/commune) or "*"
    target_source: str
    drill: str  # kind of drill-down ("" = none)


def _targets(code: str, default: dict[str, Decimal]) -> dict[str, Decimal]:
    custom = getattr(settings, "REPORTING_KPI_TARGETS", {}).get(code)
    return {k: Decimal(str(v)) for k, v in custom.items()} if custom else default


PLAN = "Kế hoạch chuyển đổi số của tỉnh"
DEFAULT = "Mục tiêu mặc định của tinhso (tỉnh cấu hình lại)"

KPIS: list[KpiDef] = [
    KpiDef(
        "online_full",
        "Hồ sơ xử lý trực tuyến toàn trình",
        "Hồ sơ tiếp nhận trong kỳ nộp trực tuyến của dịch vụ toàn trình / tổng số hồ sơ tiếp "
        "nhận trong kỳ × 100 %.",
        _targets("online_full", {"*": Decimal(45)}),
        PLAN,
        "not_full_online",
    ),
    KpiDef(
        "on_time",
        "Hồ sơ giải quyết đúng hạn",
        "(Hồ sơ có kết quả trong kỳ trước hạn + đúng hạn) / hồ sơ có kết quả trong kỳ × 100 % "
        "(quy tắc của phân hệ một cửa).",
        _targets("on_time", {"*": Decimal(95)}),
        DEFAULT,
        "late",
    ),
    KpiDef(
        "satisfaction",
        "Mức độ hài lòng",
        "(Lượt đánh giá − lượt không hài lòng (1–2 sao)) / lượt đánh giá của hồ sơ có kết quả "
        "trong kỳ × 100 %.",
        _targets("satisfaction", {"*": Decimal(95)}),
        PLAN,
        "not_satisfied",
    ),
    KpiDef(
        "counter_satisfaction",
        "Hài lòng tại quầy (Trung tâm phục vụ hành chính công)",
        "Lượt đánh giá tại quầy trong kỳ hài lòng cả ba tiêu chí (thái độ, thời gian, kết quả) "
        "/ lượt đánh giá tại quầy trong kỳ × 100 %.",
        _targets("counter_satisfaction", {"*": Decimal(95)}),
        PLAN,
        "",
    ),
    KpiDef(
        "payments",
        "Thanh toán trực tuyến",
        "Hồ sơ có phí, lệ phí tiếp nhận trong kỳ đã thanh toán trực tuyến / hồ sơ có phí, lệ "
        "phí tiếp nhận trong kỳ × 100 %.",
        _targets("payments", {"*": Decimal(30)}),
        DEFAULT,
        "not_paid_online",
    ),
    KpiDef(
        "signed",
        "Văn bản đi được ký số",
        "Văn bản đi ban hành trong kỳ có chữ ký số / văn bản đi ban hành trong kỳ × 100 %.",
        _targets("signed", {"*": Decimal(90)}),
        DEFAULT,
        "unsigned",
    ),
    KpiDef(
        "exchanged",
        "Văn bản gửi nhận điện tử",
        "Văn bản đi ban hành trong kỳ gửi qua hệ thống (nội bộ hoặc trục liên thông) / văn bản "
        "đi ban hành trong kỳ × 100 %.",
        _targets("exchanged", {"*": Decimal(95)}),
        DEFAULT,
        "",
    ),
    KpiDef(
        "work_records",
        "Hồ sơ công việc xử lý trên môi trường mạng",
        "Hồ sơ công việc lập trong kỳ được xử lý trên môi trường mạng / hồ sơ công việc lập "
        "trong kỳ × 100 %. Mục tiêu theo cấp: tỉnh 90 %, huyện 80 %, xã 60 %.",
        _targets(
            "work_records",
            {"province": Decimal(90), "district": Decimal(80), "commune": Decimal(60)},
        ),
        PLAN,
        "offline_records",
    ),
]
BY_CODE = {k.code: k for k in KPIS}


def get_kpi(code: str) -> KpiDef:
    if code not in BY_CODE:
        raise ValidationFailed(f"Chỉ tiêu '{str(code)[:20]}' không có.", code=E.UNKNOWN_KPI)
    return BY_CODE[code]


@dataclass
class KpiValue:
    kpi: KpiDef
    numerator: int
    denominator: int
    target: Decimal | None

    @property
    def value(self) -> Decimal | None:
        if not self.denominator:
            return None
        return (Decimal(self.numerator) * 100 / self.denominator).quantize(Decimal("0.1"))

    @property
    def met(self) -> bool | None:
        if self.value is None or self.target is None:
            return None
        return self.value >= self.target


def target_for(kpi: KpiDef, level: str) -> Decimal | None:
    return kpi.target.get(level, kpi.target.get("*"))


def _counts(
    row: dict[str, Any], docs: dict[str, int], records: dict[str, int]
) -> dict[str, tuple[int, int]]:
    return {
        "online_full": (row.get("online_full", 0), row.get("received", 0)),
        "on_time": (
            row.get("resolved_early", 0) + row.get("resolved_on_time", 0),
            row.get("resolved", 0),
        ),
        "satisfaction": (
            row.get("ratings", 0) - row.get("not_satisfied", 0),
            row.get("ratings", 0),
        ),
        "counter_satisfaction": (row.get("counter_satisfied", 0), row.get("counter_ratings", 0)),
        "payments": (row.get("paid_online", 0), row.get("with_fee", 0)),
        "signed": (docs.get("outgoing_signed", 0), docs.get("outgoing", 0)),
        "exchanged": (docs.get("outgoing_exchanged", 0), docs.get("outgoing", 0)),
        "work_records": (records.get("online", 0), records.get("total", 0)),
    }


@dataclass
class AgencyKpis:
    node: AgencyNode
    values: list[KpiValue]

    def get(self, code: str) -> KpiValue:
        return next(v for v in self.values if v.kpi.code == code)


DOSSIER_METRICS = [
    "received",
    "online_full",
    "resolved",
    "resolved_early",
    "resolved_on_time",
    "ratings",
    "not_satisfied",
    "paid_online",
    "with_fee",
]
DOC_METRICS = ["outgoing", "outgoing_signed", "outgoing_exchanged"]


@replica_reads
def compute(
    *, root, start: date, end: date | None = None, end_day: date | None = None
) -> dict[int, AgencyKpis]:
    """KPIs of `root` and every agency below it (each with its own subtree) for the days
    [start, end]: one grouped statistics query per source, rolled up the tree."""
    end = end or end_day
    assert end is not None
    nodes = agency_nodes(root)
    period = statistics.Period(start, end)
    leaf: dict[int, dict[str, int]] = {}
    for row in statistics.summary(period=period, group_by="agency", agency=root):
        if row["key"] in nodes:
            bucket = leaf.setdefault(row["key"], {})
            for m in DOSSIER_METRICS:
                bucket[m] = bucket.get(m, 0) + int(row.get(m) or 0)
    agencies = list(documents_agencies(nodes))
    for row in documents.statistics(agencies=agencies, date_from=start, date_to=end):
        bucket = leaf.setdefault(row["agency"].pk, {})
        for m in DOC_METRICS:
            bucket[m] = bucket.get(m, 0) + int(row.get(m) or 0)
    for agency_id, counts in documents.work_record_counts(
        agency_ids=list(nodes), date_from=start, date_to=end
    ).items():
        bucket = leaf.setdefault(agency_id, {})
        bucket["wr_total"] = counts["total"]
        bucket["wr_online"] = counts["online"]
    from tinhso.counter import selectors as counter

    for agency_id, counts in counter.rating_counts(
        agency_ids=list(nodes), date_from=start, date_to=end
    ).items():
        bucket = leaf.setdefault(agency_id, {})
        bucket["counter_ratings"] = counts["total"]
        bucket["counter_satisfied"] = counts["satisfied"]
    rolled: dict[int, dict[str, int]] = {}
    for agency_id, counts in leaf.items():
        node = nodes.get(agency_id)
        if node is None:
            continue
        for target in node.ancestor_ids:
            if target in nodes:
                bucket = rolled.setdefault(target, {})
                for m, v in counts.items():
                    bucket[m] = bucket.get(m, 0) + v
    result = {}
    for agency_id, node in nodes.items():
        data = rolled.get(agency_id, {})
        pairs = _counts(
            data,
            data,
            {"total": data.get("wr_total", 0), "online": data.get("wr_online", 0)},
        )
        result[agency_id] = AgencyKpis(
            node,
            [
                KpiValue(k, pairs[k.code][0], pairs[k.code][1], target_for(k, node.level))
                for k in KPIS
            ],
        )
    return result


def documents_agencies(nodes: dict[int, AgencyNode]):
    from tinhso.directory import selectors as directory

    return directory.agencies_by_ids(list(nodes))


@replica_reads
def trend(*, root, year: int) -> dict[str, list[Decimal | None]]:
    """Monthly values of the dossier KPIs for `root` over the calendar year."""
    out: dict[str, list[Decimal | None]] = {
        k: [] for k in ("online_full", "on_time", "satisfaction", "payments")
    }
    for month in range(1, 13):
        period = statistics.Period.month(year, month)
        row = statistics.summary(period=period, agency=root)[0]
        counts = _counts(row, {}, {})
        for code in out:
            num, den = counts[code]
            out[code].append((Decimal(num) * 100 / den).quantize(Decimal("0.1")) if den else None)
    return out


@replica_reads
def drilldown(*, code: str, agency, start: date, end: date):
    """The rows that did not count for `code` (dossiers, documents or work records)."""
    from tinhso.onestop import selectors as onestop

    kpi = get_kpi(code)
    ids = list(agency_nodes(agency))
    if kpi.drill in ("unsigned", "offline_records"):
        return documents.kpi_documents(kind=kpi.drill, agency_ids=ids, date_from=start, date_to=end)
    if not kpi.drill:
        return None
    period = statistics.Period(start, end)
    return onestop.kpi_dossiers(
        kind=kpi.drill, start=period.start_at, end=period.end_at, agency_ids=ids
    )


def year_bounds(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def month_bounds(year: int, month: int) -> tuple[date, date]:
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return date(year, month, 1), nxt - timedelta(days=1)


def cached(name: str, fn, *, end: date, **kwargs):
    """`fn(**kwargs)` through the cache (a closed period for hours, an open one 5 min)."""
    from django.core.cache import cache
    from django.utils import timezone

    parts = ":".join(f"{k}={getattr(v, 'pk', v)}" for k, v in sorted(kwargs.items()))
    key = f"reporting:{name}:{parts}"
    value = cache.get(key)
    if value is None:
        value = fn(**kwargs)
        cache.set(key, value, 6 * 3600 if end < timezone.localdate() else 300)
    return value
