"""The clerk's part of an outgoing document: number, seal (agency signature), dispatch."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from tinhso.accounts.models import Role
from tinhso.accounts.rules import require
from tinhso.audit.services import record
from tinhso.core.errors import (
    Conflict,
    ValidationFailed,
)
from tinhso.core.text import fold
from tinhso.documents import stamping
from tinhso.documents.errors import DocumentErrorCode as E
from tinhso.documents.models import (
    DocumentFile,
    IncomingDocument,
    OutgoingDocument,
    Recipient,
    Register,
)
from tinhso.documents.services.common import (
    local_today,
    notify,
    read_file_bytes,
    require_visible,
    store_pdf,
    users_with_role,
)
from tinhso.documents.services.numbering import (
    format_number_notation,
    notation_key,
    series_for,
    take_number,
)
from tinhso.documents.services.outgoing import (
    expect_status,
    lock_outgoing,
    next_version,
    sign_latest_file,
)
from tinhso.documents.signals import outgoing_dispatched


@transaction.atomic
def number_outgoing(*, actor: Any, document: OutgoingDocument) -> OutgoingDocument:
    """The clerk gives the number and notation from the year's outgoing register."""
    document = lock_outgoing(document)
    require_visible(actor, document)
    require(actor, "documents.number", document)
    if document.number is not None:
        raise Conflict(
            f"Văn bản đã được cấp số {document.number_notation}; không cấp số lần hai.",
            code=E.ALREADY_NUMBERED,
        )
    expect_status(
        document,
        OutgoingDocument.Status.SIGNED,
        message="Chỉ cấp số cho văn bản đã được lãnh đạo ký.",
        code=E.NOT_SIGNED,
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
    document.notation_key = notation_key(document.number_notation)
    document.issued_on = today
    document.numbered_by = actor
    document.status = OutgoingDocument.Status.NUMBERED
    stamped = _stamp_number(actor=actor, document=document)
    document.save(
        update_fields=[
            "register",
            "number",
            "number_notation",
            "notation_key",
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
            "stamped_sha256": stamped.sha256 if stamped else None,
        },
    )
    return document


def _stamp_number(*, actor: Any, document: OutgoingDocument) -> DocumentFile | None:
    """Write "Số: <number/notation>" and the place and date into the latest PDF, as a new
    version (before the seal, which then signs them). The leader's signature stays valid:
    the fields it covers are only filled in. A PDF signed without the fields (before they
    existed, or signed elsewhere) is left unchanged: filling it would break its signature."""
    latest = document.latest_file
    if latest is None:
        return None
    pdf = read_file_bytes(latest)
    if not stamping.has_number_fields(pdf):
        if stamping.is_signed(pdf):
            return None
        pdf = stamping.add_number_fields(pdf)
    stamped = stamping.fill_number_fields(
        pdf, number_notation=document.number_notation, issued_on=document.issued_on or local_today()
    )
    return store_pdf(
        data=stamped,
        name=f"{document.number_notation.replace('/', '_')}-cap-so.pdf",
        role=DocumentFile.Role.NUMBERED,
        actor=actor,
        outgoing=document,
        version=next_version(document),
        page_count=document.page_count,
    )


@transaction.atomic
def seal_outgoing(*, actor: Any, document: OutgoingDocument) -> OutgoingDocument:
    """The clerk applies the agency's digital signature (the seal) to the numbered document."""
    document = lock_outgoing(document)
    require_visible(actor, document)
    require(actor, "documents.number", document)
    expect_status(
        document,
        OutgoingDocument.Status.NUMBERED,
        message="Chỉ đóng dấu (ký số cơ quan) văn bản đã cấp số.",
        code=E.NOT_NUMBERED,
    )
    now = timezone.now()
    summary: dict[str, Any] = {"digital": document.digitally_signed}
    if document.digitally_signed:
        # The main document gets the seal image over the leader's signature; the
        # text-only agency signature (`seal_text`) is for attachments only.
        summary["sha256"] = sign_latest_file(
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
    document = lock_outgoing(document)
    require_visible(actor, document)
    require(actor, "documents.number", document)
    expect_status(
        document,
        OutgoingDocument.Status.ISSUED,
        message="Chỉ phát hành văn bản đã cấp số và đóng dấu.",
        code=E.NOT_ISSUED,
    )
    if not agencies and not external:
        raise ValidationFailed("Vui lòng chọn ít nhất một nơi nhận.", code=E.NO_RECIPIENTS)
    ids = [a.pk for a in agencies]
    if len(set(ids)) != len(ids):
        raise ValidationFailed("Một nơi nhận được chọn nhiều lần.", code=E.RECIPIENT_REPEATED)
    if document.agency_id in ids:
        raise ValidationFailed(
            "Không gửi văn bản cho chính cơ quan ban hành.", code=E.RECIPIENT_IS_SENDER
        )
    latest = document.latest_file
    now = timezone.now()
    recipients = []
    for agency in agencies:
        if not agency.is_active:
            raise ValidationFailed(
                f"{agency} đã ngừng hoạt động; chọn cơ quan kế thừa.",
                code=E.RECIPIENT_INACTIVE,
            )
        incoming = IncomingDocument.objects.create(
            agency=agency,
            arrived_at=now,
            sender_agency=document.agency,
            sender_name=document.agency.name,
            sender_folded=fold(document.agency.name)[:255],
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
        for clerk in users_with_role(agency, Role.CLERK)[:20]:
            notify(clerk, "documents_received", {"document": incoming}, incoming)
    for name, code in external:
        name = (name or "").strip()
        if not name:
            raise ValidationFailed("Tên nơi nhận bên ngoài không được để trống.", code=E.NO_NAME)
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
    outgoing_dispatched.send(
        sender=OutgoingDocument, document=document, recipients=recipients, actor=actor
    )
    return recipients
