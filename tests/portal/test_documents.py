"""Legal documents appear on the portal when `documents` publishes them (straight from the
issued document, not typed twice) and disappear when they are withdrawn or revoked."""

from __future__ import annotations

import pytest

from tinhso.core.errors import DomainError
from tinhso.documents import services as documents
from tinhso.portal import selectors, services
from tinhso.portal.errors import PortalErrorCode
from tinhso.portal.models import LegalDocumentsPage

from .conftest import make_official

pytestmark = pytest.mark.django_db


def _issued(
    portal,
    *,
    subject="Quyết định ban hành Quy chế quản lý cổng thông tin",
    confidentiality="normal",
):
    from tests.documents.conftest import make_pdf
    from tinhso.accounts.models import Role

    specialist = make_official(
        f"cv_{portal.home.slug}_{confidentiality}", portal.agency, Role.SPECIALIST
    )
    doc = documents.create_draft(
        actor=specialist,
        agency=portal.agency,
        doc_type="qd",
        subject=subject,
        pdf=make_pdf(subject),
        confidentiality=confidentiality,
        external_recipients=[("Bộ Khoa học và Công nghệ", "G11")],
    )
    documents.submit_for_review(actor=specialist, document=doc, reviewers=[], signer=portal.leader)
    documents.approve_outgoing(actor=portal.leader, document=doc)
    documents.sign_outgoing(actor=portal.leader, document=doc, digital=False)
    doc = documents.number_outgoing(actor=portal.clerk, document=doc)
    return documents.seal_outgoing(actor=portal.clerk, document=doc)


def _list_page(portal):
    page = LegalDocumentsPage(title="Văn bản", slug="van-ban")
    portal.home.add_child(instance=page)
    page.save_revision(user=portal.leader).publish(user=portal.leader, skip_permission_checks=True)
    return page


def test_clerk_publishes_an_issued_document_and_citizens_find_and_download_it(client, department):
    doc = _issued(department)
    entry = services.publish_document(actor=department.clerk, document=doc)
    assert (
        entry.number_notation == doc.number_notation and entry.issuer_name == department.agency.name
    )
    _list_page(department)
    html = client.get(
        "/van-ban/?q=quy che cong thong tin", HTTP_HOST="so-khcn.localhost"
    ).content.decode()
    assert doc.number_notation in html
    response = client.get(f"/portal/van-ban/{entry.uid}/tep/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    api = client.get("/api/v1/portal/documents?q=quy che").json()
    assert [row["number_notation"] for row in api["results"]] == [doc.number_notation]


def test_withdrawn_document_disappears_from_list_api_and_download(client, department):
    doc = _issued(department)
    entry = services.publish_document(actor=department.clerk, document=doc)
    services.withdraw_document(actor=department.clerk, document=doc, reason="Văn bản bị thu hồi")
    assert not selectors.search_published_documents(agency=department.agency).exists()
    assert client.get(f"/portal/van-ban/{entry.uid}/tep/").status_code == 404
    assert client.get("/api/v1/portal/documents").json()["count"] == 0
    # Published again later (e.g. after a correction), it comes back with the same entry.
    again = services.publish_document(actor=department.clerk, document=doc)
    assert again.pk == entry.pk and again.withdrawn_at is None


def test_secret_or_unissued_documents_and_other_agencies_clerks_are_refused(department, commune):
    secret = _issued(department, subject="Văn bản mật", confidentiality="confidential")
    with pytest.raises(DomainError) as error:
        services.publish_document(actor=department.clerk, document=secret)
    assert error.value.code == PortalErrorCode.DOCUMENT_CONFIDENTIAL
    doc = _issued(department, subject="Kế hoạch năm")
    with pytest.raises(DomainError) as error:
        services.publish_document(actor=commune.clerk, document=doc)
    assert error.value.status == 403
    with pytest.raises(DomainError) as error:
        services.withdraw_document(actor=department.clerk, document=doc, reason="x")
    assert error.value.code == PortalErrorCode.DOCUMENT_NOT_PUBLISHED
    services.publish_document(actor=department.clerk, document=doc)
    with pytest.raises(DomainError) as error:
        services.withdraw_document(actor=department.clerk, document=doc, reason="  ")
    assert error.value.code == PortalErrorCode.REASON_REQUIRED
    assert selectors.search_published_documents(agency=department.agency).count() == 1
