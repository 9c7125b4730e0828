"""Processing inside the agencies: assign, hand over between steps, obligations, pause, extension.

The rules every use-case follows are in `common.py`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from django.db import transaction

from tinhso.core.errors import ValidationFailed
from tinhso.onestop import workflow
from tinhso.onestop.errors import OnestopError as E
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
from tinhso.onestop.services.forms_issued import issue_form
from tinhso.workdays.services import VN, Calendar


@transaction.atomic
def assign(
    *, official, dossier: Dossier, assignee, note: str = "", version: int | None = None
) -> Dossier:
    """Give the current step to one official of the handling agency."""
    workflow.check("assign", official, dossier)
    if assignee is None:
        raise ValidationFailed("Vui lòng chọn người được giao xử lý.", code=E.ASSIGNEE_REQUIRED)
    handling = dossier.handling_agency or dossier.agency
    _check_official_in(assignee, handling, "Người được giao không thuộc cơ quan đang xử lý hồ sơ.")
    at = clock_now()
    _transition(
        dossier,
        allowed=workflow.states("assign"),
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
    workflow.check("start", official, dossier)
    at = clock_now()
    _transition(
        dossier,
        allowed=workflow.states("start"),
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
    workflow.check("forward", official, dossier)
    nxt = _next_step(dossier)
    assert nxt is not None  # the workflow's guard
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
        allowed=workflow.states("forward"),
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
    workflow.check("send_back", official, dossier)
    if not (note or "").strip():
        raise ValidationFailed("Vui lòng ghi lý do chuyển trả.", code=E.REASONS_REQUIRED)
    steps = _steps(dossier)
    current_index = next(i for i, s in enumerate(steps) if s.pk == dossier.current_step_id)
    target: ProcessStep | None = steps[current_index - 1]
    if to_step is not None:
        target = next((s for s in steps[:current_index] if s.pk == to_step.pk), None)
    if target is None:
        raise ValidationFailed("Bước chuyển trả không hợp lệ.", code=E.INVALID_STEP)
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
        allowed=workflow.states("send_back"),
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
    workflow.check("financial", official, dossier)
    amount = check_amount(amount_vnd)
    at = clock_now()
    _transition(
        dossier,
        allowed=workflow.states("financial"),
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
    workflow.check("pause", official, dossier)
    if not (reason or "").strip():
        raise ValidationFailed("Vui lòng ghi lý do tạm dừng.", code=E.REASONS_REQUIRED)
    at = clock_now()
    previous = dossier.state
    _transition(
        dossier,
        allowed=workflow.states("pause"),
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
    workflow.check("resume", official, dossier)
    at = clock_now()
    cal = Calendar()
    _transition(
        dossier,
        allowed=workflow.states("resume"),
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
    workflow.check("extend", official, dossier)
    if not (reason or "").strip():
        raise ValidationFailed("Vui lòng nêu lý do gia hạn.", code=E.REASONS_REQUIRED)
    assert dossier.due_at is not None  # the workflow's guard
    if not isinstance(new_due_date, date):
        raise ValidationFailed("Ngày hẹn mới không hợp lệ.", code=E.INVALID_DATE)
    at = clock_now()
    cal = Calendar()
    due_day = dossier.due_at.astimezone(VN).date()
    if isinstance(new_due_date, datetime):
        new_due_date = new_due_date.astimezone(VN).date()
    if new_due_date <= due_day:
        raise ValidationFailed(
            "Ngày hẹn mới phải sau ngày hẹn hiện tại.", code=E.EXTENSION_DATE_INVALID
        )
    if not cal.is_working_day(new_due_date):
        raise ValidationFailed("Ngày hẹn mới phải là ngày làm việc.", code=E.EXTENSION_DATE_INVALID)
    new_due = _end_of_office_day(new_due_date)
    old_due = dossier.due_at
    _transition(
        dossier,
        allowed=workflow.states("extend"),
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
    event = _event(
        dossier,
        action="extend",
        actor=official,
        at=at,
        step=dossier.current_step,
        note=f"Hẹn lại: {new_due_date:%d/%m/%Y}. {reason}",
    )
    issue_form(dossier, "04", event=event, extension=extension)  # form 04, as issued
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
