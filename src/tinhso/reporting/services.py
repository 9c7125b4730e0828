"""Write use-cases of the reporting app.

Definitions (Decree 09) and their data-table templates; a department's reporting officer
fills the period's report, a leader approves and signs it (PAdES, through `signing`) and
it is submitted — late when after the period's deadline; the receiver returns it for
correction with a reason, or locks the period. Every use-case runs in one transaction,
checks permission, and records audit inside it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tinhso.accounts.rules import require
from tinhso.audit.services import record
from tinhso.core.errors import Conflict, InvalidTransition, ValidationFailed
from tinhso.core.text import clean_text
from tinhso.reporting import periods
from tinhso.reporting.errors import ReportingError as E
from tinhso.reporting.models import (
    Aggregation,
    Frequency,
    Indicator,
    PeriodLock,
    ReportDefinition,
    ReporterLevel,
    ReportKind,
    SendChannel,
    Submission,
    SubmissionEvent,
    SubmissionState,
    SubmissionValue,
    TemplateVersion,
    ValueType,
)

S = SubmissionState


# ---------------------------------------------------------------------------------------
# The state machine, one table (read by services, pages and API alike)


@dataclass(frozen=True)
class Action:
    name: str
    label: Any
    states: frozenset[str]
    rule: str  # permission action; its object: the submission's agency or definition


ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        Action(
            "save", _("Lưu số liệu"), frozenset({S.DRAFT, S.RETURNED}), "reporting.prepare_report"
        ),
        Action(
            "send_for_approval",
            _("Trình lãnh đạo ký duyệt"),
            frozenset({S.DRAFT, S.RETURNED}),
            "reporting.prepare_report",
        ),
        Action(
            "approve",
            _("Ký duyệt và gửi báo cáo"),
            frozenset({S.AWAITING_APPROVAL}),
            "reporting.approve_report",
        ),
        Action(
            "send_back",
            _("Trả lại người soạn"),
            frozenset({S.AWAITING_APPROVAL}),
            "reporting.approve_report",
        ),
        Action(
            "return",
            _("Trả lại để chỉnh sửa"),
            frozenset({S.SUBMITTED}),
            "reporting.receive_report",
        ),
    )
}


def _rule_object(action: Action, submission: Submission) -> Any:
    return submission.definition if action.rule == "reporting.receive_report" else submission.agency


def allowed_actions(user, submission: Submission) -> list[Action]:
    """The actions `user` may take on the submission now (pages show exactly these)."""
    from tinhso.accounts.rules import can

    if is_locked(submission.definition, submission.period_key):
        return []
    return [
        a
        for a in ACTIONS.values()
        if submission.state in a.states and can(user, a.rule, _rule_object(a, submission))
    ]


def _check(action_name: str, user, submission: Submission) -> Action:
    action = ACTIONS[action_name]
    require(user, action.rule, _rule_object(action, submission))
    if is_locked(submission.definition, submission.period_key):
        raise InvalidTransition(
            "Kỳ báo cáo này đã khóa sổ: không thể thay đổi báo cáo.", code=E.PERIOD_LOCKED
        )
    if submission.state not in action.states:
        raise InvalidTransition(
            f"Không thể “{action.label.lower()}” khi báo cáo ở trạng thái "
            f"“{SubmissionState(submission.state).label}”.",
            code="invalid_transition",
        )
    return action


# ---------------------------------------------------------------------------------------
# Definitions and templates


@dataclass
class IndicatorSpec:
    code: str
    name: str
    unit: str
    value_type: str = ValueType.DECIMAL
    aggregation: str = Aggregation.SUM
    min_value: Decimal | int | None = None
    max_value: Decimal | int | None = None
    weight_code: str = ""
    disaggregation: str = ""
    required: bool = True


def _text(value: Any, label: str, *, max_length: int, required: bool = True) -> str:
    text = clean_text(str(value or ""), multiline=True).strip()
    if required and not text:
        raise ValidationFailed(f"Vui lòng nhập {label}.", code=E.INVALID_DEFINITION)
    if len(text) > max_length:
        raise ValidationFailed(
            f"{label[:1].upper()}{label[1:]} dài quá {max_length} ký tự.",
            code=E.INVALID_DEFINITION,
        )
    return text


@transaction.atomic
def create_definition(
    *,
    actor,
    code: str,
    title: str,
    receiver,
    frequency: str = Frequency.MONTHLY,
    kind: str = ReportKind.PERIODIC,
    content: str = "",
    reporter_levels: Sequence[str] = (),
    reporters: Sequence[Any] = (),
    channel: str = SendChannel.SYSTEM,
    deadline_working_days: int = 3,
    outline: str = "",
    guidance: str = "",
    indicators: Sequence[IndicatorSpec] = (),
    valid_from=None,
) -> ReportDefinition:
    """A report definition with its first data-table template (in force from the period
    containing `valid_from`, default: the current one)."""
    require(actor, "reporting.manage_definitions", receiver)
    code = _text(code, "mã báo cáo", max_length=40).upper()
    if frequency not in Frequency.values:
        raise ValidationFailed("Tần suất báo cáo không hợp lệ.", code=E.INVALID_FREQUENCY)
    if kind not in ReportKind.values or channel not in SendChannel.values:
        raise ValidationFailed(
            "Loại báo cáo hoặc phương thức gửi không hợp lệ.", code=E.INVALID_DEFINITION
        )
    levels = [str(lv) for lv in reporter_levels]
    if any(lv not in ReporterLevel.values for lv in levels):
        raise ValidationFailed("Cấp báo cáo không hợp lệ.", code=E.INVALID_DEFINITION)
    if not levels and not reporters:
        raise ValidationFailed(
            "Vui lòng chọn cơ quan báo cáo (theo cấp hoặc danh sách).", code=E.INVALID_DEFINITION
        )
    try:
        days = int(deadline_working_days)
    except (TypeError, ValueError):
        days = -1
    if not 0 <= days <= 60:
        raise ValidationFailed(
            "Thời hạn gửi phải từ 0 đến 60 ngày làm việc.", code=E.INVALID_DEFINITION
        )
    if ReportDefinition.objects.filter(code=code).exists():
        raise Conflict(f"Mã báo cáo {code} đã có.", code=E.DUPLICATE_CODE)
    definition = ReportDefinition.objects.create(
        code=code,
        title=_text(title, "tên báo cáo", max_length=500),
        content=_text(content, "nội dung", max_length=20_000, required=False),
        kind=kind,
        frequency=frequency,
        reporter_levels=",".join(levels),
        receiver=receiver,
        channel=channel,
        deadline_working_days=days,
        outline=_text(outline, "đề cương", max_length=50_000, required=False),
        guidance=_text(guidance, "hướng dẫn", max_length=50_000, required=False),
    )
    if reporters:
        definition.reporters.set(reporters)
    day = valid_from or timezone.localdate()
    key = periods.period_containing(frequency, day)
    start, _end, _label = periods.cutoff(frequency, key)
    _new_template(definition, indicators, valid_from=start)
    record(
        actor=actor,
        action="create_definition",
        obj=definition,
        agency=receiver,
        summary={"code": code, "indicators": len(indicators)},
    )
    return definition


def _decimal_or_none(value: Any, label: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise ValidationFailed(
            f"Giới hạn {label} không phải là số.", code=E.INVALID_INDICATOR
        ) from exc


def _new_template(
    definition: ReportDefinition, specs: Sequence[IndicatorSpec], *, valid_from
) -> TemplateVersion:
    if not specs:
        raise ValidationFailed("Biểu số liệu phải có ít nhất một chỉ tiêu.", code=E.TEMPLATE_EMPTY)
    codes = [clean_text(s.code).strip() for s in specs]
    if any(not c or len(c) > 30 for c in codes) or len(set(codes)) != len(codes):
        raise ValidationFailed(
            "Mã chỉ tiêu phải có, không quá 30 ký tự và không trùng nhau.",
            code=E.INVALID_INDICATOR,
        )
    for spec in specs:
        if spec.value_type not in ValueType.values or spec.aggregation not in Aggregation.values:
            raise ValidationFailed(
                f"Chỉ tiêu {spec.code}: kiểu số liệu hoặc cách tổng hợp không hợp lệ.",
                code=E.INVALID_INDICATOR,
            )
        if spec.aggregation == Aggregation.WEIGHTED and spec.weight_code not in codes:
            raise ValidationFailed(
                f"Chỉ tiêu {spec.code}: bình quân gia quyền cần mã chỉ tiêu làm quyền số "
                "trong cùng biểu.",
                code=E.INVALID_INDICATOR,
            )
    latest = definition.templates.aggregate(v=Max("version"))["v"] or 0
    template = TemplateVersion.objects.create(
        definition=definition, version=latest + 1, valid_from=valid_from
    )
    rows = []
    for order, (code, spec) in enumerate(zip(codes, specs, strict=True), start=1):
        low = _decimal_or_none(spec.min_value, "dưới")
        high = _decimal_or_none(spec.max_value, "trên")
        if spec.value_type == ValueType.PERCENT:
            low = Decimal("0") if low is None else low
            high = Decimal("100") if high is None else high
        if low is not None and high is not None and low > high:
            raise ValidationFailed(
                f"Chỉ tiêu {code}: giới hạn dưới lớn hơn giới hạn trên.", code=E.INVALID_INDICATOR
            )
        rows.append(
            Indicator(
                template=template,
                order=order,
                code=code,
                name=_text(spec.name, "tên chỉ tiêu", max_length=500),
                unit=_text(spec.unit, "đơn vị tính", max_length=40),
                value_type=spec.value_type,
                min_value=low,
                max_value=high,
                aggregation=spec.aggregation,
                weight_code=spec.weight_code if spec.aggregation == Aggregation.WEIGHTED else "",
                disaggregation=_text(
                    spec.disaggregation, "phân tổ", max_length=255, required=False
                ),
                required=spec.required,
            )
        )
    Indicator.objects.bulk_create(rows)
    return template


@transaction.atomic
def publish_template(
    *, actor, definition: ReportDefinition, indicators: Sequence[IndicatorSpec], period_key: str
) -> TemplateVersion:
    """A new version of the data table, in force from the period `period_key` on.
    Earlier periods keep their template; a period that already has reports keeps its
    template too (changing it under them is refused: `template_in_use`)."""
    require(actor, "reporting.manage_definitions", definition.receiver)
    start, _end, _label = periods.cutoff(definition.frequency, period_key)
    later = Submission.objects.filter(definition=definition, cutoff_start__gte=start)
    if later.exists():
        raise Conflict(
            "Kỳ báo cáo này (hoặc kỳ sau) đã có báo cáo theo biểu mẫu hiện hành: biểu mẫu mới "
            "chỉ áp dụng từ một kỳ chưa có báo cáo nào.",
            code=E.TEMPLATE_IN_USE,
        )
    TemplateVersion.objects.filter(definition=definition, valid_from__gte=start).delete()
    template = _new_template(definition, indicators, valid_from=start)
    record(
        actor=actor,
        action="publish_template",
        obj=definition,
        agency=definition.receiver,
        summary={"version": template.version, "from": period_key, "indicators": len(indicators)},
    )
    return template


def template_for(definition: ReportDefinition, cutoff_start) -> TemplateVersion:
    template = (
        definition.templates.filter(valid_from__lte=cutoff_start).order_by("-valid_from").first()
    )
    if template is None:
        raise ValidationFailed(
            "Kỳ báo cáo này trước khi chế độ báo cáo có biểu mẫu số liệu.", code=E.NO_TEMPLATE
        )
    return template


def is_locked(definition: ReportDefinition, period_key: str) -> bool:
    return PeriodLock.objects.filter(definition=definition, period_key=period_key).exists()


# ---------------------------------------------------------------------------------------
# Submissions


def _event(submission: Submission, action: str, actor, note: str = "") -> SubmissionEvent:
    return SubmissionEvent.objects.create(
        submission=submission,
        action=action,
        actor=actor,
        at=timezone.now(),
        state_after=submission.state,
        note=note,
    )


def _audit(actor, action: str, submission: Submission, **summary: Any) -> None:
    record(
        actor=actor,
        action=action,
        obj=submission,
        agency=submission.agency,
        summary={"report": submission.definition.code, "period": submission.period_key, **summary},
    )


def parse_value(indicator: Indicator, raw: Any) -> Decimal | None:
    """The number typed for `indicator`, checked against its type and range
    (None: left empty)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        raise ValidationFailed(
            f"Chỉ tiêu {indicator.code}: giá trị phải là số.", code=E.VALUE_NOT_A_NUMBER
        )
    text = str(raw).strip().replace(" ", "")
    if isinstance(raw, str) and "," in text and "." not in text:
        text = text.replace(",", ".")  # Vietnamese decimal comma
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise ValidationFailed(
            f"Chỉ tiêu {indicator.code} ({indicator.name}): “{str(raw)[:40]}” không phải là số.",
            code=E.VALUE_NOT_A_NUMBER,
        ) from exc
    if not value.is_finite() or abs(value) >= Decimal("1e15"):
        raise ValidationFailed(
            f"Chỉ tiêu {indicator.code}: giá trị không hợp lệ.", code=E.VALUE_OUT_OF_RANGE
        )
    if indicator.value_type == ValueType.INTEGER and value != value.to_integral_value():
        raise ValidationFailed(
            f"Chỉ tiêu {indicator.code} ({indicator.name}) phải là số nguyên.",
            code=E.VALUE_NOT_INTEGER,
        )
    if value.as_tuple().exponent < -4:  # type: ignore[operator]
        value = value.quantize(Decimal("0.0001"))
    low, high = indicator.min_value, indicator.max_value
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = " – ".join(f"{b.normalize():f}" if b is not None else "…" for b in (low, high))
        raise ValidationFailed(
            f"Chỉ tiêu {indicator.code} ({indicator.name}): giá trị {value.normalize():f} "
            f"ngoài khoảng cho phép {bounds} {indicator.unit}.",
            code=E.VALUE_OUT_OF_RANGE,
        )
    return value


