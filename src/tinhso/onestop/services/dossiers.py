"""Write use-cases of a dossier's life: one function per thing a person does.

Every function takes keyword-only arguments, runs in one transaction, checks permission
(`tinhso.accounts.rules.require`), writes the audit trail and a `DossierEvent` (a line of
the form-05 process-control slip), and enqueues the applicant's notifications in the
outbox. State changes go through `_transition`: a conditional UPDATE on
(pk, version, state) — if another official changed the dossier first, nothing is written
and `Conflict("dossier_changed")` (409) is raised; if the action is not allowed in the
current state, `InvalidTransition` (409) is raised and nothing is written.

Deadlines (domain/onestop.md, workdays.md):
- the appointment (`due_at`) = acceptance moment + the procedure's processing time in
  working days (tinhso.workdays: first day not counted, the 15:00 cut-off shifts the start);
- a supplement requested during processing restarts the clock from zero when the citizen
  completes the dossier (`due_at` recomputed from that moment);
- pause / financial obligation: the working days spent waiting push `due_at` (and the step
  deadline) later — paused time does not count against the agency;
- an extension (form 04) may be proposed once, at least 1 working day before `due_at`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Sum

from tinhso.accounts.models import Role
from tinhso.accounts.rules import has_role, require
from tinhso.audit.services import record
from tinhso.core.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from tinhso.notify.services import enqueue, notify_user
from tinhso.onestop import codes
from tinhso.onestop.models import (
    Channel,
    Dossier,
    DossierEvent,
    DossierFile,
    DossierState,
    Extension,
    Payment,
    Procedure,
    ProcessStep,
    Rating,
    RequiredPaper,
    ReturnMethod,
    SupplementRequest,
    Timeliness,
    WalletItem,
)
from tinhso.onestop.services import files as file_store
from tinhso.onestop.services.clock import now as clock_now
from tinhso.workdays import conf as workdays_conf
from tinhso.workdays.services import VN, Calendar

S = DossierState
# Working days after acceptance during which processing may still ask for a supplement.
PROCESSING_SUPPLEMENT_DAYS = getattr(settings, "ONESTOP_PROCESSING_SUPPLEMENT_DAYS", 3)

ACTIVE_PROCESS_STATES = (S.ACCEPTED, S.PROCESSING)
WITHDRAWABLE = (
    S.SUBMITTED,
    S.RECEPTION_SUPPLEMENT,
    S.ACCEPTED,
    S.PROCESSING,
    S.SUPPLEMENT,
    S.FINANCIAL,
    S.PAUSED,
)


# ---------------------------------------------------------------------------------------
# Inputs


@dataclass
class Attachment:
    """A paper attached to a dossier: a new upload (`file`) or a wallet item."""

    file: Any = None  # an UploadedFile / File / binary stream with .name
    wallet_item: WalletItem | None = None
    paper: RequiredPaper | None = None
    name: str = ""


# ---------------------------------------------------------------------------------------
# Helpers


def _user_name(user) -> str:
    if user is None:
        return ""
    return (getattr(user, "full_name", "") or getattr(user, "username", "") or str(user))[:150]


def _ensure_state(dossier: Dossier, allowed: Iterable[str], action_label: str) -> None:
    if dossier.state not in tuple(allowed):
        raise InvalidTransition(
            f"Không thể {action_label} khi hồ sơ ở trạng thái “{dossier.get_state_display()}”.",
            code="invalid_transition",
        )


def _transition(
    dossier: Dossier,
    *,
    allowed: Iterable[str],
    action_label: str,
    version: int | None = None,
    **changes: Any,
) -> Dossier:
    """Apply `changes` iff the dossier is still at `version` and in an allowed state."""
    allowed = tuple(allowed)
    expected = dossier.version if version is None else version
    _ensure_state(dossier, allowed, action_label)
    updated = Dossier.objects.filter(pk=dossier.pk, version=expected, state__in=allowed).update(
        version=expected + 1, **changes
    )
    if not updated:
        current = Dossier.objects.filter(pk=dossier.pk).values_list("state", "version").first()
        if current is None:
            raise NotFound("Không tìm thấy hồ sơ.", code="dossier_not_found")
        raise Conflict(
            "Hồ sơ vừa được người khác xử lý. Vui lòng tải lại trang để xem trạng thái mới "
            "rồi thao tác lại.",
            code="dossier_changed",
        )
    for key, value in changes.items():
        setattr(dossier, key, value)
    dossier.version = expected + 1
    return dossier


def _event(
    dossier: Dossier,
    *,
    action: str,
    actor=None,
    at: datetime,
    to_user=None,
    from_agency=None,
    to_agency=None,
    step: ProcessStep | None = None,
    step_due_at: datetime | None = None,
    on_time: bool | None = None,
    note: str = "",
) -> DossierEvent:
    return DossierEvent.objects.create(
        dossier=dossier,
        action=action,
        at=at,
        step=step,
        step_name=step.name if step else "",
        from_user=actor if getattr(actor, "pk", None) else None,
        from_name=_user_name(actor),
        to_user=to_user,
        to_name=_user_name(to_user),
        from_agency=from_agency,
        to_agency=to_agency,
        state_after=dossier.state,
        step_due_at=step_due_at,
        on_time=on_time,
        note=note or "",
    )


def _audit(actor, action: str, dossier: Dossier, agency=None, **summary: Any) -> None:
    record(
        actor=actor,
        action=f"onestop.{action}",
        obj=dossier,
        agency=agency or dossier.handling_agency_id or dossier.agency_id,
        summary={"state": dossier.state, **summary},
    )


def _local(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return moment.astimezone(VN).strftime("%H:%M ngày %d/%m/%Y")


def notify_applicant(dossier: Dossier, template: str, **extra: Any) -> int:
    """Enqueue `notify/<template>.txt` to the applicant (account, else the given contacts)."""
    context = {
        "dossier": dossier,
        "code": dossier.code or "",
        "procedure": dossier.procedure.name,
        "applicant": dossier.applicant_name,
        "due": _local(dossier.due_at),
        "agency": dossier.receiving_agency.name,
        "site_url": getattr(settings, "TINHSO_SITE_URL", ""),
        **extra,
    }
    related = f"dossier {dossier.code or dossier.uid}"
    if dossier.applicant is not None and (dossier.applicant.email or dossier.applicant.phone):
        return len(
            notify_user(
                user=dossier.applicant, template=template, context=context, related_object=related
            )
        )
    sent = 0
    from tinhso.notify.models import Message

    for channel, address in (
        (Message.Channel.EMAIL, dossier.applicant_email),
        (Message.Channel.SMS, dossier.applicant_phone),
    ):
        if address:
            enqueue(
                channel=channel,
                address=address,
                template=template,
                context=context,
                recipient=dossier.applicant,
                related_object=related,
            )
            sent += 1
    return sent


def _steps(dossier: Dossier) -> list[ProcessStep]:
    if dossier.process_template_id is None:
        return []
    cache = getattr(dossier, "_steps_cache", None)
    if cache is None:
        cache = list(ProcessStep.objects.filter(template_id=dossier.process_template_id))
        dossier._steps_cache = cache  # type: ignore[attr-defined]
    return cache


def _cumulative_days(steps: Sequence[ProcessStep], upto: ProcessStep) -> Decimal:
    total = Decimal("0")
    for step in steps:
        total += step.budget_days
        if step.pk == upto.pk:
            break
    return total


def _step_due(cal: Calendar, dossier: Dossier, step: ProcessStep | None) -> datetime | None:
    """A step is due when the budgets of the steps up to it have run from the clock start
    (plus the working days paused so far)."""
    if step is None or dossier.clock_started_at is None:
        return None
    days = _cumulative_days(_steps(dossier), step)
    if days <= 0:
        return dossier.clock_started_at
    due = cal.add_working_days(dossier.clock_started_at, days)
    return shift_working_days(cal, due, dossier.paused_days)


def shift_working_days(cal: Calendar, moment: datetime, days: Decimal | int) -> datetime:
    """The same office time `days` whole working days later (pause compensation)."""
    whole = int(Decimal(days))
    if whole <= 0:
        return moment
    local = moment.astimezone(VN)
    day = local.date()
    for _ in range(whole):
        day = cal.next_working_day(day)
    return datetime.combine(day, local.timetz())


def timeliness_of(result_at: datetime, due_at: datetime | None) -> str:
    """Early / on time / late: the result's local date against the appointment's date."""
    if due_at is None:
        return Timeliness.ON_TIME
    result_day = result_at.astimezone(VN).date()
    due_day = due_at.astimezone(VN).date()
    if result_day < due_day:
        return Timeliness.EARLY
    if result_day == due_day:
        return Timeliness.ON_TIME
    return Timeliness.LATE


def _first_step(dossier: Dossier) -> ProcessStep | None:
    steps = _steps(dossier)
    return steps[0] if steps else None


def _next_step(dossier: Dossier) -> ProcessStep | None:
    steps = _steps(dossier)
    if dossier.current_step_id is None:
        return steps[0] if steps else None
    for index, step in enumerate(steps):
        if step.pk == dossier.current_step_id and index + 1 < len(steps):
            return steps[index + 1]
    return None


def _step_agency(dossier: Dossier, step: ProcessStep | None):
    return (step.agency if step is not None and step.agency_id else None) or dossier.agency


def _check_official_in(user, agency, message: str) -> None:
    if user is not None and not has_role(
        user, agency, {Role.SPECIALIST, Role.LEADER, Role.ONESTOP_OFFICER}
    ):
        raise ValidationFailed(message, code="assignee_outside_agency")


def get_dossier(*, code: str | None = None, uid: Any = None) -> Dossier:
    queryset = Dossier.objects.select_related(
        "procedure", "receiving_agency", "agency", "handling_agency", "current_step", "applicant"
    )
    try:
        if code:
            return queryset.get(code=code.strip().upper())
        return queryset.get(uid=uid)
    except (Dossier.DoesNotExist, ValueError, DjangoValidationError) as exc:
        raise NotFound("Không tìm thấy hồ sơ.", code="dossier_not_found") from exc


# ---------------------------------------------------------------------------------------
# Attachments and the wallet


def _attach(
    dossier: Dossier,
    attachments: Sequence[Attachment],
    *,
    kind: str,
    actor,
    owner=None,
) -> list[DossierFile]:
    """Store uploads (once, in the owner's wallet when there is an owner) and wallet picks."""
    created = []
    for item in attachments:
        paper = item.paper
        if paper is not None and paper.procedure_id != dossier.procedure_id:
            raise ValidationFailed(
                "Thành phần hồ sơ không thuộc thủ tục này.", code="paper_not_in_procedure"
            )
        name = item.name or (paper.name if paper else "")
        if item.wallet_item is not None:
            picked = item.wallet_item
            if owner is None or picked.owner_id != owner.pk:
                raise ValidationFailed(
                    "Giấy tờ trong kho dữ liệu không thuộc về người nộp.", code="wallet_not_owner"
                )
            created.append(
                DossierFile(
                    dossier=dossier,
                    kind=kind,
                    required_paper=paper,
                    name=name or picked.name,
                    file=picked.file.name,
                    original_name=picked.original_name,
                    sha256=picked.sha256,
                    size=picked.size,
                    content_type=picked.content_type,
                    wallet_item=picked,
                    uploaded_by=actor,
                )
            )
            continue
        if item.file is None:
            raise ValidationFailed("Thiếu tệp đính kèm.", code="file_missing")
        stored = file_store.store(item.file, folder="dossiers")
        wallet: WalletItem | None = None
        if owner is not None:
            wallet, _created = WalletItem.objects.get_or_create(
                owner=owner,
                sha256=stored.sha256,
                defaults=dict(
                    name=name or stored.original_name,
                    file=stored.name,
                    original_name=stored.original_name,
                    size=stored.size,
                    content_type=stored.content_type,
                ),
            )
            if not _created:  # same content already in the wallet: keep one stored copy
                from django.core.files.storage import default_storage

                default_storage.delete(stored.name)
        created.append(
            DossierFile(
                dossier=dossier,
                kind=kind,
                required_paper=paper,
                name=name or stored.original_name,
                file=wallet.file.name if wallet else stored.name,
                original_name=stored.original_name,
                sha256=stored.sha256,
                size=stored.size,
                content_type=stored.content_type,
                wallet_item=wallet,
                uploaded_by=actor,
            )
        )
    return DossierFile.objects.bulk_create(created)


def _validate_form(procedure: Procedure, form_data: Any) -> dict:
    schema = procedure.form_schema or {}
    if not schema:
        return dict(form_data or {})
    from tinhso.onestop.eforms import validate_form_data

    return validate_form_data(schema, form_data or {})


def _check_required_papers(procedure: Procedure, attachments: Sequence[Attachment]) -> None:
    given = {a.paper.pk for a in attachments if a.paper is not None}
    missing = [p.name for p in procedure.papers.all() if p.is_required and p.pk not in given]
    if missing:
        raise ValidationFailed(
            "Hồ sơ còn thiếu giấy tờ bắt buộc: " + "; ".join(missing) + ".",
            code="missing_papers",
            details={"missing": missing},
        )


def _resolve_agencies(procedure: Procedure, agency) -> tuple[Any, Any]:
    competent = procedure.agency or agency
    if competent is None:
        raise ValidationFailed("Vui lòng chọn cơ quan giải quyết hồ sơ.", code="agency_required")
    if procedure.agency_id and agency is not None and agency.pk != procedure.agency_id:
        raise ValidationFailed(
            "Cơ quan đã chọn không giải quyết thủ tục này.", code="agency_mismatch"
        )
    receiving = procedure.receiving_agency or competent
    return competent, receiving


def _new_dossier(
    *,
    procedure: Procedure,
    competent,
    receiving,
    channel: str,
    applicant,
    submitted_by,
    applicant_name: str,
    applicant_id_number: str,
    applicant_phone: str,
    applicant_email: str,
    applicant_address: str,
    form_data: dict,
    return_method: str,
    postal_address: str,
    at: datetime,
) -> Dossier:
    if not (applicant_name or "").strip():
        raise ValidationFailed("Vui lòng nhập họ tên người nộp hồ sơ.", code="applicant_required")
    if return_method not in ReturnMethod.values:
        raise ValidationFailed("Hình thức nhận kết quả không hợp lệ.", code="invalid_return")
    if return_method == ReturnMethod.POST and not (postal_address or applicant_address):
        raise ValidationFailed(
            "Vui lòng nhập địa chỉ nhận kết quả qua bưu chính.", code="postal_address_required"
        )
    template = procedure.active_process()
    return Dossier.objects.create(
        procedure=procedure,
        field_id=procedure.field_id,
        process_template=template,
        agency=competent,
        receiving_agency=receiving,
        channel=channel,
        online_type=procedure.online_type if channel == Channel.ONLINE else "",
        state=S.SUBMITTED,
        applicant=applicant,
        submitted_by=submitted_by,
        applicant_name=applicant_name.strip(),
        applicant_id_number=(applicant_id_number or "").strip(),
        applicant_phone=(applicant_phone or "").strip(),
        applicant_email=(applicant_email or "").strip(),
        applicant_address=(applicant_address or "").strip(),
        form_data=form_data,
        submitted_at=at,
        fee_vnd=procedure.fee_vnd,
        return_method=return_method,
        postal_address=postal_address or "",
    )


# ---------------------------------------------------------------------------------------
# Submission and reception


@transaction.atomic
def submit_dossier(
    *,
    user,
    procedure: Procedure,
    form_data: dict | None = None,
    attachments: Sequence[Attachment] = (),
    agency=None,
    applicant_name: str = "",
    applicant_id_number: str = "",
    applicant_phone: str = "",
    applicant_email: str = "",
    applicant_address: str = "",
    return_method: str = ReturnMethod.ONLINE,
    postal_address: str = "",
) -> Dossier:
    """A citizen submits a dossier online (status 1). A fee creates a pending payment."""
    if not getattr(user, "is_authenticated", False):
        from tinhso.core.errors import PermissionDenied

        raise PermissionDenied("Vui lòng đăng nhập để nộp hồ sơ trực tuyến.")
    if not procedure.is_active:
        raise ValidationFailed("Thủ tục này hiện không áp dụng.", code="procedure_inactive")
    require(user, "onestop.submit_dossier", procedure)
    cleaned = _validate_form(procedure, form_data)
    _check_required_papers(procedure, attachments)
    competent, receiving = _resolve_agencies(procedure, agency)
    at = clock_now()
    dossier = _new_dossier(
        procedure=procedure,
        competent=competent,
        receiving=receiving,
        channel=Channel.ONLINE,
        applicant=user,
        submitted_by=user,
        applicant_name=applicant_name or user.full_name or user.username,
        applicant_id_number=applicant_id_number or (user.citizen_id or user.tax_code or ""),
        applicant_phone=applicant_phone or user.phone,
        applicant_email=applicant_email or user.email,
        applicant_address=applicant_address,
        form_data=cleaned,
        return_method=return_method,
        postal_address=postal_address,
        at=at,
    )
    _attach(dossier, attachments, kind=DossierFile.Kind.PAPER, actor=user, owner=user)
    if procedure.fee_vnd:
        from tinhso.onestop.payments.services import create_payment

        create_payment(dossier=dossier, amount_vnd=procedure.fee_vnd, purpose="fee")
    _event(dossier, action="submit", actor=user, at=at, to_agency=receiving)
    _audit(user, "submit_dossier", dossier, agency=receiving.pk, procedure=procedure.code)
    return dossier


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
        from tinhso.onestop.payments.services import create_payment, record_cash_payment

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
    require(officer, "onestop.accept_dossier", dossier)
    _ensure_state(dossier, (S.SUBMITTED,), "tiếp nhận")
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
        allowed=(S.SUBMITTED,),
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
    items = [str(i).strip() for i in items if str(i).strip()]
    if not items:
        raise ValidationFailed(
            "Vui lòng liệt kê đầy đủ các giấy tờ cần bổ sung (một lần).", code="items_required"
        )
    at = clock_now()
    if dossier.state in (S.SUBMITTED,):
        require(official, "onestop.accept_dossier", dossier)
        stage = SupplementRequest.Stage.RECEPTION
        _transition(
            dossier,
            allowed=(S.SUBMITTED,),
            action_label="yêu cầu bổ sung",
            version=version,
            state=S.RECEPTION_SUPPLEMENT,
        )
    else:
        require(official, "onestop.process_dossier", dossier)
        stage = SupplementRequest.Stage.PROCESSING
        if dossier.state in ACTIVE_PROCESS_STATES and dossier.received_at is not None:
            cal = Calendar()
            if PROCESSING_SUPPLEMENT_DAYS is not None:
                elapsed = cal.working_days_between(
                    dossier.received_at.astimezone(VN).date(), at.astimezone(VN).date()
                )
                if elapsed > PROCESSING_SUPPLEMENT_DAYS:
                    raise ValidationFailed(
                        f"Đã quá {PROCESSING_SUPPLEMENT_DAYS} ngày làm việc kể từ ngày tiếp "
                        "nhận: không thể yêu cầu bổ sung hồ sơ; vui lòng xử lý hoặc trả lại "
                        "hồ sơ kèm lý do.",
                        code="supplement_window_passed",
                    )
        _transition(
            dossier,
            allowed=ACTIVE_PROCESS_STATES,
            action_label="yêu cầu bổ sung",
            version=version,
            state=S.SUPPLEMENT,
            paused_at=at,
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
def answer_supplement(
    *,
    user,
    dossier: Dossier,
    attachments: Sequence[Attachment] = (),
    note: str = "",
    form_data: dict | None = None,
    version: int | None = None,
) -> Dossier:
    """The citizen (or the counter officer on their behalf) completes the dossier.

    At reception it goes back to the reception queue; during processing it resumes and
    the clock restarts from zero: the appointment is recomputed from now."""
    is_owner = dossier.applicant_id is not None and dossier.applicant_id == user.pk
    if not is_owner:
        require(user, "onestop.accept_dossier", dossier)
    supplement = dossier.supplements.filter(answered_at__isnull=True).order_by("-pk").first()
    if supplement is None or dossier.state not in (S.RECEPTION_SUPPLEMENT, S.SUPPLEMENT):
        raise InvalidTransition("Hồ sơ không ở trạng thái chờ bổ sung.", code="invalid_transition")
    if not attachments and not note.strip() and form_data is None:
        raise ValidationFailed(
            "Vui lòng đính kèm giấy tờ bổ sung hoặc ghi nội dung bổ sung.",
            code="supplement_empty",
        )
    at = clock_now()
    changes: dict[str, Any] = {}
    if form_data is not None:
        changes["form_data"] = _validate_form(dossier.procedure, form_data)
    if dossier.state == S.RECEPTION_SUPPLEMENT:
        _transition(
            dossier,
            allowed=(S.RECEPTION_SUPPLEMENT,),
            action_label="bổ sung hồ sơ",
            version=version,
            state=S.SUBMITTED,
            **changes,
        )
    else:
        cal = Calendar()
        due = cal.add_working_days(at, dossier.procedure.processing_days)
        dossier.clock_started_at = at
        dossier.paused_days = Decimal("0")
        _transition(
            dossier,
            allowed=(S.SUPPLEMENT,),
            action_label="bổ sung hồ sơ",
            version=version,
            state=S.PROCESSING,
            clock_started_at=at,
            clock_restarted=True,
            due_at=due,
            original_due_at=due,
            paused_at=None,
            paused_days=Decimal("0"),
            step_due_at=_step_due(cal, dossier, dossier.current_step),
            **changes,
        )
    owner = dossier.applicant if dossier.applicant_id else None
    _attach(dossier, attachments, kind=DossierFile.Kind.SUPPLEMENT, actor=user, owner=owner)
    supplement.answered_at = at
    supplement.answer_note = note
    supplement.save(update_fields=["answered_at", "answer_note"])
    _event(dossier, action="answer_supplement", actor=user, at=at, note=note)
    if dossier.state == S.PROCESSING:
        notify_applicant(dossier, "onestop_restarted")
    # audit last: the chain-head lock is then held only until commit
    _audit(user, "answer_supplement", dossier, files=len(attachments))
    return dossier


@transaction.atomic
def refuse_reception(
    *, officer, dossier: Dossier, reasons: str, version: int | None = None
) -> Dossier:
    """Form 03: the dossier is not eligible; refused with reasons (status 3)."""
    require(officer, "onestop.accept_dossier", dossier)
    if not (reasons or "").strip():
        raise ValidationFailed("Vui lòng nêu rõ lý do từ chối.", code="reasons_required")
    at = clock_now()
    _transition(
        dossier,
        allowed=(S.SUBMITTED, S.RECEPTION_SUPPLEMENT),
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


# ---------------------------------------------------------------------------------------
# Processing


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
    try:
        amount = int(amount_vnd)
    except (TypeError, ValueError) as exc:
        raise ValidationFailed("Số tiền không hợp lệ.", code="invalid_amount") from exc
    if amount <= 0:
        raise ValidationFailed("Số tiền phải lớn hơn 0.", code="invalid_amount")
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
    from tinhso.onestop.payments.services import create_payment

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


def _resume_changes(cal: Calendar, dossier: Dossier, at: datetime) -> dict[str, Any]:
    """Push the deadlines later by the working days spent paused."""
    if dossier.paused_at is None:
        return {"paused_at": None}
    days = cal.working_days_between(
        dossier.paused_at.astimezone(VN).date(), at.astimezone(VN).date()
    )
    changes: dict[str, Any] = {"paused_at": None}
    if days:
        changes["paused_days"] = dossier.paused_days + days
        if dossier.due_at:
            changes["due_at"] = shift_working_days(cal, dossier.due_at, days)
        if dossier.step_due_at:
            changes["step_due_at"] = shift_working_days(cal, dossier.step_due_at, days)
    return changes


def obligation_fulfilled(*, dossier: Dossier, actor=None) -> Dossier:
    """Called (in the payment's transaction) when the financial obligation is paid."""
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
        **_resume_changes(cal, dossier, at),
    )
    _event(dossier, action="obligation_paid", actor=actor, at=at, step=dossier.current_step)
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


def _end_of_office_day(day) -> datetime:
    return datetime.combine(day, workdays_conf.AFTERNOON[1], tzinfo=VN)


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


@transaction.atomic
def approve(
    *,
    official,
    dossier: Dossier,
    result_summary: str = "",
    note: str = "",
    version: int | None = None,
) -> Dossier:
    """The leader approves the result (status 9). Early/on time/late is fixed now."""
    require(official, "onestop.approve_dossier", dossier)
    nxt = _next_step(dossier) if dossier.current_step_id is not None else None
    if nxt is not None and nxt.kind != ProcessStep.Kind.RETURN:
        raise InvalidTransition(
            "Hồ sơ chưa đến bước phê duyệt của quy trình.", code="not_at_last_step"
        )
    at = clock_now()
    left, left_due = dossier.current_step, dossier.step_due_at
    _transition(
        dossier,
        allowed=(S.PROCESSING, S.ACCEPTED),
        action_label="phê duyệt",
        version=version,
        state=S.APPROVED,
        result_at=at,
        timeliness=timeliness_of(at, dossier.due_at),
        result_summary=result_summary or dossier.result_summary,
        handling_agency=dossier.receiving_agency,
        assignee=None,
    )
    _event(
        dossier,
        action="approve",
        actor=official,
        at=at,
        to_agency=dossier.receiving_agency,
        step=left,
        step_due_at=left_due,
        on_time=(left_due is None or at <= left_due),
        note=note,
    )
    _audit(official, "approve", dossier, timeliness=dossier.timeliness)
    return dossier


@transaction.atomic
def reject(*, official, dossier: Dossier, reasons: str, version: int | None = None) -> Dossier:
    """Stop processing with reasons (status 8); the applicant is told why."""
    require(official, "onestop.approve_dossier", dossier)
    if not (reasons or "").strip():
        raise ValidationFailed("Vui lòng nêu rõ lý do dừng xử lý.", code="reasons_required")
    at = clock_now()
    _transition(
        dossier,
        allowed=(S.ACCEPTED, S.PROCESSING, S.PAUSED, S.SUPPLEMENT, S.FINANCIAL),
        action_label="dừng xử lý",
        version=version,
        state=S.STOPPED,
        stop_reasons=reasons.strip(),
        result_at=at,
        finished_at=at,
        assignee=None,
    )
    Payment.objects.filter(dossier=dossier, status=Payment.Status.PENDING).update(
        status=Payment.Status.CANCELLED
    )
    _event(dossier, action="stop", actor=official, at=at, step=dossier.current_step, note=reasons)
    notify_applicant(dossier, "onestop_stopped", reasons=reasons)
    # audit last: the chain-head lock is then held only until commit
    _audit(official, "reject", dossier, reasons=reasons)
    return dossier


@transaction.atomic
def attach_result(
    *, official, dossier: Dossier, file: Any, name: str = "Kết quả giải quyết"
) -> DossierFile:
    """Attach the result document (a PDF, later digitally signed)."""
    if not (
        _can(official, "onestop.process_dossier", dossier)
        or _can(official, "onestop.return_result", dossier)
    ):
        require(official, "onestop.approve_dossier", dossier)
    if dossier.state not in (S.PROCESSING, S.ACCEPTED, S.APPROVED):
        raise InvalidTransition(
            "Chỉ đính kèm kết quả khi hồ sơ đang xử lý hoặc đã xử lý xong.",
            code="invalid_transition",
        )
    stored = file_store.store(file, folder="results", allowed={"pdf": file_store.ALLOWED["pdf"]})
    result = DossierFile.objects.create(
        dossier=dossier,
        kind=DossierFile.Kind.RESULT,
        name=name,
        file=stored.name,
        original_name=stored.original_name,
        sha256=stored.sha256,
        size=stored.size,
        content_type=stored.content_type,
        uploaded_by=official,
    )
    _event(dossier, action="attach_result", actor=official, at=clock_now(), note=name)
    _audit(official, "attach_result", dossier, sha256=stored.sha256)
    return result


def _can(user, action: str, obj) -> bool:
    from tinhso.accounts.rules import can

    return can(user, action, obj)


@transaction.atomic
def return_result(
    *,
    officer,
    dossier: Dossier,
    method: str | None = None,
    note: str = "",
    version: int | None = None,
) -> Dossier:
    """Return the result (status 10) at the counter, online or by post. Result files go
    to the applicant's wallet."""
    require(officer, "onestop.return_result", dossier)
    _ensure_state(dossier, (S.APPROVED,), "trả kết quả")
    method = method or dossier.return_method
    if method not in ReturnMethod.values:
        raise ValidationFailed("Hình thức trả kết quả không hợp lệ.", code="invalid_return")
    results = list(dossier.files.filter(kind=DossierFile.Kind.RESULT))
    if method == ReturnMethod.ONLINE and not results:
        raise ValidationFailed(
            "Trả kết quả trực tuyến cần tệp kết quả điện tử.", code="result_file_required"
        )
    at = clock_now()
    _transition(
        dossier,
        allowed=(S.APPROVED,),
        action_label="trả kết quả",
        version=version,
        state=S.RETURNED,
        returned_at=at,
        finished_at=at,
        return_method=method,
        handling_agency=dossier.receiving_agency,
    )
    if dossier.applicant_id is not None:
        for result in results:
            wallet, _ = WalletItem.objects.get_or_create(
                owner_id=dossier.applicant_id,
                sha256=result.sha256,
                defaults=dict(
                    name=f"{result.name} — {dossier.procedure.name}"[:500],
                    source=WalletItem.Source.RESULT,
                    file=result.file.name,
                    original_name=result.original_name,
                    size=result.size,
                    content_type=result.content_type,
                    source_dossier=dossier,
                ),
            )
            if result.wallet_item_id is None:
                DossierFile.objects.filter(pk=result.pk).update(wallet_item=wallet)
    _event(dossier, action="return", actor=officer, at=at, note=note or method)
    notify_applicant(
        dossier, "onestop_result", method=ReturnMethod(method).label, timeliness=dossier.timeliness
    )
    # audit last: the chain-head lock is then held only until commit
    _audit(officer, "return_result", dossier, method=method)
    return dossier


# ---------------------------------------------------------------------------------------
# Citizen actions


@transaction.atomic
def withdraw(*, user, dossier: Dossier, reason: str = "", version: int | None = None) -> Dossier:
    """The applicant withdraws the dossier (status 7)."""
    require(user, "onestop.act_as_applicant", dossier)
    at = clock_now()
    _transition(
        dossier,
        allowed=WITHDRAWABLE,
        action_label="rút hồ sơ",
        version=version,
        state=S.WITHDRAWN,
        withdraw_reason=reason,
        finished_at=at,
        assignee=None,
    )
    Payment.objects.filter(dossier=dossier, status=Payment.Status.PENDING).update(
        status=Payment.Status.CANCELLED
    )
    _event(dossier, action="withdraw", actor=user, at=at, note=reason)
    _audit(user, "withdraw", dossier, reason=reason)
    return dossier


@transaction.atomic
def rate(*, user, dossier: Dossier, score: int, comment: str = "") -> Rating:
    """The applicant rates the handling once, after the result (or a stop)."""
    require(user, "onestop.act_as_applicant", dossier)
    if dossier.state not in (S.RETURNED, S.APPROVED, S.STOPPED):
        raise InvalidTransition(
            "Chỉ đánh giá sau khi hồ sơ đã có kết quả.", code="invalid_transition"
        )
    try:
        score = int(score)
    except (TypeError, ValueError) as exc:
        raise ValidationFailed("Điểm đánh giá phải từ 1 đến 5.", code="invalid_score") from exc
    if not 1 <= score <= 5:
        raise ValidationFailed("Điểm đánh giá phải từ 1 đến 5.", code="invalid_score")
    if Rating.objects.filter(dossier=dossier).exists():
        raise Conflict("Hồ sơ này đã được đánh giá.", code="already_rated")
    from django.db import IntegrityError

    try:
        with transaction.atomic():
            rating = Rating.objects.create(
                dossier=dossier, user=user, score=score, comment=(comment or "").strip()
            )
    except IntegrityError as exc:
        raise Conflict("Hồ sơ này đã được đánh giá.", code="already_rated") from exc
    _audit(user, "rate", dossier, score=score)
    return rating


# ---------------------------------------------------------------------------------------
# Small reads used by the services and the web pages


def processing_days_used(dossier: Dossier) -> Decimal:
    """Working days from the clock start to the result (or now), paused days excluded."""
    if dossier.clock_started_at is None:
        return Decimal("0")
    end = dossier.result_at or clock_now()
    cal = Calendar()
    days = cal.working_days_between(
        dossier.clock_started_at.astimezone(VN).date(), end.astimezone(VN).date()
    )
    return Decimal(days) - dossier.paused_days


def total_budget(template_id: int) -> Decimal:
    return ProcessStep.objects.filter(template_id=template_id).aggregate(s=Sum("budget_days"))[
        "s"
    ] or Decimal("0")


__all__ = [
    "Attachment",
    "accept_dossier",
    "answer_supplement",
    "approve",
    "assign",
    "attach_result",
    "forward_to_next_step",
    "get_dossier",
    "notify_applicant",
    "obligation_fulfilled",
    "pause",
    "propose_extension",
    "rate",
    "receive_counter_dossier",
    "refuse_reception",
    "reject",
    "request_financial_obligation",
    "request_supplement",
    "resume",
    "return_result",
    "send_back",
    "shift_working_days",
    "start_processing",
    "submit_dossier",
    "timeliness_of",
    "withdraw",
]
