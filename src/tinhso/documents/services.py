"""Write use-cases for official documents. Each runs in one transaction, checks permission,
writes the audit trail and enqueues notifications.

Numbering. `take_number` increments the register row with one UPDATE (which takes the
row lock until commit) in the same transaction that stores the number on the document
(incoming and outgoing numbers, work-record codes).
Registering an incoming document stores the row first and takes the number last, so the
lock is held only for the increment, the number's UPDATE and the commit. A rollback
(error, crash) undoes the increment together with the document: never a hole nor a
duplicate, and a number that was committed is never given again.

Documents dispatched to another agency on the platform arrive there as an incoming
document in status "pending" (chờ vào sổ): the receiving clerk checks it and registers it,
which gives it the arrival number (Decree 30: the clerk registers what arrives).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from tinhso.accounts.models import Role
from tinhso.accounts.rules import has_role, require
from tinhso.audit.services import record
from tinhso.core.errors import (
    Conflict,
    DomainError,
    InvalidTransition,
    PermissionDenied,
    ValidationFailed,
)
from tinhso.core.files import sha256_of
from tinhso.core.text import fold
from tinhso.documents.models import (
    DOC_TYPES,
    OFFICIAL_LETTER,
    Assignment,
    Confidentiality,
    DocumentFile,
    HandlingNote,
    IncomingDocument,
    OutgoingDocument,
    ReadReceipt,
    Recipient,
    Register,
    ReviewStep,
    Urgency,
    WorkRecord,
    WorkRecordItem,
)
from tinhso.documents.pdfs import read_pdf
from tinhso.documents.rules import works_in

# ---------------------------------------------------------------------------------------
# Helpers


def local_today() -> date:
    return timezone.localdate()


def agency_abbreviation(agency: Any) -> str:
    return (agency.short_name or agency.code or "").strip().replace(" ", "")


def notation_key(number_notation: str) -> str:
    """Normalised number/notation for duplicate detection: '05/QĐ-UBND' == '5/qd - ubnd'."""
    key = fold(number_notation).replace(" ", "").upper()
    head, sep, tail = key.partition("/")
    if head.isdigit():
        head = str(int(head))
    return f"{head}{sep}{tail}"


def format_number_notation(
    *, number: int, doc_type: str, agency: Any, drafting_unit: Any = None
) -> str:
    """`05/QĐ-UBND`; an official letter (công văn) is `45/UBND-KT` (agency-drafting unit)."""
    agency_abbr = agency_abbreviation(agency)
    if doc_type == OFFICIAL_LETTER:
        unit_abbr = (getattr(drafting_unit, "short_name", "") or "").strip().replace(" ", "")
        notation = f"{agency_abbr}-{unit_abbr}" if unit_abbr else agency_abbr
    else:
        notation = f"{DOC_TYPES[doc_type][0]}-{agency_abbr}"
    return f"{number:02d}/{notation}"


def series_for(confidentiality: str) -> str:
    return (
        Register.Series.NORMAL
        if confidentiality == Confidentiality.NORMAL
        else Register.Series.SECRET
    )


def register_for(*, agency: Any, year: int, direction: str, series: str) -> Register:
    """The register of that year (created on first use: numbering restarts on 1 January)."""
    register, _ = Register.objects.get_or_create(
        agency=agency, year=year, direction=direction, series=series
    )
    return register


_TAKE_SQL = (
    "UPDATE documents_register SET last_number = last_number + 1 "
    "WHERE agency_id = %s AND year = %s AND direction = %s AND series = %s "
    "RETURNING id, last_number"
)
# PostgreSQL: the same, storing the number on the document row in the same statement.
_TAKE_AND_STORE_SQL = (
    "WITH taken AS (UPDATE documents_register SET last_number = last_number + 1 "
    "WHERE agency_id = %s AND year = %s AND direction = %s AND series = %s "
    "RETURNING id, last_number) "
    "UPDATE {table} SET register_id = taken.id, {column} = taken.last_number "
    "FROM taken WHERE {table}.id = %s RETURNING taken.id, taken.last_number"
)
_NUMBERED = {
    "documents_incomingdocument": "arrival_number",
    "documents_outgoingdocument": "number",
}


def take_number(
    *, agency: Any, year: int, direction: str, series: str, store_on: Any = None
) -> tuple[Register, int]:
    """Next number of the register. Must run inside the transaction that stores it.

    One statement: the UPDATE increments the counter and takes the row lock, which is held
    until the caller's transaction ends, so concurrent issuers queue here. Call it as late
    as possible in the transaction (the lock is held from here to the commit). With
    `store_on` (an incoming or outgoing document already saved) the same statement also
    stores the register and the number on that row, so nothing else runs under the lock.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("take_number must run inside the transaction that uses the number")
    params = [getattr(agency, "pk", agency), year, direction, series]
    connection = transaction.get_connection()
    sql = _TAKE_SQL
    one_statement = store_on is not None and connection.vendor == "postgresql"
    if one_statement:
        table = store_on._meta.db_table
        sql = _TAKE_AND_STORE_SQL.format(table=table, column=_NUMBERED[table])
        params.append(store_on.pk)
    for _attempt in range(2):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        if row is not None and store_on is not None and not one_statement:
            # SQLite (no UPDATE in WITH): a second statement; writers are serialised anyway.
            type(store_on).objects.filter(pk=store_on.pk).update(
                register_id=row[0], **{_NUMBERED[store_on._meta.db_table]: row[1]}
            )
        if row is not None:
            register = Register(
                pk=row[0],
                agency_id=params[0],
                year=year,
                direction=direction,
                series=series,
                last_number=row[1],
            )
            if store_on is not None:
                store_on.register = register
                setattr(store_on, _NUMBERED[store_on._meta.db_table], row[1])
            return register, row[1]
        register_for(agency=agency, year=year, direction=direction, series=series)
    raise RuntimeError("register could not be created")  # pragma: no cover


