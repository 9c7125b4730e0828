"""The Decision 766/QĐ-TTg service index, computed from tinhso's own data.

Five groups, 100 points (law): 1 transparency 18, 2 progress 20, 3 online services 22,
4 digitisation 22, 5 satisfaction 18. Indicator codes and rules follow the national
formula document ("Mô tả công thức tính chỉ số 766"), which numbers the online-service
indicators 3.x and the digitisation ones 4.x (both groups weigh 22). The split of a
group's points between its indicators is not published: `POINTS` below is tinhso's
assumption, built from the partial figures found (6/18 for dossier satisfaction, 4/18
for procedures published on time, up to 20 for on-time dossiers; the portal's 12 + 10
split of online services and payments) and shown on the page as such.

Scoring: "≥ X % earns full points; below, points = rate × max / X %" where the formula
document gives X; otherwise X = 100 %. A denominator of 0 gives "N/A" (no points, not
counted in the maximum). An indicator that needs data tinhso does not hold says so and
is left out of the computable maximum rather than given an invented number.

Every dossier-based indicator is decided dossier by dossier by `judge()` — the same
function feeds the figures and the drill-down, so each point lost is traceable to the
dossiers behind it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone

from tinhso.core.errors import ValidationFailed
from tinhso.core.replica import replica_reads
from tinhso.onestop import selectors as onestop
from tinhso.reporting.errors import ReportingError as E
from tinhso.reporting.selectors import AgencyNode, agency_nodes
from tinhso.workdays.services import VN, Calendar

GROUPS: dict[int, tuple[str, int]] = {
    1: ("Công khai, minh bạch", 18),
    2: ("Tiến độ, kết quả giải quyết", 20),
    3: ("Cung cấp dịch vụ trực tuyến", 22),
    4: ("Số hóa hồ sơ", 22),
    5: ("Mức độ hài lòng", 18),
}

NOT_HELD = "not_held"
DOSSIERS = "dossiers"
CATALOGUE = "catalogue"

# Which on-time rule feeds indicator 2.1 (domain/reporting-766.md: implement both as a
# setting and label which one the national index uses — "national").
ON_TIME_RULE = getattr(settings, "REPORTING_766_ON_TIME_RULE", "national")


@dataclass(frozen=True)
class IndicatorDef:
    code: str
    group: int
    name: str
    points: Decimal
    rule: str
    source: str
    threshold: Decimal = Decimal("100")
    unit: str = "%"
    not_held: str = ""


def _d(value: str | int) -> Decimal:
    return Decimal(str(value))


INDICATORS: list[IndicatorDef] = [
    IndicatorDef(
        "1.1",
        1,
        "TTHC được công bố đúng hạn",
        _d(4),
        "Số TTHC có quyết định công bố ≤ ngày hiệu lực của văn bản quy định − 5 ngày làm việc "
        "(cấp tỉnh) / tổng số TTHC công bố trong kỳ; trễ một lần là trễ cả kỳ.",
        NOT_HELD,
        not_held="Cần ngày quyết định công bố và ngày hiệu lực của văn bản quy định từ Cơ sở "
        "dữ liệu quốc gia về TTHC; tinhso không lưu các ngày này.",
    ),
    IndicatorDef(
        "1.2",
        1,
        "TTHC được cập nhật, công khai đúng hạn trên CSDL quốc gia",
        _d(4),
        "Số TTHC công khai ≤ ngày quyết định + 5 ngày làm việc (cấp tỉnh) / tổng số TTHC "
        "công bố trong kỳ.",
        NOT_HELD,
        not_held="Thời điểm công khai trên Cơ sở dữ liệu quốc gia về TTHC do hệ thống quốc gia "
        "ghi nhận; tinhso không có.",
    ),
    IndicatorDef(
        "1.3",
        1,
        "TTHC công khai đầy đủ các bộ phận",
        _d(4),
        "Số TTHC đang áp dụng có đủ: tên, trình tự thực hiện, cách thức thực hiện, thành phần "
        "hồ sơ, thời hạn giải quyết, đối tượng thực hiện, cơ quan thực hiện (Nghị định "
        "63/2010 điều 8.2) / tổng số TTHC đang áp dụng (tại thời điểm xem).",
        CATALOGUE,
    ),
    IndicatorDef(
        "1.4",
        1,
        "Hồ sơ được đồng bộ lên Cổng Dịch vụ công quốc gia",
        _d(6),
        "Số hồ sơ tiếp nhận trong kỳ đã đồng bộ / số hồ sơ phải đồng bộ (lớn nhất của số liệu "
        "Hệ thống thông tin báo cáo quốc gia và của Cổng).",
        NOT_HELD,
        not_held="Trạng thái đồng bộ do Cổng Dịch vụ công quốc gia xác nhận; tinhso chưa lưu. "
        "Chỉ số 3.3 vì vậy tính với tỷ lệ đồng bộ = 1 (ghi rõ ở chỉ số 3.3).",
    ),
    IndicatorDef(
        "2.1",
        2,
        "Hồ sơ giải quyết đúng hạn",
        _d(20),
        "Số hồ sơ đã kết thúc hoặc đang giải quyết còn trong hạn / số hồ sơ tiếp nhận và "
        "giải quyết trong kỳ. Kết thúc = thời điểm đầu tiên trong: đã xử lý xong > đã trả kết "
        "quả > dừng xử lý, rút hồ sơ (hồ sơ đã tiếp nhận); còn mở → cuối kỳ. Đúng hạn khi "
        "(kết thúc − thời gian chờ bổ sung) ≤ ngày hẹn trả (ngày hẹn khi tiếp nhận, hoặc ngày "
        "hẹn lại của phiếu xin lỗi Mẫu 04). Yêu cầu bổ sung lần thứ hai → quá hạn. Đang chờ "
        "bổ sung chưa nộp lại → kết thúc = ngày yêu cầu bổ sung.",
        DOSSIERS,
    ),
    IndicatorDef(
        "2.2",
        2,
        "Thời gian giải quyết trung bình",
        _d(0),
        "Tổng thời gian giải quyết (ngày làm việc, từ tiếp nhận đến có kết quả, trừ thời gian "
        "chờ bổ sung) / số hồ sơ có kết quả trong kỳ. Chỉ số theo dõi, không tính điểm.",
        DOSSIERS,
        unit="ngày làm việc",
    ),
    IndicatorDef(
        "3.1",
        3,
        "TTHC có dịch vụ công trực tuyến",
        _d(4),
        "Số TTHC có dịch vụ công trực tuyến (một phần hoặc toàn trình, tính theo mức cao "
        "nhất) / tổng số TTHC đang áp dụng. ≥ 80 % đạt điểm tối đa. Tỷ lệ toàn trình hiển thị "
        "bên cạnh, tính trên tất cả TTHC (tinhso không lưu danh mục TTHC đủ điều kiện toàn trình).",
        CATALOGUE,
        threshold=_d(80),
    ),
    IndicatorDef(
        "3.2",
        3,
        "Dịch vụ trực tuyến có phát sinh hồ sơ",
        _d(2),
        "Số TTHC có dịch vụ trực tuyến đã nhận ít nhất một hồ sơ trực tuyến trong kỳ / số TTHC "
        "có dịch vụ trực tuyến.",
        CATALOGUE,
    ),
    IndicatorDef(
        "3.3",
        3,
        "Hồ sơ trực tuyến",
        _d(6),
        "Số hồ sơ tiếp nhận trực tuyến trong kỳ, trong đó hồ sơ đã có kết quả phải có kết quả "
        "điện tử (tệp kết quả đã ký số) / tổng số hồ sơ tiếp nhận trong kỳ, × tỷ lệ đồng bộ "
        "(tinhso: 1, xem 1.4). ≥ 50 % đạt điểm tối đa.",
        DOSSIERS,
        threshold=_d(50),
    ),
    IndicatorDef(
        "3.5",
        3,
        "TTHC có phí được tích hợp thanh toán trực tuyến",
        _d(4),
        "Số TTHC có phí, lệ phí được tích hợp thanh toán trực tuyến / số TTHC có phí, lệ phí "
        "khác 0. ≥ 80 % đạt điểm tối đa. tinhso: mọi TTHC có phí được thanh toán qua cổng "
        "thanh toán của tỉnh; việc tích hợp trên Cổng quốc gia không được ghi nhận ở đây.",
        CATALOGUE,
        threshold=_d(80),
    ),
    IndicatorDef(
        "3.6",
        3,
        "Hồ sơ thanh toán trực tuyến",
        _d(6),
        "Số hồ sơ tiếp nhận trong kỳ đã thanh toán trực tuyến / số hồ sơ tiếp nhận trong kỳ "
        "của TTHC có phí, lệ phí khác 0.",
        DOSSIERS,
    ),
    IndicatorDef(
        "4.1",
        4,
        "Hồ sơ có kết quả điện tử",
        _d(5),
        "Số hồ sơ có kết quả trong kỳ có tệp kết quả điện tử đã ký số / số hồ sơ có kết quả "
        "trong kỳ (mọi TTHC của tinhso cấp kết quả là văn bản giấy tờ).",
        DOSSIERS,
    ),
    IndicatorDef(
        "4.2",
        4,
        "Hồ sơ được số hóa",
        _d(6),
        "Số hồ sơ tiếp nhận trong kỳ có tệp đính kèm thành phần hồ sơ và, khi đã có kết quả, "
        "có kết quả điện tử / tổng số hồ sơ tiếp nhận trong kỳ. ≥ 80 % đạt điểm tối đa.",
        DOSSIERS,
        threshold=_d(80),
    ),
    IndicatorDef(
        "4.3",
        4,
        "Hồ sơ tái sử dụng dữ liệu số hóa",
        _d(5),
        "Số hồ sơ tiếp nhận trong kỳ có ít nhất một thành phần lấy từ kho giấy tờ đã số hóa / "
        "số hồ sơ tiếp nhận trong kỳ. ≥ 80 % đạt điểm tối đa.",
        DOSSIERS,
        threshold=_d(80),
    ),
    IndicatorDef(
        "4.4",
        4,
        "Hồ sơ kết nối kho dữ liệu cá nhân",
        _d(3),
        "Số hồ sơ tiếp nhận trong kỳ có thành phần lấy từ kho giấy tờ của công dân hoặc có kết "
        "quả đã đẩy vào kho / số hồ sơ tiếp nhận trong kỳ.",
        DOSSIERS,
    ),
    IndicatorDef(
        "4.5",
        4,
        "Khai thác Cơ sở dữ liệu quốc gia về dân cư",
        _d(3),
        "Số TTHC (hồ sơ) dùng tài khoản định danh VNeID hoặc dữ liệu từ CSDL quốc gia về dân "
        "cư / số TTHC cho công dân.",
        NOT_HELD,
        not_held="tinhso chưa kết nối VNeID / CSDL quốc gia về dân cư nên không biết hồ sơ nào "
        "đã xác thực qua đó.",
    ),
    IndicatorDef(
        "5.1",
        5,
        "Phản ánh, kiến nghị theo nhóm",
        _d(2),
        "Số phản ánh, kiến nghị về quy định/TTHC và về hành vi của cán bộ trên Hệ thống phản "
        "ánh, kiến nghị của Cổng Dịch vụ công quốc gia.",
        NOT_HELD,
        not_held="Dữ liệu thuộc hệ thống phản ánh, kiến nghị của Cổng Dịch vụ công quốc gia.",
    ),
    IndicatorDef(
        "5.2",
        5,
        "Phản ánh, kiến nghị xử lý đúng hạn",
        _d(5),
        "Từ chối ≤ 2 ngày làm việc; yêu cầu bổ sung lần đầu ≤ 5; trả lời ≤ 15 ngày làm việc "
        "từ khi nhận (hoặc lần chuyển gần nhất); công khai ≤ 2 ngày làm việc.",
        NOT_HELD,
        not_held="Dữ liệu thuộc hệ thống phản ánh, kiến nghị của Cổng Dịch vụ công quốc gia.",
    ),
    IndicatorDef(
        "5.3",
        5,
        "Hài lòng về xử lý phản ánh, kiến nghị",
        _d(5),
        "(Tổng số − không hài lòng − quá hạn) / tổng số phản ánh nhận lần đầu trong kỳ.",
        NOT_HELD,
        not_held="Dữ liệu thuộc hệ thống phản ánh, kiến nghị của Cổng Dịch vụ công quốc gia.",
    ),
    IndicatorDef(
        "5.4",
        5,
        "Hài lòng về giải quyết hồ sơ",
        _d(6),
        "100 % − (tỷ lệ hồ sơ quá hạn theo 2.1 + tỷ lệ hồ sơ bị đánh giá không hài lòng "
        "(1–2/5 sao)), trên cùng tập hồ sơ của 2.1. ≥ 90 % đạt điểm tối đa.",
        DOSSIERS,
        threshold=_d(90),
    ),
]
BY_CODE = {i.code: i for i in INDICATORS}
DOSSIER_CODES = [i.code for i in INDICATORS if i.source == DOSSIERS]


def get_indicator(code: str) -> IndicatorDef:
    if code not in BY_CODE:
        raise ValidationFailed(
            f"Chỉ số '{str(code)[:10]}' không có trong Bộ chỉ số 766.", code=E.UNKNOWN_766_INDICATOR
        )
    return BY_CODE[code]


# ---------------------------------------------------------------------------------------
# Deciding one dossier


class WorkingDays:
    """Working days between two dates from a cumulative table (one calendar read)."""

    def __init__(self, first: date, last: date) -> None:
        self.cal = Calendar()
        self.first = first
        self.cum: list[int] = []
        total, day = 0, first
        while day <= last:
            total += self.cal.is_working_day(day)
            self.cum.append(total)
            day += timedelta(days=1)

    def between(self, start: date, end: date) -> int:
        """Working days in (start, end]."""
        if end <= start:
            return 0
        i, j = (start - self.first).days, (end - self.first).days
        if 0 <= i < len(self.cum) and 0 <= j < len(self.cum):
            return self.cum[j] - self.cum[i]
        return self.cal.working_days_between(start, end)


@dataclass
class Context:
    start: datetime
    end: datetime  # exclusive
    as_of: datetime  # min(end, now)
    days: WorkingDays
    restart_due: dict[int, datetime] = field(default_factory=dict)


# field positions in onestop.selectors.DOSSIER_FACT_FIELDS
(
    PK,
    CODE,
    AGENCY,
    PROCEDURE,
    CHANNEL,
    STATE,
    RECEIVED,
    RESULT,
    FINISHED,
    ORIGINAL_DUE,
    RESTARTED,
    PROCESSING_DAYS,
    EXTENDED_DUE,
    FEE,
    PAID_ONLINE,
    SCORE,
    HAS_PAPER,
    HAS_RESULT,
    REUSED,
    TO_WALLET,
    TIMELINESS,
    DUE,
    ONLINE_TYPE,
) = range(23)
RESOLVED_STATES = ("approved", "returned")


def appointment(row: tuple, ctx: Context) -> datetime | None:
    """The appointment date the national rule compares with: the one given at acceptance
    (or the new one of the single extension, form 04). tinhso restarts the clock after a
    processing supplement; the national rule keeps the first date and subtracts the wait."""
    if row[EXTENDED_DUE] is not None:
        return row[EXTENDED_DUE]
    if not row[RESTARTED]:
        return row[ORIGINAL_DUE]
    due = ctx.restart_due.get(row[PK])
    if due is None:
        due = ctx.days.cal.add_working_days(row[RECEIVED], row[PROCESSING_DAYS])
        ctx.restart_due[row[PK]] = due
    return due


def national_on_time(row: tuple, sups: list, ctx: Context) -> tuple[bool, str]:
    """2.1 for one dossier of the population: (on time, why late)."""
    ended = row[RESULT] or row[FINISHED]
    if ended is not None and ended >= ctx.end:
        ended = None  # still open at the period's end
    cut = ended or ctx.as_of
    made = [(r, a) for r, a in sups if r < cut]
    if len(made) >= 2:
        return False, "Yêu cầu bổ sung lần thứ hai (quy tắc quốc gia: tính là quá hạn)"
    waited = timedelta(0)
    end = cut
    for requested, answered in made:
        if answered is None or answered > cut:
            end = requested  # waiting for the citizen: ends at the request
        else:
            waited += answered - requested
    due = appointment(row, ctx)
    if due is None:
        return True, ""
    if end - waited <= due:
        return True, ""
    late_days = ctx.days.between(due.astimezone(VN).date(), (end - waited).astimezone(VN).date())
    if ended is None:
        return False, f"Đang giải quyết, đã quá hạn {late_days} ngày làm việc"
    return False, f"Kết thúc sau hạn {late_days} ngày làm việc"


def onestop_on_time(row: tuple, ctx: Context) -> bool:
    """The one-stop module's rule on the same dossier: its fixed early/on time/late when
    resolved (result date vs the appointment in force, clock restarted after a
    supplement), else the current appointment against the period's end."""
    if row[STATE] in RESOLVED_STATES and row[RESULT] is not None and row[RESULT] < ctx.end:
        return row[TIMELINESS] != "late"
    due = row[DUE]
    ended = row[FINISHED] if row[FINISHED] is not None and row[FINISHED] < ctx.end else None
    moment = ended or ctx.as_of
    return due is None or moment.astimezone(VN).date() <= due.astimezone(VN).date()


