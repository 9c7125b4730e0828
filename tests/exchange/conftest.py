"""Fixtures for the exchange: agencies with QCVN 102 codes, clerks and leaders, the demo
CA with each agency's seal certificate, and a signed, issued outgoing document."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from tests.documents.conftest import Office, make_office, make_pdf
from tinhso.exchange import edxml


@dataclass
class Province:
    """What one side needs: its offices (sender, receiver) and the issuing CA."""

    sender: Office
    receiver: Office
    issuing: object


def make_exchange_office(code: str, legacy: str, name: str, short: str, prefix: str) -> Office:
    from tinhso.signing.services import ensure_demo_ca, issue_certificate

    office = make_office(code, name, short, prefix)
    office.agency.legacy_code = legacy
    office.agency.save()
    _root, issuing = ensure_demo_ca()
    issue_certificate(ca=issuing, kind="agency", owner_agency=office.agency)
    return office


@pytest.fixture
def province(db, settings) -> Province:
    from tinhso.signing.services import ensure_demo_ca

    settings.EXCHANGE_BACKOFF_SECONDS = 0
    sender = make_exchange_office(
        "H99.10", "000.00.10.H99", "Sở Thông tin và Truyền thông", "STTTT", "s1"
    )
    receiver = make_exchange_office("H99.20", "000.00.20.H99", "Sở Tài chính", "STC", "s2")
    return Province(sender=sender, receiver=receiver, issuing=ensure_demo_ca()[1])


def issued_document(
    office: Office, subject: str = "Về việc liên thông văn bản điện tử", *, digital=False
):
    """An outgoing document drafted, signed, numbered and sealed (issued)."""
    from tinhso.documents import services

    if digital:
        from tinhso.signing.models import Certificate
        from tinhso.signing.services import ensure_demo_ca, issue_certificate

        if not Certificate.objects.filter(owner_user=office.leader).exists():
            issue_certificate(
                ca=ensure_demo_ca()[1],
                kind="personal",
                owner_user=office.leader,
                owner_agency=office.agency,
            )
    doc = services.create_draft(
        actor=office.specialist,
        agency=office.agency,
        doc_type="cv",
        subject=subject,
        pdf=make_pdf(subject),
        external_recipients=[("Sở Tài chính", "000.00.20.H99")],
    )
    services.submit_for_review(actor=office.specialist, document=doc, signer=office.leader)
    services.sign_outgoing(actor=office.leader, document=doc, digital=digital)
    services.number_outgoing(actor=office.clerk, document=doc)
    services.seal_outgoing(actor=office.clerk, document=doc)
    doc.refresh_from_db()
    return doc


def seal(office: Office):
    from tinhso.exchange.services import seal_key

    return seal_key(office.agency)


def document_package(sender: Office, receiver_code: str, **overrides) -> edxml.DocumentPackage:
    values = dict(
        sender=edxml.Organ(sender.agency.legacy_code, sender.agency.name),
        to=[edxml.Organ(receiver_code, "Nơi nhận")],
        number_notation="15/STTTT-KH",
        promulgation_date=dt.date(2026, 1, 5),
        subject="Về việc thử nghiệm trục liên thông",
        doc_type="cv",
        attachments=[edxml.Attachment(name="van-ban.pdf", data=make_pdf())],
    )
    values.update(overrides)
    return edxml.DocumentPackage(**values)


def signed(office: Office, package) -> bytes:
    key, chain = seal(office)
    return edxml.write(package, private_key=key, chain_pem=chain)
