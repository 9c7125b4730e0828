"""Issue 7 item 12, as the attacker asks: another agency's official learns nothing about a
document (the same 404 as for an id that does not exist), and permission is checked
before state (an outsider never hears `not_in_review`), in the pages and the API alike."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tinhso.documents import services

from .conftest import draft, register

pytestmark = pytest.mark.django_db


def page_client(user) -> Client:
    client = Client()
    client.force_login(user)
    session = client.session
    session["tinhso_2fa_ok"] = True
    session.save()
    return client


def api_client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _draft_in_review(office):
    doc = draft(office)
    services.submit_for_review(
        actor=office.specialist,
        document=doc,
        reviewers=[office.specialist2],
        signer=office.leader,
    )
    return doc


def test_outsider_gets_the_same_404_for_anothers_document_as_for_a_missing_one_in_pages(
    office, other_office
):
    incoming = register(office)
    outgoing = _draft_in_review(office)
    outsider = page_client(other_office.leader)
    missing = uuid.uuid4()
    for url in (
        f"/documents/incoming/{incoming.uid}/",
        f"/documents/incoming/{missing}/",
        f"/documents/outgoing/{outgoing.uid}/",
        f"/documents/outgoing/{missing}/",
        f"/documents/files/{incoming.files.first().pk}/",
        "/documents/files/999999/",
        f"/documents/registers/{incoming.register_id}/",
    ):
        assert outsider.get(url).status_code == 404, url
    # Actions too, and they change nothing.
    r = outsider.post(f"/documents/outgoing/{outgoing.uid}/approve_review/", {"comment": ""})
    assert r.status_code == 404
    r = outsider.post(f"/documents/incoming/{incoming.uid}/assign/", {"lead": "x"})
    assert r.status_code == 404
    outgoing.refresh_from_db()
    assert outgoing.status == "in_review"


def test_outsider_gets_404_not_a_state_code_from_the_api(office, other_office):
    incoming = register(office)
    outgoing = _draft_in_review(office)
    services.review_draft(actor=office.specialist2, document=outgoing, approve=True)
    outsider = api_client(other_office.clerk)
    # Not in review any more: the state would have said `not_in_review`.
    r = outsider.post(
        f"/api/v1/documents/outgoing/{outgoing.uid}/review", {"approve": True}, format="json"
    )
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    r = outsider.post(f"/api/v1/documents/outgoing/{outgoing.uid}/number", {}, format="json")
    assert r.status_code == 404
    for url in (
        f"/api/v1/documents/incoming/{incoming.uid}",
        f"/api/v1/documents/outgoing/{outgoing.uid}",
        f"/api/v1/documents/files/{incoming.files.first().pk}",
    ):
        assert outsider.get(url).status_code == 404, url
    missing = outsider.get(f"/api/v1/documents/incoming/{uuid.uuid4()}")
    assert missing.status_code == 404
    assert (
        missing.json()["code"]
        == outsider.get(f"/api/v1/documents/incoming/{incoming.uid}").json()["code"]
    )
    assign = outsider.post(
        f"/api/v1/documents/incoming/{incoming.uid}/assign",
        {"lead": {"user": str(other_office.specialist.uid)}},
        format="json",
    )
    assert assign.status_code == 404


def test_insider_without_the_right_is_refused_before_the_state_is_told(office):
    outgoing = _draft_in_review(office)
    services.review_draft(actor=office.specialist2, document=outgoing, approve=True)
    clerk = api_client(office.clerk)  # sees the agency's documents, is no reviewer
    r = clerk.post(
        f"/api/v1/documents/outgoing/{outgoing.uid}/review", {"approve": True}, format="json"
    )
    assert r.status_code == 403 and r.json()["code"] == "permission_denied"
    # The reviewer, once done, hears the state.
    reviewer = api_client(office.specialist2)
    r = reviewer.post(
        f"/api/v1/documents/outgoing/{outgoing.uid}/review", {"approve": True}, format="json"
    )
    assert r.status_code == 409 and r.json()["code"] == "not_in_review"