def judge(row: tuple, sups: list, ctx: Context) -> dict[str, tuple[bool, str]]:
    """{indicator code: (counts in the numerator, why not)} for every dossier indicator
    whose denominator holds this dossier. 2.2 gives (True, working days) instead."""
    out: dict[str, tuple[bool, str]] = {}
    received_in = row[RECEIVED] >= ctx.start
    has_result = row[STATE] in RESOLVED_STATES and row[RESULT] is not None
    resolved_in = has_result and ctx.start <= row[RESULT] < ctx.end
    on_time, why = national_on_time(row, sups, ctx)
    out["2.1"] = (on_time, why)
    out["2.1o"] = (onestop_on_time(row, ctx), "Quá hạn theo quy tắc một cửa")
    disliked = row[SCORE] is not None and row[SCORE] <= 2
    out["5.4late"] = (on_time, why)
    out["5.4dislike"] = (not disliked, "Công dân đánh giá không hài lòng")
    out["5.4"] = (
        on_time and not disliked,
        "; ".join(x for x in (why, "Công dân đánh giá không hài lòng" if disliked else "") if x),
    )
    e_result_ok = not has_result or row[HAS_RESULT]
    if resolved_in:
        out["4.1"] = (row[HAS_RESULT], "Kết quả không có bản điện tử đã ký số")
        spent = ctx.days.between(
            row[RECEIVED].astimezone(VN).date(), row[RESULT].astimezone(VN).date()
        )
        for requested, answered in sups:
            if answered is not None and answered <= row[RESULT]:
                spent -= ctx.days.between(
                    requested.astimezone(VN).date(), answered.astimezone(VN).date()
                )
        out["2.2"] = (True, str(max(spent, 0)))
    if received_in:
        if row[CHANNEL] != "online":
            why33 = "Nộp trực tiếp" if row[CHANNEL] == "counter" else "Nộp qua bưu chính"
            out["3.3"] = (False, why33)
        else:
            out["3.3"] = (e_result_ok, "Nộp trực tuyến nhưng kết quả không có bản điện tử")
        if row[FEE]:
            out["3.6"] = (bool(row[PAID_ONLINE]), "Không thanh toán trực tuyến")
        digitised = bool(row[HAS_PAPER]) and e_result_ok
        out["4.2"] = (
            digitised,
            "Không có tệp thành phần hồ sơ"
            if not row[HAS_PAPER]
            else "Kết quả không có bản điện tử",
        )
        out["4.3"] = (bool(row[REUSED]), "Không tái sử dụng giấy tờ đã số hóa")
        out["4.4"] = (
            bool(row[REUSED] or row[TO_WALLET]),
            "Không lấy từ / không đẩy vào kho giấy tờ của công dân",
        )
    return out