def _signing():
    """The signing app's services (owned by another module; imported lazily)."""
    try:
        from tinhso.signing import services as signing_services
    except ImportError:  # pragma: no cover - signing app missing
        signing_services = None
    if signing_services is None or not hasattr(signing_services, "sign_pdf"):
        raise DomainError(
            "Chức năng ký số chưa sẵn sàng trên hệ thống này.",
            code="signing_unavailable",
            status=503,
        )
    return signing_services


def _store_pdf(
    *,
    data: bytes,
    name: str,
    role: str,
    actor: Any,
    incoming: IncomingDocument | None = None,
    outgoing: OutgoingDocument | None = None,
    version: int = 1,
    page_count: int = 0,
) -> DocumentFile:
    content = ContentFile(data, name=name or "van-ban.pdf")
    digest = sha256_of(content)
    doc_file = DocumentFile(
        incoming=incoming,
        outgoing=outgoing,
        role=role,
        version=version,
        name=(name or "van-ban.pdf")[:255],
        sha256=digest,
        size=len(data),
        page_count=page_count,
        uploaded_by=actor if getattr(actor, "pk", None) else None,
    )
    doc_file.file.save(name or "van-ban.pdf", content, save=False)
    doc_file.save()
    return doc_file


def read_file_bytes(doc_file: DocumentFile) -> bytes:
    with doc_file.file.open("rb") as handle:
        return handle.read()


def _check_choice(value: str, choices: Iterable[str], field: str, label: str) -> str:
    if value not in set(choices):
        raise ValidationFailed(f"{label} '{value}' không hợp lệ.", code=f"invalid_{field}")
    return value


def _required(value: str | None, label: str, code: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed(f"Vui lòng nhập {label}.", code=code)
    return value


def _notify(user: Any, template: str, context: dict[str, Any], obj: Any) -> None:
    from tinhso.notify.services import notify_user

    if user is None:
        return
    notify_user(
        user=user,
        template=template,
        context={"user": user, **context},
        related_object=f"{obj._meta.label_lower}:{obj.uid}",
    )


def _users_with_role(agency: Any, role: str):
    from tinhso.accounts.models import User

    return User.objects.filter(role_grants__agency=agency, role_grants__role=role, is_active=True)


# ---------------------------------------------------------------------------------------
# Incoming documents


@dataclass
class Duplicate:
    uid: str
    arrival_number: int | None
    number_notation: str
    arrived_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "uid": self.uid,
            "arrival_number": self.arrival_number,
            "number_notation": self.number_notation,
            "arrived_at": self.arrived_at.isoformat(),
        }


def find_duplicates(
    *, agency: Any, sender_name: str, number_notation: str, issued_on: date, exclude_pk=None
) -> list[Duplicate]:
    """Documents of the agency with the same sender, number/notation and issued date."""
    qs = IncomingDocument.objects.filter(
        agency=agency,
        sender_name=sender_name,
        notation_key=notation_key(number_notation),
        issued_on=issued_on,
    )
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    return [
        Duplicate(str(d.uid), d.arrival_number, d.number_notation, d.arrived_at)
        for d in qs.order_by("arrived_at")[:5]
    ]


