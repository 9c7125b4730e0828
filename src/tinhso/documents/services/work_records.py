"""Work records (hồ sơ công việc): documents filed together for one piece of work."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from tinhso.accounts.rules import require
from tinhso.audit.services import record
from tinhso.core.errors import (
    InvalidTransition,
    ValidationFailed,
)
from tinhso.core.text import fold
from tinhso.documents.errors import DocumentErrorCode as E
from tinhso.documents.models import (
    IncomingDocument,
    OutgoingDocument,
    Register,
    WorkRecord,
    WorkRecordItem,
)
from tinhso.documents.services.common import (
    local_today,
    require_visible,
    required,
)
from tinhso.documents.services.numbering import (
    agency_abbreviation,
    take_number,
)


@transaction.atomic
def create_work_record(*, actor: Any, agency: Any, title: str) -> WorkRecord:
    require(actor, "documents.manage_work_record", agency)
    title = required(title, "tiêu đề hồ sơ", E.TITLE_REQUIRED)
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
    require_visible(actor, work_record)
    if work_record.status == WorkRecord.Status.CLOSED:
        raise InvalidTransition("Hồ sơ công việc đã đóng.", code=E.WORK_RECORD_CLOSED)
    doc = incoming or outgoing
    if doc is None or (incoming is not None and outgoing is not None):
        raise ValidationFailed("Chọn một văn bản để đưa vào hồ sơ.", code=E.DOCUMENT_REQUIRED)
    require_visible(actor, doc)
    if doc.agency_id != work_record.agency_id:
        raise ValidationFailed(
            "Văn bản không thuộc cơ quan của hồ sơ công việc.", code=E.DOCUMENT_OUTSIDE_AGENCY
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
    require_visible(actor, work_record)
    if work_record.status == WorkRecord.Status.CLOSED:
        raise InvalidTransition("Hồ sơ công việc đã đóng.", code=E.WORK_RECORD_CLOSED)
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