# ---------------------------------------------------------------------------------------
# The whole index


@dataclass
class Tally:
    num: int = 0
    den: int = 0
    extra: int = 0  # 2.2: total working days; 5.4: disliked count

    def add(self, other: Tally) -> None:
        self.num += other.num
        self.den += other.den
        self.extra += other.extra


@dataclass
class IndicatorResult:
    definition: IndicatorDef
    available: bool
    value: Decimal | None = None
    numerator: int | None = None
    denominator: int | None = None
    points: Decimal | None = None
    note: str = ""
    also: str = ""  # a second figure shown beside (full-online share, one-stop rule)

    @property
    def code(self) -> str:
        return self.definition.code

    @property
    def lost(self) -> int:
        if self.numerator is None or self.denominator is None:
            return 0
        return self.denominator - self.numerator


@dataclass
class GroupResult:
    number: int
    name: str
    max_points: int
    indicators: list[IndicatorResult]

    @property
    def points(self) -> Decimal:
        return sum((i.points or Decimal(0) for i in self.indicators), Decimal(0))

    @property
    def computable_max(self) -> Decimal:
        return sum(
            (i.definition.points for i in self.indicators if i.points is not None), Decimal(0)
        )


@dataclass
class AgencyIndex:
    node: AgencyNode
    groups: list[GroupResult]

    @property
    def points(self) -> Decimal:
        return sum((g.points for g in self.groups), Decimal(0))

    @property
    def computable_max(self) -> Decimal:
        return sum((g.computable_max for g in self.groups), Decimal(0))

    @property
    def score_100(self) -> Decimal | None:
        """Points scaled to 100 over what could be computed."""
        if not self.computable_max:
            return None
        return _round(self.points * 100 / self.computable_max)

    def indicator(self, code: str) -> IndicatorResult:
        for g in self.groups:
            for i in g.indicators:
                if i.code == code:
                    return i
        raise KeyError(code)


