"""Helpers shared by the documents use-cases: files, input checks, notifications."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.files.base import ContentFile
from django.db.models import F
from django.utils import timezone

from tinhso.core.errors import (
    DomainError,
    ValidationFailed,
)
from tinhso.core.files import sha256_of
from tinhso.documents.errors import DocumentErrorCode as E
from tinhso.documents.models import (
    DocumentFile,
    IncomingDocument,
    OutgoingDocument,
    ReadReceipt,
    WorkRecord,
)


def local_today() -> date:
    return timezone.localdate()


def signing_services():
    """The signing app's services (owned by another module; imported lazily)."""
    try:
        from tinhso.signing import services as signing_services
    except ImportError:  # pragma: no cover - signing app missing
        signing_services = None
    if signing_services is None or not hasattr(signing_services, "sign_pdf"):
        raise DomainError(
            "Chức năng ký số chưa sẵn sàng trên hệ thống này.",
            code=E.SIGNING_UNAVAILABLE,
            status=503,
        )
    return signing_services


def store_pdf(
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


def check_choice(value: str, choices: Iterable[str], code: E, label: str) -> str:
    if value not in set(choices):
        raise ValidationFailed(f"{label} '{value}' không hợp lệ.", code=code)
    return value


def required(value: str | None, label: str, code: E) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed(f"Vui lòng nhập {label}.", code=code)
    return value


def notify(user: Any, template: str, context: dict[str, Any], obj: Any) -> None:
    from tinhso.notify.services import notify_user

    if user is None:
        return
    notify_user(
        user=user,
        template=template,
        context={"user": user, **context},
        related_object=f"{obj._meta.label_lower}:{obj.uid}",
    )


def users_with_role(agency: Any, role: str):
    from tinhso.accounts.models import User

    return User.objects.filter(role_grants__agency=agency, role_grants__role=role, is_active=True)


def mark_read(*, user: Any, incoming: IncomingDocument | None = None, outgoing=None) -> None:
    """Keep a read receipt (first and last time the user opened the document, and how many
    times). Each statement stands alone (no transaction around them: a page view paid a
    BEGIN and a COMMIT for them): the UPDATE counts a later read; the first read inserts,
    and a receipt a concurrent first read inserted meanwhile is kept as it is."""
    now = timezone.now()
    lookup = {"incoming": incoming} if incoming is not None else {"outgoing": outgoing}
    updated = ReadReceipt.objects.filter(user=user, **lookup).update(
        last_read_at=now, times=F("times") + 1
    )
    if not updated:
        ReadReceipt.objects.bulk_create(
            [ReadReceipt(user=user, first_read_at=now, last_read_at=now, **lookup)],
            ignore_conflicts=True,
        )


def require_visible(actor: Any, document: Any) -> None:
    """Permission before anything else, and "not found" (404) to whoever may not know the
    document exists: another agency's official gets the same answer as for a wrong id."""
    from tinhso.accounts.rules import can
    from tinhso.core.errors import NotFound

    if isinstance(document, IncomingDocument):
        if not can(actor, "documents.view_incoming", document):
            raise NotFound("Không tìm thấy văn bản đến.")
    elif isinstance(document, OutgoingDocument):
        if not can(actor, "documents.view_outgoing", document):
            raise NotFound("Không tìm thấy văn bản đi.")
    elif isinstance(document, WorkRecord):
        if not can(actor, "documents.manage_work_record", document.agency):
            raise NotFound("Không tìm thấy hồ sơ công việc.")
    else:  # pragma: no cover - a programming error
        raise TypeError(f"not a document: {document!r}")