@transaction.atomic
def register_incoming(
    *,
    actor: Any,
    agency: Any,
    pdf: bytes | None,
    filename: str = "van-ban-den.pdf",
    sender_agency: Any = None,
    sender_name: str = "",
    number_notation: str,
    issued_on: date,
    doc_type: str,
    subject: str,
    urgency: str = Urgency.NORMAL,
    confidentiality: str = Confidentiality.NORMAL,
    page_count: int | None = None,
    deadline: date | None = None,
    arrived_at: datetime | None = None,
    source: str = IncomingDocument.Source.UPLOAD,
    allow_duplicate: bool = False,
    attachments: Sequence[tuple[str, bytes]] = (),
) -> IncomingDocument:
    """Register a document that arrived: arrival number in the year's incoming register.

    One transaction: the document is stored, then (last, so the register's row lock is
    held as briefly as possible) it takes the next arrival number of the year's register.

    A likely duplicate (same sender, number/notation and issued date) is refused with code
    `possible_duplicate` (details list them) unless `allow_duplicate` is set.
    """
    require(actor, "documents.register_incoming", agency)
    if sender_agency is not None:
        sender_name = sender_agency.name
    sender_name = _required(sender_name, "cơ quan ban hành", "sender_required")
    number_notation = _required(number_notation, "số, ký hiệu", "number_notation_required")
    subject = _required(subject, "trích yếu", "subject_required")
    _check_choice(doc_type, DOC_TYPES, "doc_type", "Loại văn bản")
    _check_choice(urgency, Urgency.values, "urgency", "Độ khẩn")
    _check_choice(confidentiality, Confidentiality.values, "confidentiality", "Độ mật")
    _check_choice(source, IncomingDocument.Source.values, "source", "Nguồn")
    arrived_at = arrived_at or timezone.now()
    arrival_day = timezone.localdate(arrived_at)
    if issued_on > arrival_day:
        raise ValidationFailed("Ngày ban hành không thể sau ngày đến.", code="issued_after_arrival")
    if deadline is not None and deadline < arrival_day:
        raise ValidationFailed("Hạn xử lý không thể trước ngày đến.", code="deadline_in_past")
    info = None
    if pdf is None:
        if source in (IncomingDocument.Source.UPLOAD, IncomingDocument.Source.PAPER):
            raise ValidationFailed(
                "Vui lòng tải lên tệp PDF của văn bản (bản điện tử hoặc bản quét).",
                code="pdf_required",
            )
    else:
        info = read_pdf(pdf)
    attachment_infos = [(name, data, read_pdf(data)) for name, data in attachments]
    duplicates = find_duplicates(
        agency=agency, sender_name=sender_name, number_notation=number_notation, issued_on=issued_on
    )
    if duplicates and not allow_duplicate:
        raise Conflict(
            "Có thể trùng văn bản đã vào sổ: cùng cơ quan ban hành, số ký hiệu và ngày "
            f"ban hành (số đến {duplicates[0].arrival_number or '—'}). "
            "Kiểm tra lại hoặc xác nhận vẫn vào sổ.",
            code="possible_duplicate",
            details=[d.as_dict() for d in duplicates],
        )
    text = info.text if info else ""
    for _name, _data, a_info in attachment_infos:
        text += "\n" + a_info.text
    document = IncomingDocument.objects.create(
        agency=agency,
        arrived_at=arrived_at,
        sender_agency=sender_agency,
        sender_name=sender_name,
        number_notation=number_notation,
        notation_key=notation_key(number_notation),
        issued_on=issued_on,
        doc_type=doc_type,
        subject=subject,
        subject_folded=fold(subject),
        text_folded=fold(text),
        urgency=urgency,
        confidentiality=confidentiality,
        page_count=page_count or (info.page_count if info else 1),
        deadline=deadline,
        status=IncomingDocument.Status.REGISTERED,
        source=source,
        registered_by=actor,
        register=register_for(
            agency=agency,
            year=arrival_day.year,
            direction=Register.Direction.INCOMING,
            series=series_for(confidentiality),
        ),
    )
    if duplicates:
        document.duplicate_of = IncomingDocument.objects.get(uid=duplicates[0].uid)
        document.save(update_fields=["duplicate_of"])
    if pdf is not None and info is not None:
        _store_pdf(
            data=pdf,
            name=filename,
            role=DocumentFile.Role.MAIN,
            actor=actor,
            incoming=document,
            page_count=info.page_count,
        )
    for name, data, a_info in attachment_infos:
        _store_pdf(
            data=data,
            name=name,
            role=DocumentFile.Role.ATTACHMENT,
            actor=actor,
            incoming=document,
            page_count=a_info.page_count,
        )
    # Numbering last: the register's row lock is held only from here to the commit.
    register, number = take_number(
        agency=agency,
        year=arrival_day.year,
        direction=Register.Direction.INCOMING,
        series=series_for(confidentiality),
        store_on=document,
    )
    record(
        actor=actor,
        action="documents.register_incoming",
        obj=document,
        agency=agency,
        summary={
            "arrival_number": number,
            "year": register.year,
            "series": register.series,
            "number_notation": document.number_notation,
            "duplicate_confirmed": document.duplicate_of_id is not None,
        },
    )
    for leader in _users_with_role(agency, Role.LEADER)[:20]:
        _notify(leader, "documents_incoming", {"document": document}, document)
    return document


@transaction.atomic
def accept_incoming(*, actor: Any, document: IncomingDocument) -> IncomingDocument:
    """The clerk registers a document that arrived through the platform (status pending)."""
    document = IncomingDocument.objects.select_for_update().get(pk=document.pk)
    require(actor, "documents.register_incoming", document.agency)
    if document.status != IncomingDocument.Status.PENDING or document.arrival_number:
        raise InvalidTransition("Văn bản này đã được vào sổ.", code="already_registered")
    now = timezone.now()
    register, number = take_number(
        agency=document.agency,
        year=timezone.localdate(now).year,
        direction=Register.Direction.INCOMING,
        series=series_for(document.confidentiality),
    )
    document.register = register
    document.arrival_number = number
    document.arrived_at = now
    document.status = IncomingDocument.Status.REGISTERED
    document.registered_by = actor
    document.save(
        update_fields=[
            "register",
            "arrival_number",
            "arrived_at",
            "status",
            "registered_by",
            "updated_at",
        ]
    )
    record(
        actor=actor,
        action="documents.accept_incoming",
        obj=document,
        agency=document.agency,
        summary={"arrival_number": number, "year": register.year},
    )
    return document