def _round(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def score(definition: IndicatorDef, rate: Decimal) -> Decimal:
    if definition.points == 0:
        return Decimal(0)
    if rate >= definition.threshold:
        return definition.points
    return _round(max(rate, Decimal(0)) * definition.points / definition.threshold)


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return (
        datetime.combine(start, time.min, tzinfo=VN),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=VN),
    )


@dataclass
class Index:
    start: date
    end: date
    nodes: dict[int, AgencyNode]
    tallies: dict[int, dict[str, Tally]]
    catalogue: dict[int, dict[str, Tally]]
    computed_in: float = 0.0

    def for_agency(self, agency_id: int) -> AgencyIndex:
        node = self.nodes[agency_id]
        tallies = self.tallies.get(agency_id, {})
        catalogue = self.catalogue.get(agency_id, {})
        groups = []
        for number, (name, max_points) in GROUPS.items():
            results = [_result(d, tallies, catalogue) for d in INDICATORS if d.group == number]
            groups.append(GroupResult(number, name, max_points, results))
        return AgencyIndex(node, groups)

    def agencies(self, *, level: str | None = None, departments: bool = False) -> list[AgencyIndex]:
        rows = []
        for node in self.nodes.values():
            if departments and not node.is_department:
                continue
            if level == "commune" and not (
                node.kind == "peoples_committee" and node.admin_level == "commune"
            ):
                continue
            if node.id not in self.tallies and node.id not in self.catalogue:
                continue
            rows.append(self.for_agency(node.id))
        rows.sort(key=lambda a: (-(a.score_100 or 0), a.node.name))
        return rows


