"""Sending and receiving end to end on one instance (local channel): dispatch, arrival
(01), acceptance (03), assignment, handling and completion (04/05/06), refusal (02),
idempotency, status ordering, revoke/update/replace (15/16)."""

from __future__ import annotations

import pytest

from tinhso.core.errors import DomainError
from tinhso.documents import services as documents
from tinhso.documents.models import IncomingDocument, Recipient
from tinhso.exchange import edxml, services
from tinhso.exchange.models import InboxItem, OutboxMessage, Transmission
from tinhso.exchange.tasks import deliver_due

from .conftest import document_package, issued_document, signed

pytestmark = pytest.mark.django_db

RECEIVER = "000.00.20.H99"


def _dispatch(province, **kwargs):
    doc = issued_document(province.sender, **kwargs)
    documents.dispatch_outgoing(
        actor=province.sender.clerk, document=doc, external=[("Sở Tài chính", RECEIVER)]
    )
    return doc


def _arrived(province) -> InboxItem:
    return InboxItem.objects.get(agency=province.receiver.agency, kind="document", state="arrived")


def test_dispatch_sends_a_signed_package_that_arrives_and_answers_01(province):
    doc = _dispatch(province)
    transmission = Transmission.objects.get(outgoing=doc)
    assert transmission.status == "queued" and transmission.channel == "local"
    assert OutboxMessage.objects.filter(kind="document", state="pending").count() == 1
    deliver_due()
    item = _arrived(province)
    assert item.number_notation == doc.number_notation and item.signature["trusted"]
    transmission.refresh_from_db()
    assert transmission.status == "01"
    assert Recipient.objects.get(document=doc).status == Recipient.Status.EXCHANGE_SENT


def test_accept_registers_with_arrival_number_and_progress_sends_03_04_05_06(province):
    doc = _dispatch(province)
    deliver_due()
    item = services.accept_item(actor=province.receiver.clerk, item=_arrived(province))
    incoming = item.incoming
    assert incoming.arrival_number == 1 and incoming.source == IncomingDocument.Source.EXCHANGE
    assert incoming.number_notation == doc.number_notation
    deliver_due()
    transmission = Transmission.objects.get(outgoing=doc)
    assert transmission.status == "03"
    [lead] = documents.assign_incoming(
        actor=province.receiver.leader, document=incoming, lead=province.receiver.specialist
    )
    deliver_due()
    transmission.refresh_from_db()
    assert transmission.status == "04"
    documents.add_note(actor=province.receiver.specialist, assignment=lead, text="Đang xử lý")
    deliver_due()
    transmission.refresh_from_db()
    assert transmission.status == "05"
    documents.finish_assignment(actor=province.receiver.specialist, assignment=lead, result="Xong")
    deliver_due()
    transmission.refresh_from_db()
    assert transmission.status == "06"
    assert sorted(transmission.events.values_list("status_code", flat=True)) == [
        "01",
        "03",
        "04",
        "05",
        "06",
    ]


def test_refuse_needs_a_reason_and_sends_02_with_it(province):
    doc = _dispatch(province)
    deliver_due()
    item = _arrived(province)
    with pytest.raises(DomainError) as info:
        services.refuse_item(actor=province.receiver.clerk, item=item, reason=" ")
    assert info.value.code == "reason_required"
    services.refuse_item(actor=province.receiver.clerk, item=item, reason="Gửi nhầm cơ quan")
    deliver_due()
    transmission = Transmission.objects.get(outgoing=doc)
    assert transmission.status == "02" and "nhầm" in transmission.status_description
    assert not IncomingDocument.objects.filter(agency=province.receiver.agency).exists()


def test_another_agencys_clerk_cannot_accept(province):
    _dispatch(province)
    deliver_due()
    with pytest.raises(DomainError):
        services.accept_item(actor=province.sender.clerk, item=_arrived(province))
    assert _arrived(province).state == "arrived"


def test_same_package_delivered_three_times_is_kept_once(province):
    raw = signed(province.sender, document_package(province.sender, RECEIVER))
    results = [services.receive_package(raw).result for _ in range(3)]
    assert results == ["accepted", "duplicate", "duplicate"]
    assert InboxItem.objects.filter(kind="document").count() == 1
    assert OutboxMessage.objects.filter(kind="status", status_code="01").count() == 1


