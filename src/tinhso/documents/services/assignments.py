"""Assignment and handling of incoming documents (lead, cooperating, for information)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from tinhso.accounts.rules import require
from tinhso.audit.services import record
from tinhso.core.errors import (
    InvalidTransition,
    ValidationFailed,
)
from tinhso.documents.errors import DocumentErrorCode as E
from tinhso.documents.models import (
    Assignment,
    DocumentFile,
    HandlingNote,
    IncomingDocument,
)
from tinhso.documents.pdfs import read_pdf
from tinhso.documents.rules import works_in
from tinhso.documents.services.common import (
    local_today,
    notify,
    require_visible,
    store_pdf,
)
from tinhso.documents.signals import incoming_progressed


def _check_assignee(document: IncomingDocument, target: Any) -> tuple[Any, Any]:
    """(user, unit) for an assignee; refuses anyone/anything outside the document's agency."""
    from tinhso.directory.models import OrgUnit

    if isinstance(target, OrgUnit):
        if target.agency_id != document.agency_id or not target.is_active:
            raise ValidationFailed(
                f"Đơn vị '{target}' không thuộc cơ quan {document.agency}; chỉ giao xử lý "
                "cho đơn vị, cá nhân trong cơ quan.",
                code=E.ASSIGNEE_OUTSIDE_AGENCY,
            )
        return None, target
    if target is None or not getattr(target, "pk", None):
        raise ValidationFailed("Vui lòng chọn người hoặc đơn vị xử lý.", code=E.ASSIGNEE_REQUIRED)
    if not target.is_active or not works_in(target, document.agency):
        raise ValidationFailed(
            f"{target} không công tác tại {document.agency}; chỉ giao xử lý cho đơn vị, "
            "cá nhân trong cơ quan.",
            code=E.ASSIGNEE_OUTSIDE_AGENCY,
        )
    return target, None


@transaction.atomic
def assign_incoming(
    *,
    actor: Any,
    document: IncomingDocument,
    lead: Any,
    cooperate: Sequence[Any] = (),
    info: Sequence[Any] = (),
    deadline: date | None = None,
    instruction: str = "",
) -> list[Assignment]:
    """A leader assigns: one lead (person or unit), cooperating ones, ones for information."""
    document = IncomingDocument.objects.select_for_update().get(pk=document.pk)
    require_visible(actor, document)
    require(actor, "documents.assign", document)
    if document.status == IncomingDocument.Status.PENDING:
        raise InvalidTransition(
            "Văn bản chưa được vào sổ; văn thư cần vào sổ trước khi phân công.",
            code=E.NOT_REGISTERED,
        )
    if document.status == IncomingDocument.Status.DONE:
        raise InvalidTransition("Văn bản đã xử lý xong.", code=E.ALREADY_DONE)
    if deadline is not None and deadline < local_today():
        raise ValidationFailed("Hạn xử lý không thể ở trong quá khứ.", code=E.DEADLINE_IN_PAST)
    if document.assignments.filter(
        kind=Assignment.Kind.LEAD,
        status__in=[Assignment.Status.PENDING, Assignment.Status.IN_PROGRESS],
    ).exists():
        raise InvalidTransition(
            "Văn bản đã có đơn vị/cá nhân chủ trì đang xử lý.", code=E.ALREADY_ASSIGNED
        )
    targets = [(Assignment.Kind.LEAD, lead)]
    targets += [(Assignment.Kind.COOPERATE, t) for t in cooperate]
    targets += [(Assignment.Kind.INFO, t) for t in info]
    checked = [(kind, *_check_assignee(document, target)) for kind, target in targets]
    seen: set[tuple[str, int]] = set()
    created = []
    deadline = deadline or document.deadline
    for kind, user, unit in checked:
        key = ("u", user.pk) if user else ("o", unit.pk)
        if key in seen:
            raise ValidationFailed(f"{user or unit} được chọn nhiều lần.", code=E.ASSIGNEE_REPEATED)
        seen.add(key)
        created.append(
            Assignment.objects.create(
                document=document,
                kind=kind,
                assignee=user,
                unit=unit,
                deadline=deadline,
                assigned_by=actor,
                instruction=instruction,
                status=Assignment.Status.DONE if kind == Assignment.Kind.INFO else "pending",
                finished_at=timezone.now() if kind == Assignment.Kind.INFO else None,
            )
        )
    document.deadline = deadline
    document.status = IncomingDocument.Status.IN_PROGRESS
    document.save(update_fields=["deadline", "status", "updated_at"])
    record(
        actor=actor,
        action="documents.assign",
        obj=document,
        agency=document.agency,
        summary={
            "assignments": [
                {"kind": a.kind, "user": a.assignee_id, "unit": a.unit_id} for a in created
            ],
            "deadline": deadline,
        },
    )
    incoming_progressed.send(
        sender=IncomingDocument, document=document, event="assigned", actor=actor
    )
    for assignment in created:
        for user in _assignment_people(assignment):
            notify(
                user,
                "documents_assigned",
                {"document": document, "assignment": assignment},
                document,
            )
    return created