def _rate(num: int, den: int) -> Decimal:
    return _round(Decimal(num) * 100 / Decimal(den))


def _result(
    d: IndicatorDef, tallies: dict[str, Tally], catalogue: dict[str, Tally]
) -> IndicatorResult:
    if d.source == NOT_HELD:
        return IndicatorResult(d, available=False, note=d.not_held)
    tally = (catalogue if d.source == CATALOGUE else tallies).get(d.code, Tally())
    if not tally.den:
        return IndicatorResult(d, available=True, numerator=0, denominator=0, note="N/A")
    if d.code == "2.2":
        avg = _round(Decimal(tally.extra) / tally.den)
        return IndicatorResult(
            d, True, value=avg, numerator=tally.extra, denominator=tally.den, points=Decimal(0)
        )
    if d.code == "5.4":
        late = tally.den - tallies.get("5.4late", Tally()).num
        disliked = tally.den - tallies.get("5.4dislike", Tally()).num
        value = max(
            Decimal(0), _round(Decimal(100) - _rate(late, tally.den) - _rate(disliked, tally.den))
        )
        return IndicatorResult(
            d,
            True,
            value=value,
            numerator=tally.num,
            denominator=tally.den,
            points=score(d, value),
            also=f"quá hạn {late}, không hài lòng {disliked}",
        )
    value = _rate(tally.num, tally.den)
    result = IndicatorResult(
        d, True, value=value, numerator=tally.num, denominator=tally.den, points=score(d, value)
    )
    if d.code == "2.1":
        other = tallies.get("2.1o", Tally())
        if other.den:
            result.also = f"Theo quy tắc một cửa của tinhso: {_rate(other.num, other.den)} %"
        if ON_TIME_RULE == "onestop" and other.den:
            result.value = _rate(other.num, other.den)
            result.points = score(d, result.value)
            result.also = f"Theo quy tắc quốc gia: {value} %"
    if d.code == "3.1":
        full = catalogue.get("3.1full", Tally())
        if full.den:
            result.also = f"Toàn trình: {_rate(full.num, full.den)} %"
    return result


