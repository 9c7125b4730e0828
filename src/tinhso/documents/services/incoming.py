"""Incoming documents: registering what arrived (upload, paper, platform, exchange).

Registering stores the row first and takes the arrival number last, so the register's
row lock is held only for the increment, the number's UPDATE and the commit.
Documents dispatched to another agency on the platform arrive there in status "pending"
(chờ vào sổ): the receiving clerk checks it and registers it, which gives it the arrival
number (Decree 30: the clerk registers what arrives).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from tinhso.accounts.models import Role
from tinhso.accounts.rules import require
from tinhso.audit.services import record
from tinhso.core.errors import (
    Conflict,
    InvalidTransition,
    ValidationFailed,
)
from tinhso.core.text import fold
from tinhso.documents.errors import DocumentErrorCode as E
from tinhso.documents.models import (
    DOC_TYPES,
    Confidentiality,
    DocumentFile,
    IncomingDocument,
    Register,
    Urgency,
)
from tinhso.documents.pdfs import read_pdf
from tinhso.documents.services.common import (
    check_choice,
    notify,
    require_visible,
    required,
    store_pdf,
    users_with_role,
)
from tinhso.documents.services.numbering import (
    notation_key,
    register_for,
    series_for,
    take_number,
)


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
    sender_name = required(sender_name, "cơ quan ban hành", E.SENDER_REQUIRED)
    number_notation = required(number_notation, "số, ký hiệu", E.NUMBER_NOTATION_REQUIRED)
    subject = required(subject, "trích yếu", E.SUBJECT_REQUIRED)
    check_choice(doc_type, DOC_TYPES, E.INVALID_DOC_TYPE, "Loại văn bản")
    check_choice(urgency, Urgency.values, E.INVALID_URGENCY, "Độ khẩn")
    check_choice(confidentiality, Confidentiality.values, E.INVALID_CONFIDENTIALITY, "Độ mật")
    check_choice(source, IncomingDocument.Source.values, E.INVALID_SOURCE, "Nguồn")
    arrived_at = arrived_at or timezone.now()
    arrival_day = timezone.localdate(arrived_at)
    if issued_on > arrival_day:
        raise ValidationFailed("Ngày ban hành không thể sau ngày đến.", code=E.ISSUED_AFTER_ARRIVAL)
    if deadline is not None and deadline < arrival_day:
        raise ValidationFailed("Hạn xử lý không thể trước ngày đến.", code=E.DEADLINE_IN_PAST)
    info = None
    if pdf is None:
        if source in (IncomingDocument.Source.UPLOAD, IncomingDocument.Source.PAPER):
            raise ValidationFailed(
                "Vui lòng tải lên tệp PDF của văn bản (bản điện tử hoặc bản quét).",
                code=E.PDF_REQUIRED,
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
            code=E.POSSIBLE_DUPLICATE,
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
        sender_folded=fold(sender_name)[:255],
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
        store_pdf(
            data=pdf,
            name=filename,
            role=DocumentFile.Role.MAIN,
            actor=actor,
            incoming=document,
            page_count=info.page_count,
        )
    for name, data, a_info in attachment_infos:
        store_pdf(
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
    for leader in users_with_role(agency, Role.LEADER)[:20]:
        notify(leader, "documents_incoming", {"document": document}, document)
    return document


@transaction.atomic
def accept_incoming(*, actor: Any, document: IncomingDocument) -> IncomingDocument:
    """The clerk registers a document that arrived through the platform (status pending)."""
    document = IncomingDocument.objects.select_for_update().get(pk=document.pk)
    require_visible(actor, document)
    require(actor, "documents.register_incoming", document.agency)
    if document.status != IncomingDocument.Status.PENDING or document.arrival_number:
        raise InvalidTransition("Văn bản này đã được vào sổ.", code=E.ALREADY_REGISTERED)
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
