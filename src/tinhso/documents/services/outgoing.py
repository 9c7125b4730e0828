"""Outgoing drafts: versions, review chain, approval and the leader's signature."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from tinhso.accounts.models import Role
from tinhso.accounts.rules import has_role, require
from tinhso.audit.services import record
from tinhso.core.errors import (
    InvalidTransition,
    PermissionDenied,
    ValidationFailed,
)
from tinhso.core.text import fold
from tinhso.documents import stamping
from tinhso.documents.errors import DocumentErrorCode as E
from tinhso.documents.models import (
    DOC_TYPES,
    OFFICIAL_LETTER,
    Confidentiality,
    DocumentFile,
    IncomingDocument,
    OutgoingDocument,
    ReviewStep,
    Urgency,
)
from tinhso.documents.pdfs import read_pdf
from tinhso.documents.rules import works_in
from tinhso.documents.services.common import (
    check_choice,
    notify,
    read_file_bytes,
    require_visible,
    required,
    signing_services,
    store_pdf,
    users_with_role,
)
from tinhso.documents.services.numbering import unit_abbreviation


def next_version(document: OutgoingDocument) -> int:
    last = document.files.order_by("-version").values_list("version", flat=True).first()
    return (last or 0) + 1


def lock_outgoing(document: OutgoingDocument) -> OutgoingDocument:
    return (
        OutgoingDocument.objects.select_for_update(of=("self",))
        .select_related("agency", "drafting_unit")
        .get(pk=document.pk)
    )


def expect_status(document: OutgoingDocument, *statuses: str, message: str, code: str) -> None:
    if document.status not in statuses:
        raise InvalidTransition(message, code=code)


def drafter_unit(user: Any, agency: Any) -> Any:
    """The unit the drafter works in at that agency (their current post), if any."""
    from tinhso.directory.models import Membership

    membership = (
        Membership.objects.filter(
            user_id=user.pk, agency_id=agency.pk, ended_on__isnull=True, org_unit__isnull=False
        )
        .select_related("org_unit")
        .order_by("-is_primary", "id")
        .first()
    )
    return membership.org_unit if membership else None


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
    recipients: Sequence[Any] = (),
    external_recipients: Sequence[tuple[str, str]] = (),
    in_reply_to: IncomingDocument | None = None,
) -> OutgoingDocument:
    """A draft with its Nơi nhận (agencies on the platform and/or outside ones, which
    dispatch will send to) and, optionally, the incoming document it answers."""
    require(actor, "documents.draft_outgoing", agency)
    subject = required(subject, "trích yếu", E.SUBJECT_REQUIRED)
    check_choice(doc_type, DOC_TYPES, E.INVALID_DOC_TYPE, "Loại văn bản")
    check_choice(urgency, Urgency.values, E.INVALID_URGENCY, "Độ khẩn")
    check_choice(confidentiality, Confidentiality.values, E.INVALID_CONFIDENTIALITY, "Độ mật")
    if drafting_unit is None:
        drafting_unit = drafter_unit(actor, agency)
    if drafting_unit is not None and drafting_unit.agency_id != agency.pk:
        raise ValidationFailed(
            "Đơn vị soạn thảo không thuộc cơ quan ban hành.", code=E.UNIT_OUTSIDE_AGENCY
        )
    if doc_type == OFFICIAL_LETTER and not unit_abbreviation(drafting_unit):
        # Decree 30: an official letter's notation names the drafting unit (45/UBND-KT).
        raise ValidationFailed(
            "Công văn cần có đơn vị soạn thảo (ký hiệu công văn gồm tên viết tắt của cơ quan "
            "và của đơn vị soạn thảo).",
            code=E.DRAFTING_UNIT_REQUIRED,
        )
    recipients = check_recipients(agency=agency, agencies=recipients, external=external_recipients)
    if in_reply_to is not None:
        require_visible(actor, in_reply_to)
        if in_reply_to.agency_id != agency.pk:
            raise ValidationFailed(
                "Văn bản được trả lời phải là văn bản đến của cơ quan ban hành.",
                code=E.REPLY_OUTSIDE_AGENCY,
            )
    info = read_pdf(pdf)
    document = OutgoingDocument.objects.create(
        agency=agency,
        in_reply_to=in_reply_to,
        planned_external=format_external(external_recipients),
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
    store_pdf(
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
        summary={
            "doc_type": doc_type,
            "recipients": [a.code for a in recipients],
            "external": [name for name, _code in external_recipients],
            "in_reply_to": str(in_reply_to.uid) if in_reply_to else None,
        },
    )
    document.planned_agencies.set(recipients)
    return document


def format_external(external: Sequence[tuple[str, str]]) -> str:
    return "\n".join(f"{name.strip()}; {code.strip()}".rstrip("; ") for name, code in external)


def parse_external(text: str) -> list[tuple[str, str]]:
    """'name; agency code' per line -> [(name, code)]."""
    rows = []
    for line in (text or "").splitlines():
        if line.strip():
            name, _sep, code = line.partition(";")
            rows.append((name.strip(), code.strip()))
    return rows


def check_recipients(
    *, agency: Any, agencies: Sequence[Any], external: Sequence[tuple[str, str]]
) -> list[Any]:
    """Nơi nhận: at least one; no repeats; not the issuing agency; active agencies only."""
    if not agencies and not external:
        raise ValidationFailed(
            "Vui lòng chọn nơi nhận (cơ quan trên nền tảng hoặc nơi nhận bên ngoài).",
            code=E.NO_RECIPIENTS,
        )
    ids = [a.pk for a in agencies]
    if len(set(ids)) != len(ids):
        raise ValidationFailed("Một nơi nhận được chọn nhiều lần.", code=E.RECIPIENT_REPEATED)
    if agency.pk in ids:
        raise ValidationFailed(
            "Không gửi văn bản cho chính cơ quan ban hành.", code=E.RECIPIENT_IS_SENDER
        )
    for target in agencies:
        if not target.is_active:
            raise ValidationFailed(
                f"{target} đã ngừng hoạt động; chọn cơ quan kế thừa.",
                code=E.RECIPIENT_INACTIVE,
            )
    for name, _code in external:
        if not (name or "").strip():
            raise ValidationFailed("Tên nơi nhận bên ngoài không được để trống.", code=E.NO_NAME)
    return list(agencies)


@transaction.atomic
def add_draft_version(
    *, actor: Any, document: OutgoingDocument, pdf: bytes, filename: str = "du-thao.pdf"
) -> DocumentFile:
    document = lock_outgoing(document)
    require_visible(actor, document)
    require(actor, "documents.edit_draft", document)
    expect_status(
        document,
        OutgoingDocument.Status.DRAFT,
        message="Chỉ sửa được dự thảo khi chưa gửi xem xét hoặc đã bị trả lại.",
        code=E.NOT_A_DRAFT,
    )
    info = read_pdf(pdf)
    version = next_version(document)
    doc_file = store_pdf(
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
    document = lock_outgoing(document)
    require_visible(actor, document)
    require(actor, "documents.edit_draft", document)
    expect_status(
        document,
        OutgoingDocument.Status.DRAFT,
        message="Văn bản không ở trạng thái dự thảo.",
        code=E.NOT_A_DRAFT,
    )
    if signer is None or not has_role(signer, document.agency, {Role.LEADER}):
        raise ValidationFailed(
            "Người ký phải là lãnh đạo của cơ quan ban hành.", code=E.SIGNER_NOT_LEADER
        )
    if not works_in(signer, document.agency) and not signer.is_superuser:
        raise ValidationFailed(
            "Người ký phải là lãnh đạo của cơ quan ban hành.", code=E.SIGNER_NOT_LEADER
        )
    ids = [r.pk for r in reviewers]
    if len(set(ids)) != len(ids):
        raise ValidationFailed("Một người xem xét được chọn nhiều lần.", code=E.REVIEWER_REPEATED)
    for reviewer in reviewers:
        if not works_in(reviewer, document.agency):
            raise ValidationFailed(
                f"{reviewer} không công tác tại {document.agency}.",
                code=E.REVIEWER_OUTSIDE_AGENCY,
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
        notify(reviewers[0], "documents_review", {"document": document}, document)
    else:
        notify(signer, "documents_to_sign", {"document": document}, document)
    return document


@transaction.atomic
def review_draft(
    *, actor: Any, document: OutgoingDocument, approve: bool, comment: str = ""
) -> OutgoingDocument:
    document = lock_outgoing(document)
    # Permission before state: outsiders learn nothing, insiders not asked are refused.
    require_visible(actor, document)
    if not document.review_steps.filter(reviewer_id=actor.pk).exists():
        raise PermissionDenied("Bạn không được mời cho ý kiến về dự thảo này.")
    step = document.review_steps.filter(status=ReviewStep.Status.PENDING).first()
    if document.status != OutgoingDocument.Status.IN_REVIEW or step is None:
        raise InvalidTransition("Văn bản không chờ ý kiến xem xét.", code=E.NOT_IN_REVIEW)
    if step.reviewer_id != actor.pk:
        raise PermissionDenied("Chưa đến lượt bạn cho ý kiến về dự thảo này.")
    if not approve and not (comment or "").strip():
        raise ValidationFailed("Vui lòng ghi lý do trả lại.", code=E.COMMENT_REQUIRED)
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
            notify(nxt.reviewer, "documents_review", {"document": document}, document)
        else:
            document.status = OutgoingDocument.Status.REVIEWED
            notify(document.signer, "documents_to_sign", {"document": document}, document)
    else:
        document.review_steps.filter(round=step.round, status=ReviewStep.Status.WAITING).delete()
        document.status = OutgoingDocument.Status.DRAFT
        notify(document.drafter, "documents_returned", {"document": document}, document)
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
    document = lock_outgoing(document)
    require_visible(actor, document)
    require(actor, "documents.approve", document)
    expect_status(
        document,
        OutgoingDocument.Status.REVIEWED,
        OutgoingDocument.Status.APPROVED,
        message="Văn bản không chờ lãnh đạo duyệt.",
        code=E.NOT_AWAITING_APPROVAL,
    )
    if not (comment or "").strip():
        raise ValidationFailed("Vui lòng ghi lý do trả lại.", code=E.COMMENT_REQUIRED)
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
    notify(document.drafter, "documents_returned", {"document": document}, document)
    return document


@transaction.atomic
def approve_outgoing(*, actor: Any, document: OutgoingDocument) -> OutgoingDocument:
    document = lock_outgoing(document)
    require_visible(actor, document)
    require(actor, "documents.approve", document)
    expect_status(
        document,
        OutgoingDocument.Status.REVIEWED,
        message="Văn bản chưa qua đủ các bước xem xét hoặc đã được duyệt.",
        code=E.NOT_AWAITING_APPROVAL,
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
    document = lock_outgoing(document)
    require_visible(actor, document)
    require(actor, "documents.approve", document)
    expect_status(
        document,
        OutgoingDocument.Status.REVIEWED,
        OutgoingDocument.Status.APPROVED,
        message="Văn bản không ở trạng thái chờ ký.",
        code=E.NOT_AWAITING_SIGNATURE,
    )
    now = timezone.now()
    summary: dict[str, Any] = {"digital": digital}
    if digital:
        summary["sha256"] = sign_latest_file(
            actor=actor,
            document=document,
            kind="personal",
            reason=f"Ký duyệt: {document.subject[:80]}",
            name=f"ky-so-v{next_version(document)}.pdf",
            role=DocumentFile.Role.SIGNED,
            # Empty number and date fields, filled by the clerk after this signature.
            prepare=stamping.prepare_for_number,
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
    for clerk in users_with_role(document.agency, Role.CLERK)[:20]:
        notify(clerk, "documents_to_number", {"document": document}, document)
    return document


def sign_latest_file(
    *,
    actor: Any,
    document: OutgoingDocument,
    kind: str,
    reason: str,
    name: str,
    role: str,
    prepare: Callable[[bytes], bytes] | None = None,
) -> DocumentFile:
    """Sign the latest version of `document` (personal signature or seal) as a new version;
    `prepare` changes the PDF first (e.g. adds the number fields before the first signature)."""
    latest = document.latest_file
    if latest is None:
        raise ValidationFailed("Văn bản chưa có tệp để ký.", code=E.NO_FILE)
    pdf = read_file_bytes(latest)
    if prepare is not None:
        pdf = prepare(pdf)
    signed = signing_services().sign_pdf(
        pdf=pdf,
        signer=actor,
        kind=kind,
        agency=document.agency,
        reason=reason,
        location=document.agency.name,
    )
    return store_pdf(
        data=signed,
        name=name,
        role=role,
        actor=actor,
        outgoing=document,
        version=next_version(document),
        page_count=document.page_count,
    )
