"""Outgoing documents signed for real: the leader's certificate, then the agency's seal."""

from __future__ import annotations

import pytest

from tinhso.core.errors import DomainError
from tinhso.documents import services
from tinhso.documents.models import OutgoingDocument

from .conftest import make_pdf

pytestmark = pytest.mark.django_db


def _draft(office):
    doc = services.create_draft(
        external_recipients=[("Bộ Nội vụ", "G09")],
        actor=office.specialist,
        agency=office.agency,
        doc_type="qd",
        subject="Quyết định ban hành quy chế văn thư",
        pdf=make_pdf(),
        drafting_unit=office.unit,
    )
    services.submit_for_review(actor=office.specialist, document=doc, signer=office.leader)
    return doc


def test_leader_signs_clerk_numbers_and_seals_and_both_signatures_verify(office):
    from tinhso.signing.selectors import verify_pdf
    from tinhso.signing.services.demo import init_demo

    init_demo()
    doc = _draft(office)
    doc = services.sign_outgoing(actor=office.leader, document=doc)
    assert doc.digitally_signed and doc.latest_file.role == "signed"
    services.number_outgoing(actor=office.clerk, document=doc)
    doc = services.seal_outgoing(actor=office.clerk, document=doc)
    sealed = doc.latest_file
    assert sealed.role == "sealed" and [f.version for f in doc.files.all()] == [1, 2, 3, 4]
    reports = verify_pdf(services.read_file_bytes(sealed))
    assert len(reports) == 2
    assert all(r.intact and r.trusted and not r.revoked for r in reports), [
        r.summary for r in reports
    ]
    assert reports[0].signer_name == office.leader.full_name
    assert reports[1].covers_whole_document


def test_signing_without_a_certificate_changes_nothing(office):
    doc = _draft(office)  # no demo CA: the leader has no certificate
    with pytest.raises(DomainError) as err:
        services.sign_outgoing(actor=office.leader, document=doc)
    assert err.value.code == "no_certificate"
    doc.refresh_from_db()
    assert doc.status == OutgoingDocument.Status.REVIEWED and doc.files.count() == 1
