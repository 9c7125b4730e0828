"""Reception at the one-stop desk: counter entry, accept (form 01), supplement (form 02), refuse (form 03).

The rules every use-case follows are in `common.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.db import transaction

from tinhso.accounts.rules import require
from tinhso.core.errors import ValidationFailed
from tinhso.onestop import codes, workflow
from tinhso.onestop.models import (
    Channel,
    Dossier,
    DossierFile,
    Procedure,
    ReturnMethod,
    SupplementRequest,
)
from tinhso.onestop.payments.services import create_payment, record_cash_payment
from tinhso.onestop.services.applicant import (
    _new_dossier,
    _resolve_agencies,
    _validate_form,
)
from tinhso.onestop.services.clock import now as clock_now
from tinhso.onestop.services.common import (
    Attachment,
    S,
    _attach,
    _audit,
    _event,
    _first_step,
    _step_agency,
    _step_due,
    _transition,
    notify_applicant,
    reception_keeper,
)
from tinhso.workdays.services import Calendar


@transaction.atomic
def receive_counter_dossier(
    *,
    officer,
    procedure: Procedure,
    applicant_name: str,
    form_data: dict | None = None,
    attachments: Sequence[Attachment] = (),
    agency=None,
    receiving_agency=None,
    applicant=None,
    applicant_id_number: str = "",
    applicant_phone: str = "",
    applicant_email: str = "",
    applicant_address: str = "",
    channel: str = Channel.COUNTER,
    return_method: str = ReturnMethod.COUNTER,
    postal_address: str = "",
    accept: bool = True,
    fee_paid_cash: bool = False,
) -> Dossier:
    """An officer enters a counter (or postal) dossier on the citizen's behalf; with
    `accept` it is accepted at once (code + form 01)."""
    if channel not in (Channel.COUNTER, Channel.POST):
        raise ValidationFailed("Hình thức nộp không hợp lệ.", code="invalid_channel")
    competent, receiving = _resolve_agencies(procedure, agency)
    receiving = receiving_agency or receiving
    require(officer, "onestop.receive_dossier", receiving)
    if not procedure.is_active:
        raise ValidationFailed("Thủ tục này hiện không áp dụng.", code="procedure_inactive")
    cleaned = _validate_form(procedure, form_data)
    at = clock_now()
    dossier = _new_dossier(
        procedure=procedure,
        competent=competent,
        receiving=receiving,
        channel=channel,
        applicant=applicant,
        submitted_by=officer,
        applicant_name=applicant_name,
        applicant_id_number=applicant_id_number,
        applicant_phone=applicant_phone,
        applicant_email=applicant_email,
        applicant_address=applicant_address,
        form_data=cleaned,
        return_method=return_method,
        postal_address=postal_address,
        at=at,
    )
    _attach(dossier, attachments, kind=DossierFile.Kind.PAPER, actor=officer, owner=applicant)
    if procedure.fee_vnd:
        payment = create_payment(
            dossier=dossier, amount_vnd=procedure.fee_vnd, purpose="fee", online=False
        )
        if fee_paid_cash:
            record_cash_payment(payment=payment, officer=officer)
            dossier.refresh_from_db()
    _event(dossier, action="receive_counter", actor=officer, at=at, to_agency=receiving)
    _audit(officer, "receive_counter_dossier", dossier, agency=receiving.pk)
    if accept:
        dossier = accept_dossier(officer=officer, dossier=dossier)
    return dossier


@transaction.atomic
def accept_dossier(
    *, officer, dossier: Dossier, version: int | None = None, note: str = ""
) -> Dossier:
    """Accept a complete dossier: the code, the appointment date (status 2), form 01."""
    workflow.check("accept", officer, dossier)
    at = clock_now()
    cal = Calendar()
    due = cal.add_working_days(at, dossier.procedure.processing_days)
    dossier.clock_started_at = at  # for _step_due
    dossier.paused_days = Decimal("0")
    first = _first_step(dossier)
    handling = _step_agency(dossier, first)
    step_due = _step_due(cal, dossier, first)
    # last before the UPDATE: the day's sequence row stays locked only until commit
    code = codes.next_dossier_code(dossier.receiving_agency, at)
    _transition(
        dossier,
        allowed=workflow.states("accept"),
        action_label="tiếp nhận",
        version=version,
        state=S.ACCEPTED,
        code=code,
        received_at=at,
        received_by=officer,
        clock_started_at=at,
        due_at=due,
        original_due_at=due,
        current_step=first,
        assignee=reception_keeper(dossier, first, officer),
        step_started_at=at if first else None,
        step_due_at=step_due,
        handling_agency=handling,
        paused_days=Decimal("0"),
    )
    _event(
        dossier,
        action="accept",
        actor=officer,
        at=at,
        to_user=dossier.assignee,
        from_agency=dossier.receiving_agency,
        to_agency=handling,
        step=first,
        step_due_at=dossier.step_due_at,
        note=note,
    )
    notify_applicant(dossier, "onestop_accepted")
    # audit last: the chain-head lock is then held only until commit
    _audit(officer, "accept_dossier", dossier, agency=dossier.receiving_agency_id, code=code)
    return dossier


@transaction.atomic
def request_supplement(
    *,
    official,
    dossier: Dossier,
    items: Sequence[str],
    note: str = "",
    version: int | None = None,
) -> SupplementRequest:
    """Form 02: one complete list of everything missing (status 5).

    At reception (status 1) by the one-stop officer; during processing by whoever processes
    it, within PROCESSING_SUPPLEMENT_DAYS working days of acceptance — the clock then
    restarts from zero when the citizen completes the dossier."""
    action = workflow.for_state(("reception_supplement", "supplement"), dossier)
    action.check(official, dossier)
    items = [str(i).strip() for i in items if str(i).strip()]
    if not items:
        raise ValidationFailed(
            "Vui lòng liệt kê đầy đủ các giấy tờ cần bổ sung (một lần).", code="items_required"
        )
    at = clock_now()
    if action.name == "reception_supplement":
        stage = SupplementRequest.Stage.RECEPTION
        changes: dict = {"state": S.RECEPTION_SUPPLEMENT}
    else:  # during processing: the clock restarts when the citizen completes it
        stage = SupplementRequest.Stage.PROCESSING
        changes = {"state": S.SUPPLEMENT, "paused_at": at}
    _transition(
        dossier,
        allowed=action.states,
        action_label="yêu cầu bổ sung",
        version=version,
        **changes,
    )
    supplement = SupplementRequest.objects.create(
        dossier=dossier,
        stage=stage,
        items=items,
        note=note,
        requested_by=official,
        requested_at=at,
    )
    _event(
        dossier,
        action="request_supplement",
        actor=official,
        at=at,
        step=dossier.current_step,
        note="; ".join(items) + (f" — {note}" if note else ""),
    )
    notify_applicant(dossier, "onestop_supplement", items=items, note=note)
    # audit last: the chain-head lock is then held only until commit
    _audit(official, "request_supplement", dossier, stage=stage, items=items)
    return supplement


@transaction.atomic
def refuse_reception(
    *, officer, dossier: Dossier, reasons: str, version: int | None = None
) -> Dossier:
    """Form 03: the dossier is not eligible; refused with reasons (status 3)."""
    workflow.check("refuse", officer, dossier)
    if not (reasons or "").strip():
        raise ValidationFailed("Vui lòng nêu rõ lý do từ chối.", code="reasons_required")
    at = clock_now()
    _transition(
        dossier,
        allowed=workflow.states("refuse"),
        action_label="từ chối tiếp nhận",
        version=version,
        state=S.REFUSED,
        refusal_reasons=reasons.strip(),
        finished_at=at,
    )
    _event(dossier, action="refuse", actor=officer, at=at, note=reasons)
    notify_applicant(dossier, "onestop_refused", reasons=reasons)
    # audit last: the chain-head lock is then held only until commit
    _audit(officer, "refuse_reception", dossier, agency=dossier.receiving_agency_id)
    return dossier