def test_same_document_id_with_different_content_is_refused(province):
    services.receive_package(signed(province.sender, document_package(province.sender, RECEIVER)))
    other = document_package(province.sender, RECEIVER, subject="Nội dung khác hẳn")
    with pytest.raises(DomainError) as info:
        services.receive_package(signed(province.sender, other))
    assert info.value.code == "duplicate_different_content"
    assert InboxItem.objects.filter(kind="document").count() == 1


def test_unknown_receiver_and_unknown_sender_are_refused_and_nothing_is_kept(province):
    with pytest.raises(DomainError) as info:
        services.receive_package(
            signed(province.sender, document_package(province.sender, "000.00.00.H01"))
        )
    assert info.value.code == "unknown_agency"
    package = document_package(province.sender, RECEIVER)
    package.sender = edxml.Organ("000.00.00.H02", "Lạ")
    package.document_id = edxml.make_document_id("000.00.00.H02", package.promulgation_date, "1/X")
    with pytest.raises(DomainError) as info:
        services.receive_package(signed(province.sender, package))
    assert info.value.code == "unknown_sender"
    assert not InboxItem.objects.exists() and not OutboxMessage.objects.exists()


def test_a_local_sender_must_sign_with_its_own_certificate(province):
    package = document_package(province.sender, RECEIVER)
    with pytest.raises(DomainError) as info:
        services.receive_package(signed(province.receiver, package))  # wrong agency's seal
    assert info.value.code == "signer_not_sender"


def test_broken_pdf_is_refused(province):
    package = document_package(
        province.sender, RECEIVER, attachments=[edxml.Attachment("van-ban.pdf", b"%PDF-1.4 rac")]
    )
    with pytest.raises(DomainError) as info:
        services.receive_package(signed(province.sender, package))
    assert info.value.code == "broken_pdf"
    assert not InboxItem.objects.exists()


def test_status_for_a_package_never_sent_is_refused(province):
    status = edxml.StatusPackage(
        response_for=edxml.ResponseFor("000.00.10.H99", "000.00.10.H99,2026/01/05,99/STTTT-KH"),
        sender=edxml.Organ(RECEIVER, "Sở Tài chính"),
        status_code="03",
    )
    with pytest.raises(DomainError) as info:
        services.receive_package(signed(province.receiver, status))
    assert info.value.code == "status_for_unsent"


def test_statuses_out_of_order_or_twice_only_move_forward(province):
    doc = _dispatch(province)
    deliver_due()
    transmission = Transmission.objects.get(outgoing=doc)

    def status(code):
        return signed(
            province.receiver,
            edxml.StatusPackage(
                response_for=edxml.ResponseFor("000.00.10.H99", transmission.document_id),
                sender=edxml.Organ(RECEIVER, "Sở Tài chính"),
                status_code=code,
            ),
        )

    services.receive_package(status("05"))
    services.receive_package(status("03"))  # late
    services.receive_package(status("05"))  # twice
    services.receive_package(status("02"))  # after acceptance: ignored
    transmission.refresh_from_db()
    assert transmission.status == "05"
    services.receive_package(status("06"))
    transmission.refresh_from_db()
    assert transmission.status == "06"


def test_revoke_is_marked_at_the_receiver_after_15(province):
    doc = _dispatch(province)
    deliver_due()
    services.accept_item(actor=province.receiver.clerk, item=_arrived(province))
    deliver_due()
    services.revoke_document(actor=province.sender.clerk, document=doc, reason="Ban hành sai")
    deliver_due()
    request = InboxItem.objects.get(kind="document", business_type=1)
    assert request.state == "arrived" and request.reason == "Ban hành sai"
    services.accept_item(actor=province.receiver.clerk, item=request)
    deliver_due()
    original = InboxItem.objects.get(kind="document", business_type=0)
    assert original.state == "revoked" and original.incoming is not None  # never deleted
    revoke = Transmission.objects.get(business_type=1)
    assert revoke.answer == "15"


def test_update_refused_answers_16(province):
    doc = _dispatch(province)
    deliver_due()
    services.update_document(
        actor=province.sender.clerk, document=doc, reason="Sửa nơi nhận", document_info="x"
    )
    deliver_due()
    request = InboxItem.objects.get(kind="document", business_type=2)
    services.refuse_item(actor=province.receiver.clerk, item=request, reason="Không đồng ý")
    deliver_due()
    assert Transmission.objects.get(business_type=2).answer == "16"