def reporters_of(definition: ReportDefinition) -> list[Any]:
    from tinhso.reporting.selectors import reporting_agencies

    return reporting_agencies(definition)


@transaction.atomic
def save_report(
    *,
    actor,
    definition: ReportDefinition,
    agency,
    period_key: str,
    values: Mapping[str, Any],
    narrative: str = "",
    narrative_file: Any = None,
    version: int | None = None,
) -> Submission:
    """The reporting officer saves the period's figures (creating the report the first
    time). Every value is checked; one bad value changes nothing."""
    require(actor, "reporting.prepare_report", agency)
    if agency.pk not in {a.pk for a in reporters_of(definition)}:
        raise ValidationFailed(
            f"{agency.name} không thuộc đối tượng báo cáo “{definition.title}”.",
            code=E.NOT_A_REPORTER,
        )
    period = periods.period(
        definition.frequency, period_key, deadline_working_days=definition.deadline_working_days
    )
    if is_locked(definition, period_key):
        raise InvalidTransition(
            "Kỳ báo cáo này đã khóa sổ: không thể gửi hoặc sửa báo cáo.", code=E.PERIOD_LOCKED
        )
    if period.cutoff_start > timezone.localdate():
        raise ValidationFailed("Kỳ báo cáo chưa bắt đầu.", code=E.PERIOD_NOT_STARTED)
    submission = (
        Submission.objects.select_for_update()
        .filter(definition=definition, agency=agency, period_key=period_key)
        .first()
    )
    if submission is None:
        template = template_for(definition, period.cutoff_start)
        try:
            with transaction.atomic():
                submission = Submission.objects.create(
                    definition=definition,
                    template=template,
                    agency=agency,
                    period_key=period_key,
                    cutoff_start=period.cutoff_start,
                    cutoff_end=period.cutoff_end,
                    deadline=period.deadline,
                    prepared_by=actor,
                )
        except IntegrityError as exc:
            raise Conflict(
                "Báo cáo kỳ này vừa được người khác tạo; vui lòng tải lại trang.",
                code=E.SUBMISSION_CHANGED,
            ) from exc
        created = True
    else:
        created = False
        if version is not None and submission.version != version:
            raise Conflict(
                "Báo cáo đã được người khác thay đổi; vui lòng tải lại trang.",
                code=E.SUBMISSION_CHANGED,
            )
        _check("save", actor, submission)
    indicators = {i.code: i for i in submission.template.rows.all()}
    unknown = sorted(str(c) for c in values if c not in indicators)
    if unknown:
        raise ValidationFailed(
            f"Mã chỉ tiêu không có trong biểu mẫu của kỳ này: {', '.join(unknown)[:200]}.",
            code=E.UNKNOWN_INDICATOR,
        )
    parsed = {code: parse_value(indicators[code], raw) for code, raw in values.items()}
    for code, value in parsed.items():
        if value is None:
            SubmissionValue.objects.filter(
                submission=submission, indicator=indicators[code]
            ).delete()
        else:
            SubmissionValue.objects.update_or_create(
                submission=submission, indicator=indicators[code], defaults={"value": value}
            )
    submission.narrative = _text(narrative, "thuyết minh", max_length=100_000, required=False)
    fields = ["narrative", "version", "updated_at", "prepared_by"]
    if narrative_file is not None:
        from tinhso.core.pdf import check_pdf

        data = narrative_file.read()
        if len(data) > 20 * 1024 * 1024:
            raise ValidationFailed("Tệp thuyết minh quá 20 MB.", code="file_too_large")
        check_pdf(data)
        submission.narrative_file.save("thuyet-minh.pdf", ContentFile(data), save=False)
        submission.narrative_sha256 = hashlib.sha256(data).hexdigest()
        fields += ["narrative_file", "narrative_sha256"]
    submission.prepared_by = actor
    submission.version += 1
    submission.save(update_fields=fields)
    _event(submission, "create" if created else "save", actor)
    _audit(actor, "save_report", submission, values=len(parsed))
    return submission


