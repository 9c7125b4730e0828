"""Reception at the one-stop desk: counter entry, accept (form 01), supplement (form 02), refuse (form 03).

At the counter the officer looks the citizen up by ID number (`look_up_citizen`), fills
the e-form on their behalf (the applicant is asked once: in the e-form when it has a
person block) and ticks the procedure's papers handed in, with originals and copies
(`PaperReceived`, stored as `ReceivedPaper` and printed on form 01). A dossier is
accepted only when every required paper is there (`missing_papers`).

The rules every use-case follows are in `common.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import prefetch_related_objects

from tinhso.accounts.models import Role, User
from tinhso.accounts.rules import require, visible_agency_filter
from tinhso.audit.services import record
from tinhso.core.errors import PermissionDenied, ValidationFailed
from tinhso.directory.models import Agency
from tinhso.onestop import codes, workflow
from tinhso.onestop.errors import OnestopError as E
from tinhso.onestop.models import (
    Channel,
    Dossier,
    DossierFile,
    IssuedForm,
    Procedure,
    ReceivedPaper,
    RequiredPaper,
    ReturnMethod,
    SupplementRequest,
)
from tinhso.onestop.payments.services import create_payment, record_cash_payment
from tinhso.onestop.services.applicant import (
    _new_dossier,
    _resolve_agencies,
    _validate_form,
    applicant_from_form,
    eform_satisfied,
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
from tinhso.onestop.services.forms_issued import declare_from_eform, issue_form
from tinhso.workdays.services import Calendar

MAX_COPIES = 99  # per paper, originals or copies


@dataclass(frozen=True)
class PaperReceived:
    """A paper of the procedure the officer ticked as handed in at the counter."""

    paper: RequiredPaper
    originals: int = 1
    copies: int = 0


def _counted(procedure: Procedure, papers: Sequence[PaperReceived]) -> list[PaperReceived]:
    """Check the checklist: papers of this procedure, each once, 0–99 originals and copies,
    at least one of them. The error names the paper."""
    seen: set[int] = set()
    result = []
    for item in papers:
        paper = item.paper
        if paper.procedure_id != procedure.pk:
            raise ValidationFailed(
                "Thành phần hồ sơ không thuộc thủ tục này.", code=E.PAPER_NOT_IN_PROCEDURE
            )
        if paper.pk in seen:
            raise ValidationFailed(
                f"Giấy tờ “{paper.name}” được kê hai lần.", code=E.PAPER_LISTED_TWICE
            )
        seen.add(paper.pk)
        try:
            originals, copies = int(item.originals), int(item.copies)
        except (TypeError, ValueError) as exc:
            raise ValidationFailed(
                f"Giấy tờ “{paper.name}”: số bản chính và bản sao phải là số.",
                code=E.PAPER_COUNT_INVALID,
            ) from exc
        if not (0 <= originals <= MAX_COPIES and 0 <= copies <= MAX_COPIES):
            raise ValidationFailed(
                f"Giấy tờ “{paper.name}”: số bản chính và bản sao phải từ 0 đến {MAX_COPIES}.",
                code=E.PAPER_COUNT_INVALID,
            )
        if originals + copies == 0:
            raise ValidationFailed(
                f"Giấy tờ “{paper.name}”: đã đánh dấu đã nhận thì cần ít nhất 1 bản "
                "(bản chính hoặc bản sao).",
                code=E.PAPER_COUNT_INVALID,
            )
        result.append(PaperReceived(paper, originals, copies))
    return result


def _missing_error(missing: list[str]) -> ValidationFailed:
    return ValidationFailed(
        "Chưa nhận đủ giấy tờ bắt buộc: "
        + "; ".join(f"“{name}”" for name in missing)
        + ". Nếu công dân chưa có đủ, hãy lập phiếu yêu cầu bổ sung hồ sơ (Mẫu 02).",
        code=E.MISSING_PAPERS,
        details={"missing": missing},
    )


def missing_papers(dossier: Dossier) -> list[str]:
    """The required papers of the dossier's procedure it does not have yet: neither handed
    in (counter), nor a file (online, or a scan), nor the e-form itself."""
    required = [
        paper
        for paper in dossier.procedure.papers.all()
        if paper.is_required and not eform_satisfied(paper, dossier.form_data)
    ]
    if not required:
        return []
    ids = [paper.pk for paper in required]
    handed_in = ReceivedPaper.objects.filter(dossier=dossier, required_paper__in=ids).values_list(
        "required_paper_id", flat=True
    )
    filed = DossierFile.objects.filter(
        dossier=dossier,
        kind__in=(DossierFile.Kind.PAPER, DossierFile.Kind.SUPPLEMENT),
        required_paper__in=ids,
    ).values_list("required_paper_id", flat=True)
    present = set(handed_in.order_by().union(filed.order_by()))  # one query
    return [paper.name for paper in required if paper.pk not in present]


def _record_received(
    dossier: Dossier,
    papers: Sequence[PaperReceived],
    *,
    officer,
    at: datetime,
    stage: str = ReceivedPaper.Stage.RECEPTION,
) -> list[ReceivedPaper]:
    return ReceivedPaper.objects.bulk_create(
        [
            ReceivedPaper(
                dossier=dossier,
                required_paper=item.paper,
                name=item.paper.name,
                originals=item.originals,
                copies=item.copies,
                stage=stage,
                received_by=officer,
                received_at=at,
            )
            for item in papers
        ]
    )


@dataclass(frozen=True)
class CitizenFound:
    """What the counter form is prefilled with after a look-up by ID number."""

    id_number: str
    name: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""
    account: Any = None  # the citizen's account on the portal, if they have one
    source: str = ""  # "account", "dossier" (an earlier dossier at this desk) or both


def _counter_agencies(officer):
    return Agency.objects.filter(visible_agency_filter(officer, [Role.ONESTOP_OFFICER]))


@transaction.atomic
def look_up_citizen(*, officer, id_number: str) -> CitizenFound | None:
    """A one-stop officer looks a citizen up by their 12-digit personal ID number (CCCD):
    their portal account and their latest dossier at this officer's desks. Each look-up
    is audited (personal data); nothing else changes."""
    if not _counter_agencies(officer).exists():
        raise PermissionDenied("Chỉ cán bộ một cửa được tra cứu công dân để tiếp nhận hồ sơ.")
    id_number = "".join((id_number or "").split())
    if not (len(id_number) == 12 and id_number.isdigit()):
        raise ValidationFailed(
            "Số định danh cá nhân (CCCD) phải gồm đúng 12 chữ số.", code=E.INVALID_CITIZEN_ID
        )
    account = (
        User.objects.filter(citizen_id=id_number, is_active=True)
        .exclude(kind=User.Kind.OFFICIAL)
        .first()
    )
    agencies = _counter_agencies(officer)
    earlier = (
        Dossier.objects.filter(applicant_id_number=id_number, receiving_agency__in=agencies)
        .order_by("-submitted_at", "-pk")
        .first()
    )
    record(
        actor=officer,
        action="onestop.look_up_citizen",
        object_type="accounts.citizen_id",
        object_id=f"…{id_number[-4:]}",
        summary={"found": bool(account or earlier)},
    )
    if account is None and earlier is None:
        return None
    sources = [name for name, hit in (("account", account), ("dossier", earlier)) if hit]
    return CitizenFound(
        id_number=id_number,
        name=(account.full_name if account else "") or (earlier.applicant_name if earlier else ""),
        phone=(account.phone if account else "") or (earlier.applicant_phone if earlier else ""),
        email=(account.email if account else "") or (earlier.applicant_email if earlier else ""),
        address=earlier.applicant_address if earlier else "",
        account=account,
        source="+".join(sources),
    )


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
    papers_received: Sequence[PaperReceived] = (),
) -> Dossier:
    """An officer enters a counter (or postal) dossier on the citizen's behalf; with
    `accept` it is accepted at once (code + form 01).

    `papers_received` is the checklist of papers handed in (a scan attached for a paper
    also counts as that paper handed in, with the procedure's usual number of copies).
    The applicant's name, ID, phone, e-mail and address, when not given, come from the
    e-form; `applicant` links the dossier to the citizen's account (same ID number)."""
    if channel not in (Channel.COUNTER, Channel.POST):
        raise ValidationFailed("Hình thức nộp không hợp lệ.", code=E.INVALID_CHANNEL)
    competent, receiving = _resolve_agencies(procedure, agency)
    receiving = receiving_agency or receiving
    require(officer, "onestop.receive_dossier", receiving)
    if not procedure.is_active:
        raise ValidationFailed("Thủ tục này hiện không áp dụng.", code=E.PROCEDURE_INACTIVE)
    cleaned = _validate_form(procedure, form_data)
    said = applicant_from_form(procedure.form_schema, cleaned)
    applicant_name = applicant_name or said.get("name", "")
    applicant_id_number = applicant_id_number or said.get("id_number", "")
    if applicant is not None and (
        not applicant_id_number or applicant.citizen_id != applicant_id_number.strip()
    ):
        raise ValidationFailed(
            "Tài khoản công dân không khớp số định danh của người nộp.",
            code=E.APPLICANT_ACCOUNT_MISMATCH,
        )
    checklist = _counted(procedure, papers_received)
    ticked = {item.paper.pk for item in checklist}
    for item in attachments:  # a scan of a paper not ticked: that paper was handed in
        if item.paper is not None and item.paper.pk not in ticked:
            ticked.add(item.paper.pk)
            checklist.append(
                PaperReceived(item.paper, item.paper.copies_original, item.paper.copies_copy)
            )
    if accept:  # before anything is stored: a refused reception changes nothing
        missing = [
            p.name
            for p in procedure.papers.all()
            if p.is_required and p.pk not in ticked and not eform_satisfied(p, cleaned)
        ]
        if missing:
            raise _missing_error(missing)
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
        applicant_phone=applicant_phone or said.get("phone", ""),
        applicant_email=applicant_email or said.get("email", ""),
        applicant_address=applicant_address or said.get("address", ""),
        form_data=cleaned,
        return_method=return_method,
        postal_address=postal_address,
        at=at,
    )
    _attach(dossier, attachments, kind=DossierFile.Kind.PAPER, actor=officer, owner=applicant)
    declare_from_eform(dossier, actor=officer, by_officer=True)  # printed for signing
    _record_received(dossier, checklist, officer=officer, at=at)
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
    prefetch_related_objects([dossier.procedure], "papers")  # read once: check and form 01
    missing = missing_papers(dossier)
    if missing:
        raise _missing_error(missing)
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
    event = _event(
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
    issue_form(dossier, IssuedForm.Number.RECEIPT, event=event)  # the slip as handed over
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
            "Vui lòng liệt kê đầy đủ các giấy tờ cần bổ sung (một lần).", code=E.ITEMS_REQUIRED
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
    event = _event(
        dossier,
        action="request_supplement",
        actor=official,
        at=at,
        step=dossier.current_step,
        note="; ".join(items) + (f" — {note}" if note else ""),
    )
    issue_form(dossier, IssuedForm.Number.SUPPLEMENT, event=event, supplement=supplement)
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
        raise ValidationFailed("Vui lòng nêu rõ lý do từ chối.", code=E.REASONS_REQUIRED)
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
    event = _event(dossier, action="refuse", actor=officer, at=at, note=reasons)
    issue_form(dossier, IssuedForm.Number.REFUSAL, event=event, officer=officer)
    notify_applicant(dossier, "onestop_refused", reasons=reasons)
    # audit last: the chain-head lock is then held only until commit
    _audit(officer, "refuse_reception", dossier, agency=dossier.receiving_agency_id)
    return dossier