def _roll_up(
    nodes: dict[int, AgencyNode], leaf: dict[int, dict[str, Tally]]
) -> dict[int, dict[str, Tally]]:
    rolled: dict[int, dict[str, Tally]] = {}
    for agency_id, tallies in leaf.items():
        node = nodes.get(agency_id)
        targets = node.ancestor_ids if node is not None else [agency_id]
        for target in targets:
            if target not in nodes:
                continue
            bucket = rolled.setdefault(target, {})
            for code, tally in tallies.items():
                bucket.setdefault(code, Tally()).add(tally)
    return rolled


@replica_reads
def compute(
    *, start: date, end: date, now: datetime | None = None, root=None, fast: bool = True
) -> Index:
    """The index of every agency (of `root`'s subtree) for the days [start, end].

    `fast`: the dossiers without a processing supplement and whose clock never restarted
    (nearly all) are counted by grouped SQL with the same rules as `judge()` (see
    `_simple_counts`); the others go through `judge()` one by one. `fast=False` judges
    every dossier in Python (the tests prove both give the same figures)."""
    import time as _time

    began = _time.perf_counter()
    begin_at, end_at = period_bounds(start, end)
    as_of = min(end_at, now or timezone.now())
    nodes = agency_nodes(root)
    ids = list(nodes) if root is not None else None
    rows, supplements = onestop.dossier_facts(
        start=begin_at, end=end_at, agency_ids=ids, complex_only=fast
    )
    first = min((r[RECEIVED] for r in rows), default=begin_at).astimezone(VN).date()
    first = min(first, start - timedelta(days=400))
    ctx = Context(
        begin_at, end_at, as_of, WorkingDays(first - timedelta(days=1), end + timedelta(days=370))
    )
    leaf: dict[int, dict[str, Tally]] = {}
    no_sups: list = []
    for row in rows:
        verdicts = judge(row, supplements.get(row[PK], no_sups), ctx)
        bucket = leaf.setdefault(row[AGENCY], {})
        for code, (ok, why) in verdicts.items():
            tally = bucket.get(code)
            if tally is None:
                tally = bucket[code] = Tally()
            tally.den += 1
            if code == "2.2":
                tally.extra += int(why)
                tally.num += 1
            elif ok:
                tally.num += 1
    if fast:
        for agency_id, counts in _simple_counts(ctx, ids).items():
            bucket = leaf.setdefault(agency_id, {})
            for code, tally in counts.items():
                bucket.setdefault(code, Tally()).add(tally)
    tallies = _roll_up(nodes, leaf)
    catalogue = _catalogue(nodes, begin_at, end_at)
    index = Index(start, end, nodes, tallies, catalogue)
    index.computed_in = _time.perf_counter() - began
    return index