def _assignment_people(assignment: Assignment) -> list[Any]:
    if assignment.assignee_id:
        return [assignment.assignee]
    from tinhso.accounts.models import User

    return list(
        User.objects.filter(
            memberships__org_unit_id=assignment.unit_id, memberships__ended_on__isnull=True
        ).distinct()[:20]
    )


def _lock_assignment(assignment: Assignment) -> Assignment:
    return (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("document")
        .get(pk=assignment.pk)
    )


def _check_open(assignment: Assignment) -> None:
    if assignment.status in (Assignment.Status.DONE, Assignment.Status.FORWARDED):
        raise InvalidTransition(
            "Phần việc này đã kết thúc (hoàn thành hoặc đã chuyển tiếp).",
            code=E.ASSIGNMENT_CLOSED,
        )


@transaction.atomic
def add_note(
    *,
    actor: Any,
    assignment: Assignment,
    text: str = "",
    pdf: bytes | None = None,
    filename: str = "tep-xu-ly.pdf",
) -> HandlingNote:
    assignment = _lock_assignment(assignment)
    require_visible(actor, assignment.document)
    require(actor, "documents.handle", assignment)
    _check_open(assignment)
    text = (text or "").strip()
    if not text and pdf is None:
        raise ValidationFailed("Vui lòng nhập ý kiến hoặc đính kèm tệp.", code=E.NOTE_EMPTY)
    doc_file = None
    if pdf is not None:
        info = read_pdf(pdf)
        doc_file = store_pdf(
            data=pdf,
            name=filename,
            role=DocumentFile.Role.NOTE,
            actor=actor,
            incoming=assignment.document,
            page_count=info.page_count,
        )
    note = HandlingNote.objects.create(
        document=assignment.document,
        assignment=assignment,
        author=actor,
        text=text,
        file=doc_file,
    )
    if assignment.status == Assignment.Status.PENDING:
        assignment.status = Assignment.Status.IN_PROGRESS
        assignment.save(update_fields=["status", "updated_at"])
    record(
        actor=actor,
        action="documents.add_note",
        obj=assignment.document,
        agency=assignment.document.agency,
        summary={"assignment": assignment.pk, "file": doc_file.sha256 if doc_file else None},
    )
    incoming_progressed.send(
        sender=IncomingDocument, document=assignment.document, event="processing", actor=actor
    )
    return note


@transaction.atomic
def forward_assignment(
    *, actor: Any, assignment: Assignment, to: Any, instruction: str = ""
) -> Assignment:
    """Hand one's part on to a person or unit inside the same agency."""
    assignment = _lock_assignment(assignment)
    require_visible(actor, assignment.document)
    require(actor, "documents.handle", assignment)
    _check_open(assignment)
    user, unit = _check_assignee(assignment.document, to)
    if user is not None and user.pk == assignment.assignee_id:
        raise ValidationFailed("Không thể chuyển tiếp cho chính mình.", code=E.FORWARD_TO_SELF)
    new = Assignment.objects.create(
        document=assignment.document,
        kind=assignment.kind,
        assignee=user,
        unit=unit,
        deadline=assignment.deadline,
        assigned_by=actor,
        forwarded_from=assignment,
        instruction=instruction,
    )
    assignment.status = Assignment.Status.FORWARDED
    assignment.finished_at = timezone.now()
    assignment.save(update_fields=["status", "finished_at", "updated_at"])
    record(
        actor=actor,
        action="documents.forward",
        obj=assignment.document,
        agency=assignment.document.agency,
        summary={"from": assignment.pk, "to_user": new.assignee_id, "to_unit": new.unit_id},
    )
    for person in _assignment_people(new):
        notify(
            person,
            "documents_assigned",
            {"document": assignment.document, "assignment": new},
            assignment.document,
        )
    return new


@transaction.atomic
def finish_assignment(*, actor: Any, assignment: Assignment, result: str = "") -> Assignment:
    """Mark one's part done; the document is done when every lead part is done."""
    assignment = _lock_assignment(assignment)
    require_visible(actor, assignment.document)
    require(actor, "documents.handle", assignment)
    _check_open(assignment)
    document = IncomingDocument.objects.select_for_update().get(pk=assignment.document_id)
    now = timezone.now()
    assignment.status = Assignment.Status.DONE
    assignment.finished_at = now
    assignment.result = (result or "").strip()
    assignment.save(update_fields=["status", "finished_at", "result", "updated_at"])
    open_lead = document.assignments.filter(
        kind=Assignment.Kind.LEAD,
        status__in=[Assignment.Status.PENDING, Assignment.Status.IN_PROGRESS],
    ).exists()
    if assignment.kind == Assignment.Kind.LEAD and not open_lead:
        document.status = IncomingDocument.Status.DONE
        document.finished_at = now
        document.save(update_fields=["status", "finished_at", "updated_at"])
        notify(assignment.assigned_by, "documents_done", {"document": document}, document)
    record(
        actor=actor,
        action="documents.finish",
        obj=document,
        agency=document.agency,
        summary={"assignment": assignment.pk, "document_done": document.status == "done"},
    )
    if document.status == IncomingDocument.Status.DONE:
        incoming_progressed.send(
            sender=IncomingDocument, document=document, event="completed", actor=actor
        )
    return assignment