def _check_assignee(document: IncomingDocument, target: Any) -> tuple[Any, Any]:
    """(user, unit) for an assignee; refuses anyone/anything outside the document's agency."""
    from tinhso.directory.models import OrgUnit

    if isinstance(target, OrgUnit):
        if target.agency_id != document.agency_id or not target.is_active:
            raise ValidationFailed(
                f"Đơn vị '{target}' không thuộc cơ quan {document.agency}; chỉ giao xử lý "
                "cho đơn vị, cá nhân trong cơ quan.",
                code="assignee_outside_agency",
            )
        return None, target
    if target is None or not getattr(target, "pk", None):
        raise ValidationFailed("Vui lòng chọn người hoặc đơn vị xử lý.", code="assignee_required")
    if not target.is_active or not works_in(target, document.agency):
        raise ValidationFailed(
            f"{target} không công tác tại {document.agency}; chỉ giao xử lý cho đơn vị, "
            "cá nhân trong cơ quan.",
            code="assignee_outside_agency",
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
    require(actor, "documents.assign", document)
    if document.status == IncomingDocument.Status.PENDING:
        raise InvalidTransition(
            "Văn bản chưa được vào sổ; văn thư cần vào sổ trước khi phân công.",
            code="not_registered",
        )
    if document.status == IncomingDocument.Status.DONE:
        raise InvalidTransition("Văn bản đã xử lý xong.", code="already_done")
    if deadline is not None and deadline < local_today():
        raise ValidationFailed("Hạn xử lý không thể ở trong quá khứ.", code="deadline_in_past")
    if document.assignments.filter(
        kind=Assignment.Kind.LEAD,
        status__in=[Assignment.Status.PENDING, Assignment.Status.IN_PROGRESS],
    ).exists():
        raise InvalidTransition(
            "Văn bản đã có đơn vị/cá nhân chủ trì đang xử lý.", code="already_assigned"
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
            raise ValidationFailed(f"{user or unit} được chọn nhiều lần.", code="assignee_repeated")
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
    for assignment in created:
        for user in _assignment_people(assignment):
            _notify(
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
            code="assignment_closed",
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
    require(actor, "documents.handle", assignment)
    _check_open(assignment)
    text = (text or "").strip()
    if not text and pdf is None:
        raise ValidationFailed("Vui lòng nhập ý kiến hoặc đính kèm tệp.", code="note_empty")
    doc_file = None
    if pdf is not None:
        info = read_pdf(pdf)
        doc_file = _store_pdf(
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
    return note


@transaction.atomic
def forward_assignment(
    *, actor: Any, assignment: Assignment, to: Any, instruction: str = ""
) -> Assignment:
    """Hand one's part on to a person or unit inside the same agency."""
    assignment = _lock_assignment(assignment)
    require(actor, "documents.handle", assignment)
    _check_open(assignment)
    user, unit = _check_assignee(assignment.document, to)
    if user is not None and user.pk == assignment.assignee_id:
        raise ValidationFailed("Không thể chuyển tiếp cho chính mình.", code="forward_to_self")
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
        _notify(
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
        _notify(assignment.assigned_by, "documents_done", {"document": document}, document)
    record(
        actor=actor,
        action="documents.finish",
        obj=document,
        agency=document.agency,
        summary={"assignment": assignment.pk, "document_done": document.status == "done"},
    )
    return assignment


def mark_read(*, user: Any, incoming: IncomingDocument | None = None, outgoing=None) -> None:
    """Keep a read receipt (first and last time the user opened the document)."""
    now = timezone.now()
    lookup = {"incoming": incoming} if incoming is not None else {"outgoing": outgoing}
    with transaction.atomic():
        updated = ReadReceipt.objects.filter(user=user, **lookup).update(
            last_read_at=now, times=F("times") + 1
        )
        if not updated:
            ReadReceipt.objects.bulk_create(
                [ReadReceipt(user=user, first_read_at=now, last_read_at=now, **lookup)],
                ignore_conflicts=True,
            )


# ---------------------------------------------------------------------------------------
# Outgoing documents


def _next_version(document: OutgoingDocument) -> int:
    last = document.files.order_by("-version").values_list("version", flat=True).first()
    return (last or 0) + 1


def _lock_outgoing(document: OutgoingDocument) -> OutgoingDocument:
    return (
        OutgoingDocument.objects.select_for_update(of=("self",))
        .select_related("agency", "drafting_unit")
        .get(pk=document.pk)
    )


def _expect(document: OutgoingDocument, *statuses: str, message: str, code: str) -> None:
    if document.status not in statuses:
        raise InvalidTransition(message, code=code)


@transaction.atomic
def create_draft(
    *,
    actor: Any,
    agency: Any,
    doc_type: str,
    subject: str,
    pdf: bytes,
    filename: str = "du-thao.pdf",
    drafting_unit: Any = None,
    urgency: str = Urgency.NORMAL,
    confidentiality: str = Confidentiality.NORMAL,
) -> OutgoingDocument:
    require(actor, "documents.draft_outgoing", agency)
    subject = _required(subject, "trích yếu", "subject_required")
    _check_choice(doc_type, DOC_TYPES, "doc_type", "Loại văn bản")
    _check_choice(urgency, Urgency.values, "urgency", "Độ khẩn")
    _check_choice(confidentiality, Confidentiality.values, "confidentiality", "Độ mật")
    if drafting_unit is not None and drafting_unit.agency_id != agency.pk:
        raise ValidationFailed(
            "Đơn vị soạn thảo không thuộc cơ quan ban hành.", code="unit_outside_agency"
        )
    info = read_pdf(pdf)
    document = OutgoingDocument.objects.create(
        agency=agency,
        drafting_unit=drafting_unit,
        drafter=actor,
        doc_type=doc_type,
        subject=subject,
        subject_folded=fold(subject),
        text_folded=fold(info.text),
        urgency=urgency,
        confidentiality=confidentiality,
        page_count=info.page_count,
    )
    _store_pdf(
        data=pdf,
        name=filename,
        role=DocumentFile.Role.DRAFT,
        actor=actor,
        outgoing=document,
        version=1,
        page_count=info.page_count,
    )
    record(
        actor=actor,
        action="documents.create_draft",
        obj=document,
        agency=agency,
        summary={"doc_type": doc_type},
    )
    return document


@transaction.atomic
def add_draft_version(
    *, actor: Any, document: OutgoingDocument, pdf: bytes, filename: str = "du-thao.pdf"
) -> DocumentFile:
    document = _lock_outgoing(document)
    require(actor, "documents.edit_draft", document)
    _expect(
        document,
        OutgoingDocument.Status.DRAFT,
        message="Chỉ sửa được dự thảo khi chưa gửi xem xét hoặc đã bị trả lại.",
        code="not_a_draft",
    )
    info = read_pdf(pdf)
    version = _next_version(document)
    doc_file = _store_pdf(
        data=pdf,
        name=filename,
        role=DocumentFile.Role.DRAFT,
        actor=actor,
        outgoing=document,
        version=version,
        page_count=info.page_count,
    )
    document.text_folded = fold(info.text)
    document.page_count = info.page_count
    document.save(update_fields=["text_folded", "page_count", "updated_at"])
    record(
        actor=actor,
        action="documents.add_version",
        obj=document,
        agency=document.agency,
        summary={"version": version, "sha256": doc_file.sha256},
    )
    return doc_file


@transaction.atomic
def submit_for_review(
    *,
    actor: Any,
    document: OutgoingDocument,
    reviewers: Sequence[Any] = (),
    signer: Any,
) -> OutgoingDocument:
    """Send the draft along a chain of reviewers, then to the leader who signs."""
    document = _lock_outgoing(document)
    require(actor, "documents.edit_draft", document)
    _expect(
        document,
        OutgoingDocument.Status.DRAFT,
        message="Văn bản không ở trạng thái dự thảo.",
        code="not_a_draft",
    )
    if signer is None or not has_role(signer, document.agency, {Role.LEADER}):
        raise ValidationFailed(
            "Người ký phải là lãnh đạo của cơ quan ban hành.", code="signer_not_leader"
        )
    if not works_in(signer, document.agency) and not signer.is_superuser:
        raise ValidationFailed(
            "Người ký phải là lãnh đạo của cơ quan ban hành.", code="signer_not_leader"
        )
    ids = [r.pk for r in reviewers]
    if len(set(ids)) != len(ids):
        raise ValidationFailed("Một người xem xét được chọn nhiều lần.", code="reviewer_repeated")
    for reviewer in reviewers:
        if not works_in(reviewer, document.agency):
            raise ValidationFailed(
                f"{reviewer} không công tác tại {document.agency}.",
                code="reviewer_outside_agency",
            )
    last_round = document.review_steps.order_by("-round").values_list("round", flat=True).first()
    round_no = (last_round or 0) + 1
    for order, reviewer in enumerate(reviewers, start=1):
        ReviewStep.objects.create(
            document=document,
            round=round_no,
            order=order,
            reviewer=reviewer,
            status=ReviewStep.Status.PENDING if order == 1 else ReviewStep.Status.WAITING,
        )
    document.signer = signer
    document.status = (
        OutgoingDocument.Status.IN_REVIEW if reviewers else OutgoingDocument.Status.REVIEWED
    )
    document.save(update_fields=["signer", "status", "updated_at"])
    record(
        actor=actor,
        action="documents.submit_for_review",
        obj=document,
        agency=document.agency,
        summary={"reviewers": ids, "signer": signer.pk, "round": round_no},
    )
    if reviewers:
        _notify(reviewers[0], "documents_review", {"document": document}, document)
    else:
        _notify(signer, "documents_to_sign", {"document": document}, document)
    return document


@transaction.atomic
def review_draft(
    *, actor: Any, document: OutgoingDocument, approve: bool, comment: str = ""
) -> OutgoingDocument:
    document = _lock_outgoing(document)
    step = document.review_steps.filter(status=ReviewStep.Status.PENDING).first()
    if document.status != OutgoingDocument.Status.IN_REVIEW or step is None:
        raise InvalidTransition("Văn bản không chờ ý kiến xem xét.", code="not_in_review")
    if step.reviewer_id != actor.pk:
        raise PermissionDenied("Chưa đến lượt bạn cho ý kiến về dự thảo này.")
    if not approve and not (comment or "").strip():
        raise ValidationFailed("Vui lòng ghi lý do trả lại.", code="comment_required")
    now = timezone.now()
    step.status = ReviewStep.Status.APPROVED if approve else ReviewStep.Status.RETURNED
    step.comment = (comment or "").strip()
    step.decided_at = now
    step.save(update_fields=["status", "comment", "decided_at"])
    if approve:
        nxt = (
            document.review_steps.filter(round=step.round, status=ReviewStep.Status.WAITING)
            .order_by("order")
            .first()
        )
        if nxt:
            nxt.status = ReviewStep.Status.PENDING
            nxt.save(update_fields=["status"])
            _notify(nxt.reviewer, "documents_review", {"document": document}, document)
        else:
            document.status = OutgoingDocument.Status.REVIEWED
            _notify(document.signer, "documents_to_sign", {"document": document}, document)
    else:
        document.review_steps.filter(round=step.round, status=ReviewStep.Status.WAITING).delete()
        document.status = OutgoingDocument.Status.DRAFT
        _notify(document.drafter, "documents_returned", {"document": document}, document)
    document.save(update_fields=["status", "updated_at"])
    record(
        actor=actor,
        action="documents.review",
        obj=document,
        agency=document.agency,
        summary={"approve": approve, "step": step.order, "round": step.round},
    )
    return document


@transaction.atomic
def return_to_drafter(*, actor: Any, document: OutgoingDocument, comment: str) -> OutgoingDocument:
    """The leader sends the draft back instead of approving it."""
    document = _lock_outgoing(document)
    require(actor, "documents.approve", document)
    _expect(
        document,
        OutgoingDocument.Status.REVIEWED,
        OutgoingDocument.Status.APPROVED,
        message="Văn bản không chờ lãnh đạo duyệt.",
        code="not_awaiting_approval",
    )
    if not (comment or "").strip():
        raise ValidationFailed("Vui lòng ghi lý do trả lại.", code="comment_required")
    document.status = OutgoingDocument.Status.DRAFT
    document.approved_at = None
    document.save(update_fields=["status", "approved_at", "updated_at"])
    record(
        actor=actor,
        action="documents.return_draft",
        obj=document,
        agency=document.agency,
        summary={"comment": comment[:500]},
    )
    _notify(document.drafter, "documents_returned", {"document": document}, document)
    return document


@transaction.atomic
def approve_outgoing(*, actor: Any, document: OutgoingDocument) -> OutgoingDocument:
    document = _lock_outgoing(document)
    require(actor, "documents.approve", document)
    _expect(
        document,
        OutgoingDocument.Status.REVIEWED,
        message="Văn bản chưa qua đủ các bước xem xét hoặc đã được duyệt.",
        code="not_awaiting_approval",
    )
    document.status = OutgoingDocument.Status.APPROVED
    document.approved_at = timezone.now()
    document.signer = actor
    document.save(update_fields=["status", "approved_at", "signer", "updated_at"])
    record(actor=actor, action="documents.approve", obj=document, agency=document.agency)
    return document


@transaction.atomic
def sign_outgoing(
    *, actor: Any, document: OutgoingDocument, digital: bool = True
) -> OutgoingDocument:
    """The leader signs (digitally with their certificate, or records a paper signature)."""
    document = _lock_outgoing(document)
    require(actor, "documents.approve", document)
    _expect(
        document,
        OutgoingDocument.Status.REVIEWED,
        OutgoingDocument.Status.APPROVED,
        message="Văn bản không ở trạng thái chờ ký.",
        code="not_awaiting_signature",
    )
    now = timezone.now()
    summary: dict[str, Any] = {"digital": digital}
    if digital:
        summary["sha256"] = _sign_latest_file(
            actor=actor,
            document=document,
            kind="personal",
            reason=f"Ký duyệt: {document.subject[:80]}",
            name=f"ky-so-v{_next_version(document)}.pdf",
            role=DocumentFile.Role.SIGNED,
        ).sha256
    document.status = OutgoingDocument.Status.SIGNED
    document.approved_at = document.approved_at or now
    document.signed_at = now
    document.signer = actor
    document.digitally_signed = digital
    document.save(
        update_fields=[
            "status",
            "approved_at",
            "signed_at",
            "signer",
            "digitally_signed",
            "updated_at",
        ]
    )
    record(
        actor=actor, action="documents.sign", obj=document, agency=document.agency, summary=summary
    )
    for clerk in _users_with_role(document.agency, Role.CLERK)[:20]:
        _notify(clerk, "documents_to_number", {"document": document}, document)
    return document


@transaction.atomic
def number_outgoing(*, actor: Any, document: OutgoingDocument) -> OutgoingDocument:
    """The clerk gives the number and notation from the year's outgoing register."""
    document = _lock_outgoing(document)
    require(actor, "documents.number", document)
    if document.number is not None:
        raise Conflict(
            f"Văn bản đã được cấp số {document.number_notation}; không cấp số lần hai.",
            code="already_numbered",
        )
    _expect(
        document,
        OutgoingDocument.Status.SIGNED,
        message="Chỉ cấp số cho văn bản đã được lãnh đạo ký.",
        code="not_signed",
    )
    today = local_today()
    register, number = take_number(
        agency=document.agency,
        year=today.year,
        direction=Register.Direction.OUTGOING,
        series=series_for(document.confidentiality),
    )
    document.register = register
    document.number = number
    document.number_notation = format_number_notation(
        number=number,
        doc_type=document.doc_type,
        agency=document.agency,
        drafting_unit=document.drafting_unit,
    )
    document.issued_on = today
    document.numbered_by = actor
    document.status = OutgoingDocument.Status.NUMBERED
    document.save(
        update_fields=[
            "register",
            "number",
            "number_notation",
            "issued_on",
            "numbered_by",
            "status",
            "updated_at",
        ]
    )
    record(
        actor=actor,
        action="documents.number",
        obj=document,
        agency=document.agency,
        summary={
            "number": number,
            "number_notation": document.number_notation,
            "year": register.year,
            "series": register.series,
        },
    )
    return document


@transaction.atomic
def seal_outgoing(*, actor: Any, document: OutgoingDocument) -> OutgoingDocument:
    """The clerk applies the agency's digital signature (the seal) to the numbered document."""
    document = _lock_outgoing(document)
    require(actor, "documents.number", document)
    _expect(
        document,
        OutgoingDocument.Status.NUMBERED,
        message="Chỉ đóng dấu (ký số cơ quan) văn bản đã cấp số.",
        code="not_numbered",
    )
    now = timezone.now()
    summary: dict[str, Any] = {"digital": document.digitally_signed}
    if document.digitally_signed:
        # The main document gets the seal image over the leader's signature; the
        # text-only agency signature (`seal_text`) is for attachments only.
        summary["sha256"] = _sign_latest_file(
            actor=actor,
            document=document,
            kind="seal",
            reason=f"Ban hành văn bản số {document.number_notation}",
            name=f"{document.number_notation.replace('/', '_')}.pdf",
            role=DocumentFile.Role.SEALED,
        ).sha256
    document.status = OutgoingDocument.Status.ISSUED
    document.sealed_at = now
    document.save(update_fields=["status", "sealed_at", "updated_at"])
    record(
        actor=actor, action="documents.seal", obj=document, agency=document.agency, summary=summary
    )
    return document


def _sign_latest_file(
    *, actor: Any, document: OutgoingDocument, kind: str, reason: str, name: str, role: str
) -> DocumentFile:
    """Sign the latest version of `document` (personal signature or seal) as a new version."""
    latest = document.latest_file
    if latest is None:
        raise ValidationFailed("Văn bản chưa có tệp để ký.", code="no_file")
    signed = _signing().sign_pdf(
        pdf=read_file_bytes(latest),
        signer=actor,
        kind=kind,
        agency=document.agency,
        reason=reason,
        location=document.agency.name,
    )
    return _store_pdf(
        data=signed,
        name=name,
        role=role,
        actor=actor,
        outgoing=document,
        version=_next_version(document),
        page_count=document.page_count,
    )


@transaction.atomic
def dispatch_outgoing(
    *,
    actor: Any,
    document: OutgoingDocument,
    agencies: Sequence[Any] = (),
    external: Sequence[tuple[str, str]] = (),
) -> list[Recipient]:
    """Send the issued document: agencies on the platform get it as incoming (pending their
    clerk); outside recipients are listed for the document exchange (sent by `exchange`)."""
    document = _lock_outgoing(document)
    require(actor, "documents.number", document)
    _expect(
        document,
        OutgoingDocument.Status.ISSUED,
        message="Chỉ phát hành văn bản đã cấp số và đóng dấu.",
        code="not_issued",
    )
    if not agencies and not external:
        raise ValidationFailed("Vui lòng chọn ít nhất một nơi nhận.", code="no_recipients")
    ids = [a.pk for a in agencies]
    if len(set(ids)) != len(ids):
        raise ValidationFailed("Một nơi nhận được chọn nhiều lần.", code="recipient_repeated")
    if document.agency_id in ids:
        raise ValidationFailed(
            "Không gửi văn bản cho chính cơ quan ban hành.", code="recipient_is_sender"
        )
    latest = document.latest_file
    now = timezone.now()
    recipients = []
    for agency in agencies:
        if not agency.is_active:
            raise ValidationFailed(
                f"{agency} đã ngừng hoạt động; chọn cơ quan kế thừa.",
                code="recipient_inactive",
            )
        incoming = IncomingDocument.objects.create(
            agency=agency,
            arrived_at=now,
            sender_agency=document.agency,
            sender_name=document.agency.name,
            number_notation=document.number_notation,
            notation_key=notation_key(document.number_notation),
            issued_on=document.issued_on or local_today(),
            doc_type=document.doc_type,
            subject=document.subject,
            subject_folded=document.subject_folded,
            text_folded=document.text_folded,
            urgency=document.urgency,
            confidentiality=document.confidentiality,
            page_count=document.page_count,
            status=IncomingDocument.Status.PENDING,
            source=IncomingDocument.Source.INTERNAL,
            origin=document,
        )
        if latest is not None:
            DocumentFile.objects.create(
                incoming=incoming,
                role=DocumentFile.Role.MAIN,
                file=latest.file.name,
                name=latest.name,
                sha256=latest.sha256,
                size=latest.size,
                page_count=latest.page_count,
                uploaded_by=actor,
            )
        recipients.append(
            Recipient.objects.create(
                document=document,
                agency=agency,
                name=agency.name,
                status=Recipient.Status.DELIVERED,
                delivered=incoming,
            )
        )
        for clerk in _users_with_role(agency, Role.CLERK)[:20]:
            _notify(clerk, "documents_received", {"document": incoming}, incoming)
    for name, code in external:
        name = (name or "").strip()
        if not name:
            raise ValidationFailed("Tên nơi nhận bên ngoài không được để trống.", code="no_name")
        recipients.append(
            Recipient.objects.create(
                document=document,
                name=name[:255],
                external_code=(code or "").strip().upper()[:35],
                status=Recipient.Status.EXCHANGE_PENDING,
            )
        )
    document.status = OutgoingDocument.Status.DISPATCHED
    document.dispatched_at = now
    document.save(update_fields=["status", "dispatched_at", "updated_at"])
    record(
        actor=actor,
        action="documents.dispatch",
        obj=document,
        agency=document.agency,
        summary={"internal": [a.code for a in agencies], "external": [n for n, _ in external]},
    )
    return recipients


# ---------------------------------------------------------------------------------------
# Work records


@transaction.atomic
def create_work_record(*, actor: Any, agency: Any, title: str) -> WorkRecord:
    require(actor, "documents.manage_work_record", agency)
    title = _required(title, "tiêu đề hồ sơ", "title_required")
    year = local_today().year
    _register, number = take_number(
        agency=agency,
        year=year,
        direction=Register.Direction.WORK_RECORD,
        series=Register.Series.NORMAL,
    )
    work_record = WorkRecord.objects.create(
        agency=agency,
        code=f"{year}.{agency_abbreviation(agency)}.{number:02d}",
        year=year,
        title=title[:500],
        title_folded=fold(title)[:500],
        owner=actor,
    )
    record(
        actor=actor,
        action="documents.create_work_record",
        obj=work_record,
        agency=agency,
        summary={"code": work_record.code},
    )
    return work_record


@transaction.atomic
def file_document(
    *,
    actor: Any,
    work_record: WorkRecord,
    incoming: IncomingDocument | None = None,
    outgoing: OutgoingDocument | None = None,
) -> WorkRecordItem:
    work_record = WorkRecord.objects.select_for_update().get(pk=work_record.pk)
    require(actor, "documents.manage_work_record", work_record.agency)
    if work_record.status == WorkRecord.Status.CLOSED:
        raise InvalidTransition("Hồ sơ công việc đã đóng.", code="work_record_closed")
    doc = incoming or outgoing
    if doc is None or (incoming is not None and outgoing is not None):
        raise ValidationFailed("Chọn một văn bản để đưa vào hồ sơ.", code="document_required")
    if doc.agency_id != work_record.agency_id:
        raise ValidationFailed(
            "Văn bản không thuộc cơ quan của hồ sơ công việc.", code="document_outside_agency"
        )
    item, created = WorkRecordItem.objects.get_or_create(
        record=work_record, incoming=incoming, outgoing=outgoing, defaults={"added_by": actor}
    )
    if created:
        record(
            actor=actor,
            action="documents.file_document",
            obj=work_record,
            agency=work_record.agency,
            summary={
                "incoming": getattr(incoming, "uid", None),
                "outgoing": getattr(outgoing, "uid", None),
            },
        )
    return item


@transaction.atomic
def close_work_record(*, actor: Any, work_record: WorkRecord) -> WorkRecord:
    work_record = WorkRecord.objects.select_for_update().get(pk=work_record.pk)
    require(actor, "documents.manage_work_record", work_record.agency)
    if work_record.status == WorkRecord.Status.CLOSED:
        raise InvalidTransition("Hồ sơ công việc đã đóng.", code="work_record_closed")
    work_record.status = WorkRecord.Status.CLOSED
    work_record.closed_at = timezone.now()
    work_record.save(update_fields=["status", "closed_at", "updated_at"])
    record(
        actor=actor,
        action="documents.close_work_record",
        obj=work_record,
        agency=work_record.agency,
    )
    return work_record


# ---------------------------------------------------------------------------------------
# Document exchange hooks (used by the `exchange` app)


@transaction.atomic
def receive_external(
    *,
    agency: Any,
    pdf: bytes,
    filename: str = "van-ban.pdf",
    sender_name: str,
    sender_code: str = "",
    number_notation: str,
    issued_on: date,
    doc_type: str,
    subject: str,
    urgency: str = Urgency.NORMAL,
    confidentiality: str = Confidentiality.NORMAL,
    page_count: int | None = None,
) -> IncomingDocument:
    """A document that arrived over the exchange: waiting for the clerk (status pending),
    like one dispatched inside the platform; `accept_incoming` registers it."""
    from tinhso.directory.models import Agency

    sender_name = _required(sender_name, "cơ quan ban hành", "sender_required")
    number_notation = _required(number_notation, "số, ký hiệu", "number_notation_required")
    subject = _required(subject, "trích yếu", "subject_required")
    _check_choice(doc_type, DOC_TYPES, "doc_type", "Loại văn bản")
    info = read_pdf(pdf)
    sender_agency = (
        Agency.objects.filter(code=sender_code.strip().upper()).first() if sender_code else None
    )
    document = IncomingDocument.objects.create(
        agency=agency,
        arrived_at=timezone.now(),
        sender_agency=sender_agency,
        sender_name=sender_name,
        number_notation=number_notation,
        notation_key=notation_key(number_notation),
        issued_on=issued_on,
        doc_type=doc_type,
        subject=subject,
        subject_folded=fold(subject),
        text_folded=fold(info.text),
        urgency=urgency,
        confidentiality=confidentiality,
        page_count=page_count or info.page_count,
        status=IncomingDocument.Status.PENDING,
        source=IncomingDocument.Source.EXCHANGE,
    )
    _store_pdf(
        data=pdf,
        name=filename,
        role=DocumentFile.Role.MAIN,
        actor=None,
        incoming=document,
        page_count=info.page_count,
    )
    record(
        actor=None,
        action="documents.receive_external",
        obj=document,
        agency=agency,
        summary={"sender": sender_name, "number_notation": number_notation},
    )
    for clerk in _users_with_role(agency, Role.CLERK)[:20]:
        _notify(clerk, "documents_received", {"document": document}, document)
    return document


@transaction.atomic
def mark_exchange_sent(*, recipient: Recipient) -> Recipient:
    """The exchange reports an outside recipient's copy as sent (idempotent)."""
    recipient = Recipient.objects.select_for_update().get(pk=recipient.pk)
    if recipient.status == Recipient.Status.EXCHANGE_SENT:
        return recipient
    if recipient.status != Recipient.Status.EXCHANGE_PENDING:
        raise InvalidTransition(
            "Nơi nhận này không gửi qua trục liên thông.", code="not_an_exchange_recipient"
        )
    recipient.status = Recipient.Status.EXCHANGE_SENT
    recipient.save(update_fields=["status"])
    record(
        actor=None,
        action="documents.exchange_sent",
        obj=recipient.document,
        agency=recipient.document.agency_id,
        summary={"recipient": recipient.name, "code": recipient.external_code},
    )
    return recipient
