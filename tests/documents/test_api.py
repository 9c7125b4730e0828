"""REST API: the same use-cases over HTTP, errors as {"code", "message"}."""

from __future__ import annotations

import io

import pytest
from rest_framework.test import APIClient

from tinhso.documents.models import IncomingDocument, OutgoingDocument

from .conftest import make_pdf

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def upload(data: bytes, name: str = "van-ban.pdf"):
    f = io.BytesIO(data)
    f.name = name
    return f


def incoming_payload(office, **kw):
    payload = {
        "file": upload(make_pdf()),
        "agency": office.agency.code,
        "sender_name": "Sở Y tế",
        "number_notation": "77/SYT-VP",
        "issued_on": "2026-02-03",
        "doc_type": "cv",
        "subject": "Về việc phòng chống dịch sốt xuất huyết",
    }
    payload.update(kw)
    return payload


def test_register_assign_finish_over_the_api(office):
    clerk = client_for(office.clerk)
    r = clerk.post("/api/v1/documents/incoming", incoming_payload(office), format="multipart")
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["arrival_number"] == 1 and body["files"][0]["sha256"]
    uid = body["uid"]
    r = clerk.post("/api/v1/documents/incoming", incoming_payload(office), format="multipart")
    assert r.status_code == 409 and r.json()["code"] == "possible_duplicate"
    leader = client_for(office.leader)
    r = leader.post(
        f"/api/v1/documents/incoming/{uid}/assign",
        {"lead": {"user": str(office.specialist.uid)}, "info": [{"unit": office.unit.pk}]},
        format="json",
    )
    assert r.status_code == 201, r.json()
    specialist = client_for(office.specialist)
    mine = specialist.get("/api/v1/documents/assignments").json()
    assert len(mine) == 1
    r = specialist.post(
        f"/api/v1/documents/assignments/{mine[0]['id']}/finish", {"result": "Xong"}, format="json"
    )
    assert r.status_code == 200 and r.json()["status"] == "done"
    assert IncomingDocument.objects.get(uid=uid).status == "done"
    r = leader.get("/api/v1/documents/incoming", {"q": "sot xuat huyet"})
    assert [d["uid"] for d in r.json()["results"]] == [uid]
    detail = leader.get(f"/api/v1/documents/incoming/{uid}").json()
    file_url = detail["files"][0]["download"]
    pdf = leader.get(file_url)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_api_refuses_bad_pdf_and_outside_assignment_with_stable_codes(office, other_office):
    clerk = client_for(office.clerk)
    r = clerk.post(
        "/api/v1/documents/incoming",
        incoming_payload(office, file=upload(b"not a pdf at all")),
        format="multipart",
    )
    assert r.status_code == 400 and r.json()["code"] == "invalid_pdf"
    uid = clerk.post(
        "/api/v1/documents/incoming", incoming_payload(office), format="multipart"
    ).json()["uid"]
    r = client_for(office.leader).post(
        f"/api/v1/documents/incoming/{uid}/assign",
        {"lead": {"user": str(other_office.specialist.uid)}},
        format="json",
    )
    assert r.status_code == 400 and r.json()["code"] == "assignee_outside_agency"
    r = client_for(other_office.leader).get(f"/api/v1/documents/incoming/{uid}")
    assert r.status_code == 404  # another agency's document: as if it did not exist


def test_outgoing_flow_over_the_api(office, other_office):
    specialist = client_for(office.specialist)
    r = specialist.post(
        "/api/v1/documents/outgoing",
        {
            "file": upload(make_pdf()),
            "agency": office.agency.code,
            "doc_type": "kh",
            "subject": "Kế hoạch chuyển đổi số năm 2027",
            "recipients": [other_office.agency.code],
        },
        format="multipart",
    )
    assert r.status_code == 201, r.json()
    uid = r.json()["uid"]
    r = specialist.post(
        f"/api/v1/documents/outgoing/{uid}/submit",
        {"signer": str(office.leader.uid)},
        format="json",
    )
    assert r.json()["status"] == "reviewed"
    leader = client_for(office.leader)
    assert leader.get("/api/v1/documents/workspace").json()["to_sign"] == 1
    r = leader.post(f"/api/v1/documents/outgoing/{uid}/sign", {"digital": False}, format="json")
    assert r.json()["status"] == "signed"
    clerk = client_for(office.clerk)
    r = clerk.post(f"/api/v1/documents/outgoing/{uid}/number", {}, format="json")
    assert r.json()["number_notation"] == "01/KH-STTTT"
    r = clerk.post(f"/api/v1/documents/outgoing/{uid}/number", {}, format="json")
    assert r.status_code == 409 and r.json()["code"] == "already_numbered"
    clerk.post(f"/api/v1/documents/outgoing/{uid}/seal", {}, format="json")
    r = clerk.post(
        f"/api/v1/documents/outgoing/{uid}/dispatch",
        {
            "agencies": [other_office.agency.code],
            "external": [{"name": "Bộ Nội vụ", "code": "G09"}],
        },
        format="json",
    )
    assert r.status_code == 200, r.json()
    assert OutgoingDocument.objects.get(uid=uid).status == "dispatched"
    assert len(r.json()["recipients"]) == 2
    registers = clerk.get("/api/v1/documents/registers").json()
    out_reg = next(x for x in registers if x["direction"] == "outgoing")
    xlsx = clerk.get(f"/api/v1/documents/registers/{out_reg['id']}.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    pdf = clerk.get(f"/api/v1/documents/registers/{out_reg['id']}.pdf")
    assert pdf.content.startswith(b"%PDF")
    stats = leader.get("/api/v1/documents/statistics").json()
    assert stats[0]["outgoing"] == 1 and stats[0]["outgoing_exchanged_pct"] == 100.0
    r = specialist.post(
        "/api/v1/documents/work-records",
        {"agency": office.agency.code, "title": "Chuyển đổi số"},
        format="json",
    )
    assert r.status_code == 201
    wr = r.json()["uid"]
    r = specialist.post(
        f"/api/v1/documents/work-records/{wr}/items", {"outgoing": uid}, format="json"
    )
    assert r.status_code == 201