def _simple_counts(ctx: Context, agency_ids: list[int] | None) -> dict[int, dict[str, Tally]]:
    """`judge()` for the dossiers without a processing supplement and whose clock never
    restarted, as grouped SQL: with no supplement, the national end is the first of result
    / stop / withdrawal (or the period's end) and the appointment is the extension's date
    or the one given at acceptance."""
    from django.db.models import Count, F, Q
    from django.db.models.functions import Coalesce, TruncDate

    qs: Any = onestop.handled_dossiers(start=ctx.start, end=ctx.end, agency_ids=agency_ids)
    qs = qs.filter(clock_restarted=False, has_processing_supplement=False)
    qs = qs.annotate(
        ended=Coalesce("result_at", "finished_at"),
        appt=Coalesce("extension__new_due_at", "original_due_at"),
    )
    ended_in = Q(ended__lt=ctx.end)
    on_time = (
        Q(appt__isnull=True)
        | (ended_in & Q(ended__lte=F("appt")))
        | (~ended_in & Q(appt__gte=ctx.as_of))
        | (Q(ended__isnull=True) & Q(appt__gte=ctx.as_of))
    )
    resolved = Q(state__in=RESOLVED_STATES, result_at__isnull=False)
    resolved_in = resolved & Q(result_at__gte=ctx.start, result_at__lt=ctx.end)
    finished_in = Q(finished_at__lt=ctx.end)
    as_of_day = ctx.as_of.astimezone(VN).date()
    onestop_ok = (resolved & Q(result_at__lt=ctx.end) & ~Q(timeliness="late")) | (
        ~(resolved & Q(result_at__lt=ctx.end))
        & (
            Q(due_at__isnull=True)
            | (finished_in & Q(finished_day__lte=F("due_day")))
            | (~finished_in & Q(due_day__gte=as_of_day))
            | (Q(finished_at__isnull=True) & Q(due_day__gte=as_of_day))
        )
    )
    disliked = Q(rating__score__lte=2)
    received_in = Q(received_at__gte=ctx.start)
    e_result_ok = ~resolved | Q(has_result=True)
    aggregates = {
        "n_all": Count("pk"),
        "n_on_time": Count("pk", filter=on_time),
        "n_onestop": Count("pk", filter=onestop_ok),
        "n_liked": Count("pk", filter=~disliked),
        "n_happy": Count("pk", filter=on_time & ~disliked),
        "n_resolved_in": Count("pk", filter=resolved_in),
        "n_e_result": Count("pk", filter=resolved_in & Q(has_result=True)),
        "n_received": Count("pk", filter=received_in),
        "n_online": Count("pk", filter=received_in & Q(channel="online") & e_result_ok),
        "n_fee": Count("pk", filter=received_in & Q(fee_vnd__gt=0)),
        "n_paid": Count("pk", filter=received_in & Q(fee_vnd__gt=0, paid_online=True)),
        "n_digitised": Count("pk", filter=received_in & Q(has_paper=True) & e_result_ok),
        "n_reused": Count("pk", filter=received_in & Q(reused=True)),
        "n_store": Count("pk", filter=received_in & (Q(reused=True) | Q(to_wallet=True))),
    }
    out: dict[int, dict[str, Tally]] = {}
    grouped: Any = (
        qs.annotate(
            finished_day=TruncDate("finished_at", tzinfo=VN), due_day=TruncDate("due_at", tzinfo=VN)
        )
        .values("agency_id")
        .annotate(**aggregates)
        .order_by()
    )
    for r in grouped:
        n = r["n_all"]
        out[r["agency_id"]] = {
            "2.1": Tally(r["n_on_time"], n),
            "2.1o": Tally(r["n_onestop"], n),
            "5.4late": Tally(r["n_on_time"], n),
            "5.4dislike": Tally(r["n_liked"], n),
            "5.4": Tally(r["n_happy"], n),
            "4.1": Tally(r["n_e_result"], r["n_resolved_in"]),
            "3.3": Tally(r["n_online"], r["n_received"]),
            "3.6": Tally(r["n_paid"], r["n_fee"]),
            "4.2": Tally(r["n_digitised"], r["n_received"]),
            "4.3": Tally(r["n_reused"], r["n_received"]),
            "4.4": Tally(r["n_store"], r["n_received"]),
        }
    # 2.2: working days from acceptance to result, grouped by the pair of local dates
    spans: Any = (
        qs.filter(resolved_in)
        .annotate(d1=TruncDate("received_at", tzinfo=VN), d2=TruncDate("result_at", tzinfo=VN))
        .values("agency_id", "d1", "d2")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for r in spans:
        bucket = out.setdefault(r["agency_id"], {})
        tally = bucket.setdefault("2.2", Tally())
        tally.den += r["n"]
        tally.num += r["n"]
        tally.extra += r["n"] * ctx.days.between(r["d1"], r["d2"])
    for bucket in out.values():
        for code in [c for c, t in bucket.items() if not t.den and c != "2.2"]:
            del bucket[code]
    return out


def procedure_missing_parts(p: dict[str, Any]) -> list[str]:
    missing = []
    if not (p["name"] or "").strip():
        missing.append("tên")
    if not (p["sequence_description"] or "").strip():
        missing.append("trình tự thực hiện")
    if not p["online_type"]:
        missing.append("cách thức thực hiện")
    if not p["paper_count"]:
        missing.append("thành phần hồ sơ")
    if not p["processing_days"]:
        missing.append("thời hạn giải quyết")
    if not (p["applicant_description"] or "").strip():
        missing.append("đối tượng thực hiện")
    if not p["agency_id"] and not p["levels"]:
        missing.append("cơ quan thực hiện")
    return missing


def _procedure_agencies(p: dict[str, Any], nodes: dict[int, AgencyNode]) -> Iterable[int]:
    """Agencies whose index counts the procedure: its competent agency and those above;
    a procedure every agency of a level performs (no agency) counts for each committee of
    that level and the agencies above them."""
    if p["agency_id"]:
        node = nodes.get(p["agency_id"])
        return node.ancestor_ids if node else []
    levels = set((p["levels"] or "").split(","))
    ids: set[int] = set()
    for node in nodes.values():
        if node.kind == "peoples_committee" and node.admin_level in levels:
            ids.update(node.ancestor_ids)
    return ids


def _catalogue(
    nodes: dict[int, AgencyNode], start: datetime, end: datetime
) -> dict[int, dict[str, Tally]]:
    used_online = onestop.procedures_with_online_dossiers(start=start, end=end)
    out: dict[int, dict[str, Tally]] = {}
    for p in onestop.procedure_facts():
        verdicts = procedure_verdicts(p, used_online)
        for agency_id in _procedure_agencies(p, nodes):
            if agency_id not in nodes:
                continue
            bucket = out.setdefault(agency_id, {})
            for code, (ok, _why) in verdicts.items():
                tally = bucket.setdefault(code, Tally())
                tally.den += 1
                tally.num += ok
    return out


def procedure_verdicts(p: dict[str, Any], used_online: set[int]) -> dict[str, tuple[bool, str]]:
    missing = procedure_missing_parts(p)
    out = {
        "1.3": (not missing, "Thiếu: " + ", ".join(missing)),
        "3.1": (bool(p["online_type"]), "Không có dịch vụ công trực tuyến"),
        "3.1full": (p["online_type"] == "full", "Chỉ trực tuyến một phần"),
    }
    if p["online_type"]:
        out["3.2"] = (p["pk"] in used_online, "Không phát sinh hồ sơ trực tuyến trong kỳ")
    if p["fee_vnd"]:
        out["3.5"] = (True, "")
    return out


# ---------------------------------------------------------------------------------------
# Drill-down: the dossiers (or procedures) behind a figure


@dataclass
class LostItem:
    id: int
    code: str
    reason: str
    uid: Any = None


@replica_reads
def drilldown(
    *, code: str, agency, start: date, end: date, now: datetime | None = None
) -> list[LostItem]:
    """What cost `agency` (and the agencies below it) points on indicator `code`: the
    dossiers (or procedures) in its denominator that are not in its numerator, with why —
    decided by the same `judge()` as the figures."""
    definition = get_indicator(code)
    if definition.source == NOT_HELD or code == "2.2":
        return []
    begin_at, end_at = period_bounds(start, end)
    nodes = agency_nodes(agency)
    if definition.source == CATALOGUE:
        used_online = onestop.procedures_with_online_dossiers(start=begin_at, end=end_at)
        all_nodes = agency_nodes(None)
        lost = []
        for p in onestop.procedure_facts():
            if agency.pk not in set(_procedure_agencies(p, all_nodes)):
                continue
            verdict = procedure_verdicts(p, used_online).get(code)
            if verdict is not None and not verdict[0]:
                lost.append(LostItem(p["pk"], p["code"], verdict[1]))
        return lost
    as_of = min(end_at, now or timezone.now())
    rows, supplements = onestop.dossier_facts(start=begin_at, end=end_at, agency_ids=list(nodes))
    first = min((r[RECEIVED] for r in rows), default=begin_at).astimezone(VN).date()
    ctx = Context(
        begin_at, end_at, as_of, WorkingDays(first - timedelta(days=1), end + timedelta(days=370))
    )
    lost = []
    for row in rows:
        verdict = judge(row, supplements.get(row[PK], []), ctx).get(code)
        if verdict is not None and not verdict[0]:
            lost.append(LostItem(row[PK], row[CODE] or "", verdict[1]))
    lost.sort(key=lambda item: item.code)
    return lost


# ---------------------------------------------------------------------------------------
# Cached for the pages: a closed period's figures do not change; an open one is recomputed
# every few minutes (dashboards must answer in < 200 ms on a province's year of dossiers).

CACHE_OPEN_S = 300
CACHE_CLOSED_S = 6 * 3600


def cache_seconds(end: date) -> int:
    return CACHE_CLOSED_S if end < timezone.localdate() else CACHE_OPEN_S


def cached_compute(*, start: date, end: date, root=None) -> Index:
    from django.core.cache import cache

    key = f"reporting:766:{ON_TIME_RULE}:{start}:{end}:{getattr(root, 'pk', 0)}"
    index = cache.get(key)
    if index is None:
        index = compute(start=start, end=end, root=root)
        cache.set(key, index, cache_seconds(end))
    return index


_CHUNK = 500


class CachedLostItems(Sequence[LostItem]):
    """A drill-down list kept in the cache in chunks of `_CHUNK`: a page reads the chunk
    it shows, not the whole list (a province's lost dossiers run to tens of thousands,
    and unpickling them all took longer than the page's budget). A chunk the cache has
    dropped is rebuilt with the whole list."""

    def __init__(self, key: str, count: int, build: Any) -> None:
        self.key, self.total, self._build = key, count, build
        self._chunks: dict[int, list[tuple[int, str, str]]] = {}

    def __len__(self) -> int:
        return self.total

    def _chunk(self, n: int) -> list[tuple[int, str, str]]:
        from django.core.cache import cache

        if n not in self._chunks:
            rows = cache.get(f"{self.key}:{n}")
            if rows is None:
                self.total = self._build()
                rows = cache.get(f"{self.key}:{n}") or []
            self._chunks[n] = rows
        return self._chunks[n]

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            start, stop, _step = index.indices(self.total)
            if stop <= start:
                return []
            first = start // _CHUNK
            rows = [r for n in range(first, -(-stop // _CHUNK)) for r in self._chunk(n)]
            offset = first * _CHUNK
            return [LostItem(*r) for r in rows[start - offset : stop - offset]]
        if index < 0:
            index += self.total
        if not 0 <= index < self.total:
            raise IndexError(index)
        return LostItem(*self._chunk(index // _CHUNK)[index % _CHUNK])


def cached_drilldown(*, code: str, agency, start: date, end: date) -> CachedLostItems:
    from django.core.cache import cache

    get_indicator(code)
    key = f"reporting:766lost:{ON_TIME_RULE}:{code}:{start}:{end}:{agency.pk}"

    def build() -> int:
        rows = [
            (i.id, i.code, i.reason)
            for i in drilldown(code=code, agency=agency, start=start, end=end)
        ]
        timeout = cache_seconds(end)
        cache.set_many(
            {f"{key}:{n // _CHUNK}": rows[n : n + _CHUNK] for n in range(0, len(rows), _CHUNK)},
            timeout,
        )
        cache.set(f"{key}:n", len(rows), timeout)  # last: a count means the chunks are there
        return len(rows)

    count = cache.get(f"{key}:n")
    return CachedLostItems(key, build() if count is None else count, build)