@transaction.atomic
def send_for_approval(*, actor, submission: Submission, version: int | None = None) -> Submission:
    submission = _locked(submission, version)
    _check("send_for_approval", actor, submission)
    values = {v.indicator_id for v in submission.values.all()}
    missing = [i.code for i in submission.template.rows.all() if i.required and i.pk not in values]
    if missing:
        raise ValidationFailed(
            f"Chưa nhập các chỉ tiêu bắt buộc: {', '.join(missing)[:200]}.",
            code=E.VALUE_REQUIRED,
        )
    submission.state = S.AWAITING_APPROVAL
    submission.version += 1
    submission.save(update_fields=["state", "version", "updated_at"])
    _event(submission, "send_for_approval", actor)
    _audit(actor, "send_report_for_approval", submission)
    return submission


def _locked(submission: Submission, version: int | None) -> Submission:
    fresh = (
        Submission.objects.select_for_update()
        .select_related("definition", "agency")
        .get(pk=submission.pk)
    )
    if version is not None and fresh.version != version:
        raise Conflict(
            "Báo cáo đã được người khác thay đổi; vui lòng tải lại trang.",
            code=E.SUBMISSION_CHANGED,
        )
    return fresh


@transaction.atomic
def approve_and_submit(*, actor, submission: Submission, version: int | None = None) -> Submission:
    """The leader approves: the report is rendered as a PDF, signed with the leader's
    certificate (PAdES, `signing.sign_pdf`) and submitted; late after the deadline."""
    from tinhso.reporting.exports import report_pdf
    from tinhso.signing.services import sign_pdf

    submission = _locked(submission, version)
    _check("approve", actor, submission)
    now = timezone.now()
    submission.submitted_at = now
    submission.is_late = now > submission.deadline
    submission.signed_by = actor
    pdf = report_pdf(submission)
    signed = sign_pdf(
        pdf=pdf,
        signer=actor,
        kind="personal",
        agency=submission.agency,
        reason=f"Ký duyệt báo cáo {submission.definition.code} kỳ {submission.period_key}",
        location=submission.agency.name,
    )
    submission.signed_pdf.save("bao-cao-da-ky.pdf", ContentFile(signed), save=False)
    submission.signed_sha256 = hashlib.sha256(signed).hexdigest()
    submission.state = S.SUBMITTED
    submission.version += 1
    submission.save(
        update_fields=[
            "submitted_at",
            "is_late",
            "signed_by",
            "signed_pdf",
            "signed_sha256",
            "state",
            "version",
            "updated_at",
        ]
    )
    name = submission.signed_pdf.name
    _event(submission, "approve", actor, note="Nộp muộn" if submission.is_late else "")
    _audit(
        actor,
        "approve_report",
        submission,
        late=submission.is_late,
        sha256=submission.signed_sha256,
        file=name,
    )
    return submission