def test_replace_links_the_old_document_to_its_replacement(province):
    doc = _dispatch(province)
    deliver_due()
    new = issued_document(province.sender, "Văn bản thay thế")
    documents.dispatch_outgoing(
        actor=province.sender.clerk, document=new, agencies=[province.receiver.agency]
    )
    services.replace_document(
        actor=province.sender.clerk, document=doc, replacement=new, reason="Sai số liệu"
    )
    deliver_due()
    replacement = InboxItem.objects.get(kind="document", business_type=3)
    services.accept_item(actor=province.receiver.clerk, item=replacement)
    deliver_due()
    old = InboxItem.objects.get(kind="document", business_type=0)
    assert old.state == "replaced" and old.replaced_by == replacement
    sent = Transmission.objects.get(business_type=3)
    assert sent.answer == "15" and sent.status == "03"


def test_unknown_code_goes_to_dead_letters_with_reason_until_the_address_book_knows_it(province):
    from tinhso.accounts import services as accounts
    from tinhso.accounts.models import Role
    from tinhso.notify.models import Message

    admin = accounts.create_official(
        username="qt", full_name="Quản Trị", email="qt@example.vn", password="Mat-khau-123!"
    )
    accounts.grant_role(user=admin, agency=province.sender.agency, role=Role.PLATFORM_ADMIN)
    doc = issued_document(province.sender)
    documents.dispatch_outgoing(
        actor=province.sender.clerk, document=doc, external=[("Sở Lạ", "000.00.30.H99")]
    )
    message = OutboxMessage.objects.get(kind="document")
    assert message.state == "dead" and message.last_error_code == "unknown_agency"
    assert "000.00.30.H99" in message.last_error
    assert Message.objects.filter(template="exchange_dead_letter", recipient=admin).exists()
    # The agency joins this instance; the administrator retries: delivered, 01 comes back.
    province.receiver.agency.legacy_code = "000.00.30.H99"
    province.receiver.agency.save()
    services.retry_message(actor=admin, message=message)
    deliver_due()
    assert Transmission.objects.get(outgoing=doc).status == "01"


def test_a_sender_without_seal_certificate_gets_a_dead_letter_not_a_blocked_dispatch(province):
    from tinhso.signing.models import Certificate

    Certificate.objects.filter(owner_agency=province.sender.agency).delete()
    _dispatch(province)
    deliver_due()
    message = OutboxMessage.objects.get(kind="document")
    assert message.state == "dead" and message.last_error_code == "no_seal_certificate"


def test_a_signed_pdf_verdict_is_reused_only_while_the_trust_state_is_the_same(province):
    """The arrival check of a PDF is kept by the file's SHA-256 and the trust state: the
    same signed file in another package reuses it; once the PDF signer's certificate is
    revoked here, or listed in a CRL published later, the next package carrying that
    file is checked afresh and shows the signature revoked."""
    from django.utils import timezone

    from tinhso.documents.services import read_file_bytes
    from tinhso.signing.models import Certificate
    from tinhso.signing.services import revoke_certificate

    doc = issued_document(province.sender, digital=True)
    pdf = read_file_bytes(doc.latest_file)

    def arrive(n: int) -> dict:
        """The leader's signature as reported on arrival of package n (the file also
        carries the agency's seal)."""
        notation = f"{n}/STTTT-KH"
        package = document_package(
            province.sender,
            RECEIVER,
            number_notation=notation,
            attachments=[edxml.Attachment("van-ban.pdf", pdf)],
        )
        services.receive_package(signed(province.sender, package))
        reports = InboxItem.objects.get(kind="document", number_notation=notation).pdf_check
        return next(r for r in reports if r["signer"] == province.sender.leader.full_name)

    services._PDF_VERDICTS.clear()
    first = arrive(1)
    assert first["trusted"] and not first["revoked"]
    assert arrive(2) == first and len(services._PDF_VERDICTS) == 1  # the verdict reused
    signer = Certificate.objects.get(owner_user=province.sender.leader)
    # Revoked here (no CRL yet): the trust state changed, the file is checked afresh.
    Certificate.objects.filter(pk=signer.pk).update(
        status=Certificate.Status.REVOKED, revoked_at=timezone.now()
    )
    third = arrive(3)
    assert third["revoked"] and not third["trusted"]
    # Only a CRL published later says so (the row says active again): refused at once.
    Certificate.objects.filter(pk=signer.pk).update(
        status=Certificate.Status.ACTIVE, revoked_at=None
    )
    revoke_certificate(certificate=signer, reason="lộ khóa")  # publishes the CA's CRL
    Certificate.objects.filter(pk=signer.pk).update(
        status=Certificate.Status.ACTIVE, revoked_at=None
    )
    fourth = arrive(4)
    assert fourth["revoked"] and not fourth["trusted"]
