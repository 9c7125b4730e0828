"""Shared rules and helpers of the dossier use-cases (applicant, reception, processing, results).

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
from django.db.models import Sum

from tinhso.accounts.models import Role
from tinhso.accounts.rules import has_role
from tinhso.audit.services import record
from tinhso.core.errors import InvalidTransition, NotFound, ValidationFailed
from tinhso.core.prepared import one
from tinhso.core.textguard import guard_changes
from tinhso.notify.services import enqueue, notify_user
from tinhso.onestop import workflow
from tinhso.onestop.errors import OnestopError as E
from tinhso.onestop.links import dossier_url
from tinhso.onestop.models import (
    Dossier,
    DossierEvent,
    DossierFile,
    DossierState,
    PendingUpload,
    ProcessStep,
    RequiredPaper,
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


# The state sets of the transition table (tinhso.onestop.workflow), for older imports.
ACTIVE_PROCESS_STATES = tuple(sorted(workflow.ACTIVE))
WITHDRAWABLE = tuple(sorted(workflow.WITHDRAWABLE))


@dataclass
class Attachment:
    """A paper attached to a dossier: a new upload (`file`) or a wallet item."""

    file: Any = None  # an UploadedFile / File / binary stream with .name
    wallet_item: WalletItem | None = None
    paper: RequiredPaper | None = None
    name: str = ""
    # keep a copy of the upload in the applicant's wallet: only when they ask for it
    save_to_wallet: bool = False
    # an upload already checked and kept by an earlier, failed submission (uploads.py)
    pending: PendingUpload | None = None


def _user_name(user) -> str:
    if user is None:
        return ""
    return (getattr(user, "full_name", "") or getattr(user, "username", "") or str(user))[:150]


def _ensure_state(dossier: Dossier, allowed: Iterable[str], action_label: str) -> None:
    if dossier.state not in tuple(allowed):
        raise InvalidTransition(
            f"Không thể {action_label} khi hồ sơ ở trạng thái “{dossier.get_state_display()}”.",
            code=E.INVALID_TRANSITION,
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
    changes = guard_changes(Dossier, changes)  # reasons, notes: cleaned and measured
    updated = Dossier.objects.filter(pk=dossier.pk, version=expected, state__in=allowed).update(
        version=expected + 1, **changes
    )
    if not updated:
        current = Dossier.objects.filter(pk=dossier.pk).values_list("state", "version").first()
        if current is None:
            raise NotFound("Không tìm thấy hồ sơ.", code=E.DOSSIER_NOT_FOUND)
        raise workflow.dossier_changed()
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
        "code": dossier.display_code,
        "procedure": dossier.procedure.name,
        "applicant": dossier.applicant_name,
        "due": _local(dossier.due_at),
        "agency": dossier.receiving_agency.name,
        "dossier_url": dossier_url(dossier),
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
    """Where a step is done: its own agency (inter-agency steps); the reception step at the
    desk that received the dossier; every other step at the competent agency."""
    if step is not None and step.agency_id:
        return step.agency
    if step is not None and step.kind == ProcessStep.Kind.RECEPTION:
        return dossier.receiving_agency
    return dossier.agency


def reception_keeper(dossier: Dossier, step: ProcessStep | None, officer):
    """Who holds the dossier after acceptance: the officer who accepted it, when the first
    step is the desk's own "receive and hand over" step (they hand it over next)."""
    if step is not None and step.kind == ProcessStep.Kind.RECEPTION and not step.agency_id:
        return officer
    return None


def _check_official_in(user, agency, message: str) -> None:
    if user is not None and not has_role(
        user, agency, {Role.SPECIALIST, Role.LEADER, Role.ONESTOP_OFFICER}
    ):
        raise ValidationFailed(message, code=E.ASSIGNEE_OUTSIDE_AGENCY)


# what every read of a dossier joins (the applicant's account is read only when a notice
# is sent: services.common.notify)
DOSSIER_JOINS = ("procedure", "receiving_agency", "agency", "handling_agency", "current_step")


def get_dossier(*, code: str | None = None, uid: Any = None) -> Dossier:
    """By uid, or by code: the dossier code or the tracking code given at submission. Read
    on every dossier page and action: its SQL is written once (`core.prepared.one`)."""
    from tinhso.onestop.codes import looks_like_tracking_code

    if code:
        code = code.strip().upper()
        field = "tracking_code" if looks_like_tracking_code(code) else "code"
        dossier = one(Dossier, field, code, DOSSIER_JOINS)
    else:
        dossier = one(Dossier, "uid", uid, DOSSIER_JOINS) if uid else None
    if dossier is None:
        raise NotFound("Không tìm thấy hồ sơ.", code=E.DOSSIER_NOT_FOUND)
    return dossier


def _attach(
    dossier: Dossier,
    attachments: Sequence[Attachment],
    *,
    kind: str,
    actor,
    owner=None,
) -> list[DossierFile]:
    """Store uploads (also in the owner's wallet when they asked for it), uploads kept by
    an earlier try, and wallet picks."""
    created = []
    consumed: list[int] = []
    for item in attachments:
        paper = item.paper
        if paper is not None and paper.procedure_id != dossier.procedure_id:
            raise ValidationFailed(
                "Thành phần hồ sơ không thuộc thủ tục này.", code=E.PAPER_NOT_IN_PROCEDURE
            )
        name = item.name or (paper.name if paper else "")
        if item.wallet_item is not None:
            picked = item.wallet_item
            if owner is None or picked.owner_id != owner.pk:
                raise ValidationFailed(
                    "Giấy tờ trong kho dữ liệu không thuộc về người nộp.", code=E.WALLET_NOT_OWNER
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
                    origin=DossierFile.Origin.WALLET,
                    uploaded_by=actor,
                )
            )
            continue
        if item.pending is not None:
            kept = item.pending
            if (
                owner is None
                or kept.owner_id != owner.pk
                or (paper is not None and kept.required_paper_id != paper.pk)
            ):
                raise ValidationFailed(
                    "Tệp đã tải lên không còn hoặc không thuộc về người nộp.",
                    code=E.PENDING_UPLOAD_NOT_FOUND,
                )
            stored = file_store.StoredFile(
                str(kept.file.name), kept.original_name, kept.sha256, kept.size, kept.content_type
            )
            consumed.append(kept.pk)
        elif item.file is None:
            raise ValidationFailed("Thiếu tệp đính kèm.", code=E.FILE_MISSING)
        else:
            stored = file_store.store(item.file, folder="dossiers")
        wallet: WalletItem | None = None
        by_owner = owner is not None and getattr(actor, "pk", None) == owner.pk
        if by_owner and item.save_to_wallet:
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
                origin=DossierFile.Origin.UPLOAD if by_owner else DossierFile.Origin.OFFICIAL,
                uploaded_by=actor,
            )
        )
    files = DossierFile.objects.bulk_create(created)
    PendingUpload.objects.filter(pk__in=consumed).delete()  # the file is the dossier's now
    return files


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


def _end_of_office_day(day) -> datetime:
    return datetime.combine(day, workdays_conf.AFTERNOON[1], tzinfo=VN)


def _can(user, action: str, obj) -> bool:
    from tinhso.accounts.rules import can

    return can(user, action, obj)


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