@transaction.atomic
def send_back(
    *, actor, submission: Submission, reason: str, version: int | None = None
) -> Submission:
    """The leader sends the draft back to the reporting officer, with a reason."""
    submission = _locked(submission, version)
    _check("send_back", actor, submission)
    reason = _reason(reason)
    submission.state = S.DRAFT
    submission.version += 1
    submission.save(update_fields=["state", "version", "updated_at"])
    _event(submission, "send_back", actor, note=reason)
    _audit(actor, "send_back_report", submission, reason=reason)
    return submission


def _reason(reason: str) -> str:
    text = clean_text(reason or "", multiline=True).strip()
    if not text:
        raise ValidationFailed("Vui lòng nêu lý do trả lại.", code=E.REASON_REQUIRED)
    if len(text) > 2000:
        raise ValidationFailed("Lý do dài quá 2000 ký tự.", code=E.REASON_REQUIRED)
    return text


@transaction.atomic
def return_for_correction(
    *, actor, submission: Submission, reason: str, version: int | None = None
) -> Submission:
    """The receiver returns a submitted report for correction (the history keeps it)."""
    submission = _locked(submission, version)
    _check("return", actor, submission)
    reason = _reason(reason)
    submission.state = S.RETURNED
    submission.version += 1
    submission.save(update_fields=["state", "version", "updated_at"])
    _event(submission, "return", actor, note=reason)
    _audit(actor, "return_report", submission, reason=reason)
    return submission


@transaction.atomic
def lock_period(*, actor, definition: ReportDefinition, period_key: str) -> PeriodLock:
    """The receiver closes the period: no submission or change for it any more."""
    require(actor, "reporting.receive_report", definition)
    periods.cutoff(definition.frequency, period_key)
    lock, created = PeriodLock.objects.get_or_create(
        definition=definition,
        period_key=period_key,
        defaults={"locked_by": actor, "locked_at": timezone.now()},
    )
    if created:
        record(
            actor=actor,
            action="lock_period",
            obj=definition,
            agency=definition.receiver,
            summary={"period": period_key},
        )
    return lock
