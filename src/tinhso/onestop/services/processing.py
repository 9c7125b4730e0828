"""Processing inside the agencies: assign, hand over between steps, obligations, pause, extension.

The rules every use-case follows are in `common.py`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction

from tinhso.accounts.rules import require
from tinhso.core.errors import InvalidTransition, ValidationFailed
from tinhso.onestop.models import (
    Dossier,
    DossierEvent,
    Extension,
    Payment,
    ProcessStep,
)
from tinhso.onestop.payments.services import check_amount, create_payment
from tinhso.onestop.services.clock import now as clock_now
from tinhso.onestop.services.common import (
    ACTIVE_PROCESS_STATES,
    S,
    _audit,
    _check_official_in,
    _end_of_office_day,
    _event,
    _local,
    _next_step,
    _resume_changes,
    _step_agency,
    _step_due,
    _steps,
    _transition,
    notify_applicant,
)
from tinhso.workdays.services import VN, Calendar


@transaction.atomic
def assign(
    *, official, dossier: Dossier, assignee, note: str = "", version: int | None = None
) -> Dossier:
    """Give the current step to one official of the handling agency."""
    require(official, "onestop.assign_dossier", dossier)
    if assignee is None:
        raise ValidationFailed("Vui lòng chọn người được giao xử lý.", code="assignee_required")
    handling = dossier.handling_agency or dossier.agency
    _check_official_in(assignee, handling, "Người được giao không thuộc cơ quan đang xử lý hồ sơ.")
    at = clock_now()
    _transition(
        dossier,
        allowed=(*ACTIVE_PROCESS_STATES, S.PAUSED),
        action_label="phân công",
        version=version,
        assignee=assignee,
    )
    _event(
        dossier,
        action="assign",
        actor=official,
        at=at,
        to_user=assignee,
        step=dossier.current_step,
        step_due_at=dossier.step_due_at,
        note=note,
    )
    _audit(official, "assign", dossier, assignee=assignee.username)
    return dossier


@transaction.atomic
def start_processing(*, official, dossier: Dossier, version: int | None = None) -> Dossier:
    require(official, "onestop.process_dossier", dossier)
    at = clock_now()
    _transition(
        dossier,
        allowed=(S.ACCEPTED,),
        action_label="bắt đầu xử lý",
        version=version,
        state=S.PROCESSING,
        assignee=dossier.assignee or official,
    )
    _event(dossier, action="start", actor=official, at=at, step=dossier.current_step)
    _audit(official, "start_processing", dossier)
    return dossier


@transaction.atomic
def forward_to_next_step(
    *,
    official,
    dossier: Dossier,
    to_user=None,
    note: str = "",
    version: int | None = None,
) -> Dossier:
    """Hand the dossier over to the next step of the internal process (possibly another
    agency: inter-agency procedures). The hand-over is a line of form 05, on time or not."""
    require(official, "onestop.process_dossier", dossier)
    nxt = _next_step(dossier)
    if nxt is None:
        raise InvalidTransition(
            "Hồ sơ đang ở bước cuối của quy trình: trình phê duyệt hoặc dừng xử lý.",
            code="no_next_step",
        )
    to_agency = _step_agency(dossier, nxt)
    if to_user is not None:
        _check_official_in(
            to_user, to_agency, "Người nhận không thuộc cơ quan thực hiện bước tiếp theo."
        )
    _hand_over(
        dossier,
        official=official,
        target=nxt,
        to_agency=to_agency,
        to_user=to_user,
        allowed=ACTIVE_PROCESS_STATES,
        action="forward",
        action_label="chuyển bước tiếp theo",
        version=version,
        note=note,
    )
    _audit(official, "forward", dossier, step=nxt.name, to_agency=to_agency.code)
    return dossier


def _hand_over(
    dossier: Dossier,
    *,
    official,
    target: ProcessStep,
    to_agency,
    to_user,
    allowed: Iterable[str],
    action: str,
    action_label: str,
    version: int | None,
    note: str,
) -> None:
    """Move the dossier to `target` step and write the form-05 line for the step it left
    (on time when handed over before that step's due moment)."""
    at = clock_now()
    left, left_due = dossier.current_step, dossier.step_due_at
    from_agency = dossier.handling_agency
    _transition(
        dossier,
        allowed=allowed,
        action_label=action_label,
        version=version,
        state=S.PROCESSING,
        current_step=target,
        step_started_at=at,
        step_due_at=_step_due(Calendar(), dossier, target),
        handling_agency=to_agency,
        assignee=to_user,
    )
    _event(
        dossier,
        action=action,
        actor=official,
        at=at,
        to_user=to_user,
        from_agency=from_agency,
        to_agency=to_agency,
        step=left,
        step_due_at=left_due,
        on_time=(left_due is None or at <= left_due),
        note=note,
    )


@transaction.atomic
def send_back(
    *,
    official,
    dossier: Dossier,
    note: str,
    to_step: ProcessStep | None = None,
    to_user=None,
    version: int | None = None,
) -> Dossier:
    """Return the dossier to an earlier step (the previous one by default) with a reason."""
    require(official, "onestop.process_dossier", dossier)
    if not (note or "").strip():
        raise ValidationFailed("Vui lòng ghi lý do chuyển trả.", code="reasons_required")
    steps = _steps(dossier)
    current_index = next((i for i, s in enumerate(steps) if s.pk == dossier.current_step_id), None)
    if current_index is None or current_index == 0:
        raise InvalidTransition("Hồ sơ đang ở bước đầu tiên.", code="no_previous_step")
    target: ProcessStep | None = steps[current_index - 1]
    if to_step is not None:
        target = next((s for s in steps[:current_index] if s.pk == to_step.pk), None)
    if target is None:
        raise ValidationFailed("Bước chuyển trả không hợp lệ.", code="invalid_step")
    to_agency = _step_agency(dossier, target)
    back_to = to_user
    if back_to is None:
        previous = (
            DossierEvent.objects.filter(dossier=dossier, step=target, from_user__isnull=False)
            .order_by("-at", "-pk")
            .values_list("from_user", flat=True)
            .first()
        )
        if previous:
            from django.contrib.auth import get_user_model

            back_to = get_user_model().objects.filter(pk=previous).first()
    _hand_over(
        dossier,
        official=official,
        target=target,
        to_agency=to_agency,
        to_user=back_to,
        allowed=(S.PROCESSING,),
        action="send_back",
        action_label="chuyển trả",
        version=version,
        note=note,
    )
    _audit(official, "send_back", dossier, step=target.name)
    return dossier


@transaction.atomic
def request_financial_obligation(
    *, official, dossier: Dossier, amount_vnd: int, note: str = "", version: int | None = None
) -> Payment:
    """Ask the applicant to pay tax/fees before the result (status 6); the clock pauses
    until the payment is confirmed."""
    require(official, "onestop.process_dossier", dossier)
    amount = check_amount(amount_vnd)
    at = clock_now()
    _transition(
        dossier,
        allowed=ACTIVE_PROCESS_STATES,
        action_label="yêu cầu thực hiện nghĩa vụ tài chính",
        version=version,
        state=S.FINANCIAL,
        paused_at=at,
        state_before_pause=S.PROCESSING,
        obligation_vnd=amount,
    )
    payment = create_payment(dossier=dossier, amount_vnd=amount, purpose="obligation")
    _event(
        dossier,
        action="request_obligation",
        actor=official,
        at=at,
        step=dossier.current_step,
        note=f"{amount:,} đồng. {note}".strip(),
    )
    notify_applicant(
        dossier, "onestop_obligation", amount=f"{amount:,}".replace(",", "."), note=note
    )
    # audit last: the chain-head lock is then held only until commit
    _audit(official, "request_financial_obligation", dossier, amount_vnd=amount)
    return payment


def obligation_fulfilled(
    *, dossier: Dossier, actor=None, paid_online: bool = False, note: str = ""
) -> Dossier:
    """Called (in the payment's transaction, see services/fees.py) when the financial
    obligation is paid: processing resumes, the paused days are not counted."""
    if dossier.state != S.FINANCIAL:
        return dossier
    at = clock_now()
    cal = Calendar()
    _transition(
        dossier,
        allowed=(S.FINANCIAL,),
        action_label="tiếp tục xử lý",
        state=S.PROCESSING,
        state_before_pause="",
        **({"paid_online": True} if paid_online else {}),
        **_resume_changes(cal, dossier, at),
    )
    _event(
        dossier, action="obligation_paid", actor=actor, at=at, step=dossier.current_step, note=note
    )
    _audit(actor, "obligation_fulfilled", dossier)
    return dossier


@transaction.atomic
def pause(*, official, dossier: Dossier, reason: str, version: int | None = None) -> Dossier:
    """Pause processing (e.g. waiting for a third party the law allows); the paused
    working days are not counted against the agency."""
    require(official, "onestop.process_dossier", dossier)
    if not (reason or "").strip():
        raise ValidationFailed("Vui lòng ghi lý do tạm dừng.", code="reasons_required")
    at = clock_now()
    previous = dossier.state
    _transition(
        dossier,
        allowed=ACTIVE_PROCESS_STATES,
        action_label="tạm dừng",
        version=version,
        state=S.PAUSED,
        paused_at=at,
        state_before_pause=previous,
    )
    _event(dossier, action="pause", actor=official, at=at, step=dossier.current_step, note=reason)
    _audit(official, "pause", dossier, reason=reason)
    return dossier


@transaction.atomic
def resume(*, official, dossier: Dossier, note: str = "", version: int | None = None) -> Dossier:
    require(official, "onestop.process_dossier", dossier)
    at = clock_now()
    cal = Calendar()
    _transition(
        dossier,
        allowed=(S.PAUSED,),
        action_label="tiếp tục xử lý",
        version=version,
        state=dossier.state_before_pause or S.PROCESSING,
        state_before_pause="",
        **_resume_changes(cal, dossier, at),
    )
    _event(dossier, action="resume", actor=official, at=at, step=dossier.current_step, note=note)
    _audit(official, "resume", dossier)
    return dossier


@transaction.atomic
def propose_extension(
    *,
    official,
    dossier: Dossier,
    new_due_date,
    reason: str,
    apology: str = "",
    version: int | None = None,
) -> Extension:
    """Form 04: apologise and set a new appointment date — once per dossier, at least one
    working day before the current appointment."""
    require(official, "onestop.process_dossier", dossier)
    if not (reason or "").strip():
        raise ValidationFailed("Vui lòng nêu lý do gia hạn.", code="reasons_required")
    if dossier.extended_once or Extension.objects.filter(dossier=dossier).exists():
        raise InvalidTransition(
            "Hồ sơ đã được gia hạn một lần; không thể gia hạn thêm.", code="already_extended"
        )
    if dossier.due_at is None:
        raise InvalidTransition("Hồ sơ chưa có ngày hẹn trả.", code="invalid_transition")
    at = clock_now()
    cal = Calendar()
    today = at.astimezone(VN).date()
    due_day = dossier.due_at.astimezone(VN).date()
    if cal.working_days_between(today, due_day) < 1:
        raise ValidationFailed(
            "Phải gửi thư xin lỗi và hẹn lại ngày trả ít nhất 01 ngày làm việc trước ngày hẹn.",
            code="extension_too_late",
        )
    if isinstance(new_due_date, datetime):
        new_due_date = new_due_date.astimezone(VN).date()
    if new_due_date <= due_day:
        raise ValidationFailed(
            "Ngày hẹn mới phải sau ngày hẹn hiện tại.", code="extension_date_invalid"
        )
    if not cal.is_working_day(new_due_date):
        raise ValidationFailed("Ngày hẹn mới phải là ngày làm việc.", code="extension_date_invalid")
    new_due = _end_of_office_day(new_due_date)
    old_due = dossier.due_at
    _transition(
        dossier,
        allowed=(*ACTIVE_PROCESS_STATES, S.PAUSED),
        action_label="gia hạn",
        version=version,
        due_at=new_due,
        extended_once=True,
    )
    extension = Extension.objects.create(
        dossier=dossier,
        old_due_at=old_due,
        new_due_at=new_due,
        reason=reason.strip(),
        apology=apology.strip(),
        proposed_by=official,
        created_at=at,
    )
    _event(
        dossier,
        action="extend",
        actor=official,
        at=at,
        step=dossier.current_step,
        note=f"Hẹn lại: {new_due_date:%d/%m/%Y}. {reason}",
    )
    notify_applicant(
        dossier,
        "onestop_extension",
        old_due=_local(old_due),
        reason=reason,
        apology=apology,
    )
    # audit last: the chain-head lock is then held only until commit
    _audit(official, "propose_extension", dossier, old_due=old_due, new_due=new_due)
    return extension
