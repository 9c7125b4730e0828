"""Outgoing documents: drafts with versions, review chain, approval, signing, numbering,
seal, dispatch inside the platform and to outside recipients; work records."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tinhso.core.errors import (
    Conflict,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from tinhso.documents import selectors, services
from tinhso.documents.models import IncomingDocument, OutgoingDocument, Recipient

from .conftest import make_pdf, register

pytestmark = pytest.mark.django_db


def draft(office, doc_type="qd", **kw):
    return services.create_draft(
        external_recipients=[("Bộ Nội vụ", "G09")],
        actor=office.specialist,
        agency=office.agency,
        doc_type=doc_type,
        subject=kw.pop("subject", "Quyết định phê duyệt kế hoạch chuyển đổi số"),
        pdf=make_pdf(),
        drafting_unit=office.unit,
        **kw,
    )


def to_signed(office, doc, reviewers=None):
    services.submit_for_review(
        actor=office.specialist,
        document=doc,
        reviewers=reviewers if reviewers is not None else [office.specialist2],
        signer=office.leader,
    )
    if reviewers is None:
        services.review_draft(actor=office.specialist2, document=doc, approve=True)
    services.approve_outgoing(actor=office.leader, document=doc)
    return services.sign_outgoing(actor=office.leader, document=doc, digital=False)


def test_full_outgoing_flow_with_notation_and_dispatch(office, other_office):
    doc = draft(office)
    services.add_draft_version(actor=office.specialist, document=doc, pdf=make_pdf("Bản sửa"))
    assert [f.version for f in doc.files.all()] == [1, 2]
    to_signed(office, doc)
    doc = services.number_outgoing(actor=office.clerk, document=doc)
    assert doc.number == 1 and doc.number_notation == "01/QĐ-STTTT"
    doc = services.seal_outgoing(actor=office.clerk, document=doc)
    assert doc.status == OutgoingDocument.Status.ISSUED
    recipients = services.dispatch_outgoing(
        actor=office.clerk,
        document=doc,
        agencies=[other_office.agency],
        external=[("Bộ Thông tin và Truyền thông", "G12")],
    )
    assert [r.status for r in recipients] == ["delivered", "exchange_pending"]
    incoming = IncomingDocument.objects.get(agency=other_office.agency)
    assert incoming.status == "pending" and incoming.source == "internal"
    assert incoming.arrival_number is None and incoming.origin == doc
    assert incoming.files.get().sha256 == doc.latest_file.sha256
    assert incoming in selectors.workspace(other_office.clerk).to_register
    incoming = services.accept_incoming(actor=other_office.clerk, document=incoming)
    assert incoming.arrival_number == 1 and incoming.status == "registered"
    with pytest.raises(InvalidTransition):
        services.accept_incoming(actor=other_office.clerk, document=incoming)
    # Read receipts go back to the sender: the issuing agency sees when it was opened.
    services.mark_read(user=other_office.leader, incoming=incoming)
    (row, _external) = selectors.recipients_with_reads(doc)
    assert row["registered"] and row["arrival_number"] == 1 and row["first_read_at"]


def test_official_letter_notation_uses_drafting_unit_and_leading_zero(office):
    numbers = []
    for _ in range(10):
        doc = draft(office, doc_type="cv")
        to_signed(office, doc, reviewers=[])
        numbers.append(services.number_outgoing(actor=office.clerk, document=doc).number_notation)
    assert numbers[0] == "01/STTTT-KH"
    assert numbers[8] == "09/STTTT-KH" and numbers[9] == "10/STTTT-KH"


def test_numbering_twice_is_refused_and_changes_nothing(office):
    doc = draft(office)
    to_signed(office, doc)
    services.number_outgoing(actor=office.clerk, document=doc)
    with pytest.raises(Conflict) as err:
        services.number_outgoing(actor=office.clerk, document=doc)
    assert err.value.code == "already_numbered"
    doc.refresh_from_db()
    assert doc.number == 1 and doc.register.last_number == 1


def test_unsigned_document_cannot_be_numbered_and_only_clerks_number(office):
    doc = draft(office)
    with pytest.raises(InvalidTransition) as err:
        services.number_outgoing(actor=office.clerk, document=doc)
    assert err.value.code == "not_signed"
    to_signed(office, doc)
    with pytest.raises(PermissionDenied):
        services.number_outgoing(actor=office.specialist, document=doc)


def test_review_chain_in_order_and_return_to_drafter(office):
    doc = draft(office)
    services.submit_for_review(
        actor=office.specialist,
        document=doc,
        reviewers=[office.specialist2, office.clerk],
        signer=office.leader,
    )
    with pytest.raises(PermissionDenied):  # not the clerk's turn yet
        services.review_draft(actor=office.clerk, document=doc, approve=True)
    services.review_draft(actor=office.specialist2, document=doc, approve=True)
    with pytest.raises(ValidationFailed):
        services.review_draft(actor=office.clerk, document=doc, approve=False)
    services.review_draft(actor=office.clerk, document=doc, approve=False, comment="Sửa căn cứ")
    doc.refresh_from_db()
    assert doc.status == "draft"
    services.add_draft_version(actor=office.specialist, document=doc, pdf=make_pdf("Bản 2"))
    services.submit_for_review(actor=office.specialist, document=doc, signer=office.leader)
    doc.refresh_from_db()
    assert doc.status == "reviewed"
    assert doc in selectors.workspace(office.leader).to_sign


def test_signer_must_be_a_leader_and_reviewers_inside_the_agency(office, other_office):
    doc = draft(office)
    with pytest.raises(ValidationFailed) as err:
        services.submit_for_review(actor=office.specialist, document=doc, signer=office.specialist2)
    assert err.value.code == "signer_not_leader"
    with pytest.raises(ValidationFailed) as err:
        services.submit_for_review(
            actor=office.specialist,
            document=doc,
            reviewers=[other_office.specialist],
            signer=office.leader,
        )
    assert err.value.code == "reviewer_outside_agency"
    doc.refresh_from_db()
    assert doc.status == "draft" and not doc.review_steps.exists()


def test_secret_outgoing_documents_have_their_own_series(office):
    normal = draft(office)
    secret = draft(office, confidentiality="secret")
    for doc in (normal, secret):
        to_signed(office, doc, reviewers=[])
        services.number_outgoing(actor=office.clerk, document=doc)
    normal.refresh_from_db()
    secret.refresh_from_db()
    assert normal.number == secret.number == 1
    assert normal.register != secret.register and secret.register.series == "secret"


def test_dispatch_refuses_empty_or_own_agency(office):
    doc = draft(office)
    to_signed(office, doc, reviewers=[])
    services.number_outgoing(actor=office.clerk, document=doc)
    services.seal_outgoing(actor=office.clerk, document=doc)
    with pytest.raises(ValidationFailed):
        services.dispatch_outgoing(actor=office.clerk, document=doc)
    with pytest.raises(ValidationFailed):
        services.dispatch_outgoing(actor=office.clerk, document=doc, agencies=[office.agency])
    assert not Recipient.objects.exists()


def test_work_records_file_documents_of_their_agency(office, other_office):
    rec = services.create_work_record(
        actor=office.specialist, agency=office.agency, title="Chuyển đổi số 2026"
    )
    assert rec.code == f"{timezone.localdate().year}.STTTT.01"
    incoming = register(office)
    services.file_document(actor=office.specialist, work_record=rec, incoming=incoming)
    services.file_document(
        actor=office.specialist, work_record=rec, incoming=incoming
    )  # idempotent
    assert rec.items.count() == 1
    foreign = register(other_office)
    with pytest.raises(NotFound):  # a document the specialist may not see
        services.file_document(actor=office.specialist, work_record=rec, incoming=foreign)
    services.close_work_record(actor=office.specialist, work_record=rec)
    with pytest.raises(InvalidTransition):
        services.file_document(actor=office.specialist, work_record=rec, outgoing=draft(office))


def test_statistics_count_signed_exchanged_and_on_time(office, other_office):
    doc = draft(office)
    to_signed(office, doc, reviewers=[])
    services.number_outgoing(actor=office.clerk, document=doc)
    services.seal_outgoing(actor=office.clerk, document=doc)
    services.dispatch_outgoing(actor=office.clerk, document=doc, agencies=[other_office.agency])
    inc = register(office)
    (lead,) = services.assign_incoming(
        actor=office.leader, document=inc, lead=office.specialist, deadline=timezone.localdate()
    )
    services.finish_assignment(actor=office.specialist, assignment=lead)
    today = timezone.localdate()
    (row,) = selectors.statistics(agencies=[office.agency], date_from=today, date_to=today)
    assert row["outgoing"] == 1 and row["outgoing_exchanged_pct"] == 100.0
    assert row["outgoing_signed"] == 0  # signed on paper in this test
    assert row["incoming"] == 1 and row["on_time"] == 1 and row["on_time_pct"] == 100.0


def test_exchange_hooks_list_send_and_receive(office, other_office):
    doc = draft(office)
    to_signed(office, doc, reviewers=[])
    services.number_outgoing(actor=office.clerk, document=doc)
    services.seal_outgoing(actor=office.clerk, document=doc)
    services.dispatch_outgoing(actor=office.clerk, document=doc, external=[("Bộ Nội vụ", "G09")])
    (pending,) = selectors.exchange_outbox()
    assert pending.document == doc and pending.external_code == "G09"
    services.mark_exchange_sent(recipient=pending)
    services.mark_exchange_sent(recipient=pending)  # idempotent
    assert not selectors.exchange_outbox()
    received = services.receive_external(
        agency=other_office.agency,
        pdf=make_pdf(),
        sender_name="Bộ Nội vụ",
        sender_code="G09",
        number_notation="15/BNV-VP",
        issued_on=timezone.localdate(),
        doc_type="cv",
        subject="Về việc hướng dẫn lưu trữ hồ sơ điện tử",
    )
    assert received.status == "pending" and received.source == "exchange"
    assert received in selectors.workspace(other_office.clerk).to_register
    services.accept_incoming(actor=other_office.clerk, document=received)
    received.refresh_from_db()
    assert received.arrival_number == 1
