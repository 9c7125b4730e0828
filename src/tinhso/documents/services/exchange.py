"""Hooks used by the `exchange` app (documents arriving from and leaving to outside)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from tinhso.accounts.models import Role
from tinhso.audit.services import record, record_many
from tinhso.core.errors import (
    InvalidTransition,
)
from tinhso.core.text import fold
from tinhso.documents.errors import DocumentErrorCode as E
from tinhso.documents.models import (
    DOC_TYPES,
    Confidentiality,
    DocumentFile,
    IncomingDocument,
    Recipient,
    Urgency,
)
from tinhso.documents.pdfs import read_pdf
from tinhso.documents.services.common import (
    check_choice,
    notify,
    required,
    store_pdf,
    users_with_role,
)
from tinhso.documents.services.numbering import (
    notation_key,
)


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

    sender_name = required(sender_name, "cơ quan ban hành", E.SENDER_REQUIRED)
    number_notation = required(number_notation, "số, ký hiệu", E.NUMBER_NOTATION_REQUIRED)
    subject = required(subject, "trích yếu", E.SUBJECT_REQUIRED)
    check_choice(doc_type, DOC_TYPES, E.INVALID_DOC_TYPE, "Loại văn bản")
    info = read_pdf(pdf)
    sender_agency = (
        Agency.objects.filter(code=sender_code.strip().upper()).first() if sender_code else None
    )
    document = IncomingDocument.objects.create(
        agency=agency,
        arrived_at=timezone.now(),
        sender_agency=sender_agency,
        sender_name=sender_name,
        sender_folded=fold(sender_name)[:255],
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
    store_pdf(
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
    for clerk in users_with_role(agency, Role.CLERK)[:20]:
        notify(clerk, "documents_received", {"document": document}, document)
    return document


@transaction.atomic
def mark_exchange_sent(*, recipient: Recipient) -> Recipient:
    """The exchange reports an outside recipient's copy as sent (idempotent)."""
    recipient = (
        Recipient.objects.select_related("document")
        .select_for_update(of=("self",))
        .get(pk=recipient.pk)
    )
    if recipient.status == Recipient.Status.EXCHANGE_SENT:
        return recipient
    if recipient.status != Recipient.Status.EXCHANGE_PENDING:
        raise InvalidTransition(
            "Nơi nhận này không gửi qua trục liên thông.", code=E.NOT_AN_EXCHANGE_RECIPIENT
        )
    recipient.status = Recipient.Status.EXCHANGE_SENT
    recipient.save(update_fields=["status"])
    record(**_exchange_sent_entry(recipient))
    return recipient


def _exchange_sent_entry(recipient: Recipient) -> dict:
    """The audit entry of a recipient the exchange delivered to (one or a batch)."""
    return dict(
        actor=None,
        action="documents.exchange_sent",
        obj=recipient.document,
        agency=recipient.document.agency_id,
        summary={"recipient": recipient.name, "code": recipient.external_code},
    )


def mark_exchange_sent_many(*, recipients: list[Recipient]) -> int:
    """`mark_exchange_sent` for the recipients of a batch the exchange delivered: those
    still waiting move to "sent" with one statement, their audit entries with one more
    (each recipient its own entry); the others are left as they are. How many moved."""
    waiting = list(
        Recipient.objects.select_related("document")
        .select_for_update(of=("self",))
        .filter(pk__in=[r.pk for r in recipients], status=Recipient.Status.EXCHANGE_PENDING)
        .order_by("pk")
    )
    if not waiting:
        return 0
    Recipient.objects.filter(pk__in=[r.pk for r in waiting]).update(
        status=Recipient.Status.EXCHANGE_SENT
    )
    record_many([_exchange_sent_entry(recipient) for recipient in waiting])
    return len(waiting)
