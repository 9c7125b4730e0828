"""The REST API: catalog search, submission, actions, status codes, lookup, errors."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from tinhso.onestop import services
from tinhso.onestop.models import Dossier, DossierState
from tinhso.onestop.services.clock import frozen

from .conftest import accepted, at_last_step, pdf_file, vn

pytestmark = pytest.mark.django_db


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_procedure_search_is_diacritics_insensitive_and_public(world):
    response = client_for().get("/api/v1/onestop/procedures/", {"q": "trich luc ho tich"})
    assert response.status_code == 200
    assert [p["code"] for p in response.json()["results"]] == ["1.001193"]
    response = client_for().get("/api/v1/onestop/procedures/", {"field": "XX"})
    assert response.json()["results"] == []
    detail = client_for().get("/api/v1/onestop/procedures/1.001193/").json()
    assert detail["papers"][0]["name"].startswith("Tờ khai")
    assert [s["budget_days"] for s in detail["steps"]] == ["0.50", "3.50", "1.00"]


def test_citizen_submits_with_a_paper_and_sees_status_code_1(world):
    w = world
    client = client_for(w.citizen)
    response = client.post(
        "/api/v1/onestop/dossiers/",
        {
            "procedure": "1.001193",
            "form_data": json.dumps({"ho_ten": "Nguyễn Văn A", "so_ban": 2}),
            f"file_{w.paper.pk}": pdf_file(),
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == 1 and body["code"] is None
    assert body["files"][0]["sha256"]
    listing = client.get("/api/v1/onestop/dossiers/").json()
    assert listing["count"] == 1


def test_invalid_form_gives_a_stable_code_and_creates_nothing(world):
    w = world
    response = client_for(w.citizen).post(
        "/api/v1/onestop/dossiers/",
        {"procedure": "1.001193", "form_data": {"so_ban": 0}},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "eform_invalid"
    assert Dossier.objects.count() == 0


def test_officer_actions_through_the_api_and_status_codes(world):
    w = world
    dossier = services.submit_dossier(
        user=w.citizen,
        procedure=w.procedure,
        form_data={"ho_ten": "Nguyễn Văn A"},
        attachments=[services.Attachment(file=pdf_file(), paper=w.paper)],
    )
    base = f"/api/v1/onestop/dossiers/{dossier.uid}"
    queue = client_for(w.officer).get("/api/v1/onestop/dossiers/", {"queue": "to_receive"}).json()
    assert [d["uid"] for d in queue["results"]] == [str(dossier.uid)]
    response = client_for(w.officer).post(f"{base}/accept/", {}, format="json")
    assert response.status_code == 200 and response.json()["status"] == 2
    response = client_for(w.officer).post(
        f"{base}/forward/", {"to_user": "chuyenvien.stp"}, format="json"
    )
    assert response.json()["status"] == 4
    mine = client_for(w.specialist).get("/api/v1/onestop/dossiers/", {"queue": "to_process"})
    assert mine.json()["count"] == 1
    client_for(w.specialist).post(f"{base}/forward/", {"to_user": "lanhdao.stp"}, format="json")
    result = client_for(w.leader).post(
        f"{base}/attach-result/", {"file": pdf_file("kq.pdf", b"r")}, format="multipart"
    )
    assert result.status_code == 200
    assert client_for(w.leader).post(f"{base}/approve/", {}, format="json").json()["status"] == 9
    assert client_for(w.officer).post(f"{base}/return/", {}, format="json").json()["status"] == 10
    detail = client_for(w.citizen).get(f"{base}/").json()
    assert detail["status_label"] == "Đã trả kết quả"
    assert [e["action"] for e in detail["events"]][-1] == "return"
    rated = client_for(w.citizen).post(f"{base}/rate/", {"score": 5}, format="json")
    assert rated.status_code == 200
    wallet = client_for(w.citizen).get("/api/v1/onestop/wallet/").json()
    # the result lands in the wallet; the upload does not, as the citizen did not ask
    assert {item["source"] for item in wallet} == {"result"}


def test_errors_are_stable_codes(world):
    w = world
    dossier = accepted(w)
    base = f"/api/v1/onestop/dossiers/{dossier.uid}"
    # not allowed in this state
    response = client_for(w.officer).post(f"{base}/accept/", {}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "invalid_transition"
    # stale version
    response = client_for(w.officer).post(
        f"{base}/forward/", {"version": dossier.version - 1}, format="json"
    )
    assert response.status_code == 409 and response.json()["code"] == "dossier_changed"
    # outside the agency: the dossier is invisible
    response = client_for(w.outsider).post(f"{base}/forward/", {}, format="json")
    assert response.status_code == 404
    # another citizen
    response = client_for(w.citizen2).get(f"{base}/")
    assert response.status_code == 404
    # unknown dossier
    response = client_for(w.officer).get(
        "/api/v1/onestop/dossiers/00000000-0000-0000-0000-000000000000/"
    )
    assert response.status_code == 404 and response.json()["code"] == "dossier_not_found"
    dossier.refresh_from_db()
    assert dossier.state == DossierState.ACCEPTED


def test_public_lookup_shows_status_step_and_due_date_only(world):
    w = world
    with frozen(vn(2026, 3, 2, 9, 0)):
        dossier = accepted(w)
    client = client_for()
    response = client.get("/api/v1/onestop/lookup/", {"code": dossier.code, "secret": "5678"})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == 2 and body["step"] == "Tiếp nhận, chuyển hồ sơ"
    assert body["due_at"].startswith("2026-03-09T17:00")
    assert set(body) == {
        "code",
        "tracking_code",
        "procedure",
        "status",
        "status_label",
        "status_detail",
        "step",
        "due_at",
        "received_at",
    }
    # last 4 of the ID number also work; wrong digits look like an unknown code
    assert (
        client.get("/api/v1/onestop/lookup/", {"code": dossier.code, "secret": "1234"}).status_code
        == 200
    )
    wrong = client.get("/api/v1/onestop/lookup/", {"code": dossier.code, "secret": "0000"})
    unknown = client.get("/api/v1/onestop/lookup/", {"code": "X-1-2", "secret": "5678"})
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.json() == unknown.json()


def test_lookup_is_rate_limited(world, settings):
    from django.core.cache import cache

    from tinhso.onestop.api import LookupThrottle

    cache.clear()
    old = LookupThrottle.rate
    LookupThrottle.rate = "3/min"
    try:
        codes = [
            client_for().get("/api/v1/onestop/lookup/", {"code": "A", "secret": "1111"}).status_code
            for _ in range(5)
        ]
    finally:
        LookupThrottle.rate = old
        cache.clear()
    assert codes[:3] == [404, 404, 404] and codes[3:] == [429, 429]


def test_statistics_endpoint_for_leaders_only(world):
    w = world
    with frozen(vn(2026, 3, 2, 9, 0)):
        dossier = at_last_step(w)
        services.approve(official=w.leader, dossier=dossier)
    params = {"start": "2026-03-01", "end": "2026-03-31", "group_by": "agency"}
    response = client_for(w.leader).get("/api/v1/onestop/statistics/", params)
    assert response.status_code == 200
    row = response.json()["rows"][0]
    assert row["received"] == 1 and row["resolved_early"] == 1
    assert "trước hạn" in response.json()["rules"] or "early" in response.json()["rules"]
    assert client_for(w.citizen).get("/api/v1/onestop/statistics/", params).status_code == 403


def test_counter_dossier_via_api(world):
    w = world
    response = client_for(w.officer).post(
        "/api/v1/onestop/counter-dossiers/",
        {
            "procedure": "1.001193",
            "applicant_name": "Lê Văn C",
            "applicant_phone": "0905111222",
            "form_data": {"ho_ten": "Lê Văn C"},
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == 2 and response.json()["channel"] == "counter"
    denied = client_for(w.citizen).post(
        "/api/v1/onestop/counter-dossiers/",
        {"procedure": "1.001193", "applicant_name": "X", "form_data": {"ho_ten": "Xy"}},
        format="json",
    )
    assert denied.status_code == 403


def test_every_action_endpoint_works(world):
    """Each POST action reaches its service with the right arguments."""
    w = world
    with frozen(vn(2026, 3, 2, 9, 0)):
        dossier = services.submit_dossier(
            user=w.citizen,
            procedure=w.procedure,
            form_data={"ho_ten": "Nguyễn Văn A"},
            attachments=[services.Attachment(file=pdf_file(), paper=w.paper)],
        )
        base = f"/api/v1/onestop/dossiers/{dossier.uid}"
        officer, specialist, leader = (
            client_for(w.officer),
            client_for(w.specialist),
            client_for(w.leader),
        )
        citizen = client_for(w.citizen)

        def ok(client, action, data=None, fmt="json"):
            response = client.post(f"{base}/{action}/", data or {}, format=fmt)
            assert response.status_code == 200, (action, response.json())
            return response.json()

        assert ok(officer, "request-supplement", {"items": ["Bản sao CCCD"]})["status"] == 5
        ok(citizen, "answer-supplement", {"note": "Đã bổ sung"})
        assert ok(officer, "accept")["status"] == 2
        ok(officer, "start")
        ok(officer, "forward", {"to_user": "chuyenvien.stp"})
        ok(leader, "assign", {"assignee": "chuyenvien2.stp"})
        assert ok(specialist, "pause", {"reason": "Chờ xác minh"})["state"] == "paused"
        assert ok(specialist, "resume")["state"] == "processing"
        assert ok(specialist, "request-obligation", {"amount_vnd": 100000})["status"] == 6
    payment = dossier.payments.get(status="pending")
    pay = citizen.post(f"{base}/pay/", {"payment": str(payment.uid)}, format="json")
    assert pay.status_code == 200 and "sig=" in pay.json()["url"]
    from tinhso.onestop.payments import sandbox
    from tinhso.onestop.payments.services import handle_callback

    params = sandbox.SandboxProvider().callback_params(
        reference=payment.reference, amount=100000, order=str(dossier.uid), success=True, txn="T"
    )
    with frozen(vn(2026, 3, 3, 9, 0)):
        handle_callback(provider="sandbox", params=params)
        assert ok(specialist, "extend", {"new_due_date": "2026-03-20", "reason": "Xác minh"})[
            "extended_once"
        ]
        ok(specialist, "forward", {"to_user": "lanhdao.stp"})
        ok(leader, "send-back", {"note": "Bổ sung căn cứ"})
        ok(specialist, "forward", {"to_user": "lanhdao.stp"})
        ok(leader, "attach-result", {"file": pdf_file("kq.pdf", b"k")}, fmt="multipart")
        assert ok(leader, "approve", {"result_summary": "Cấp bản sao"})["status"] == 9
        assert ok(officer, "return", {"method": "online"})["status"] == 10
        assert ok(citizen, "rate", {"score": 4})["status"] == 10
    other = accepted(w)
    assert (
        client_for(w.leader)
        .post(
            f"/api/v1/onestop/dossiers/{other.uid}/reject/", {"reasons": "Không đủ"}, format="json"
        )
        .json()["status"]
        == 8
    )
    third = accepted(w)
    assert (
        client_for(w.citizen)
        .post(f"/api/v1/onestop/dossiers/{third.uid}/withdraw/", {}, format="json")
        .json()["status"]
        == 7
    )
    fourth = services.submit_dossier(
        user=w.citizen,
        procedure=w.procedure,
        form_data={"ho_ten": "Nguyễn Văn A"},
        attachments=[services.Attachment(file=pdf_file(), paper=w.paper)],
    )
    refused = client_for(w.officer).post(
        f"/api/v1/onestop/dossiers/{fourth.uid}/refuse/", {"reasons": "Sai"}, format="json"
    )
    assert refused.json()["status"] == 3
    queues = client_for(w.officer).get("/api/v1/onestop/queues/").json()
    assert set(queues) == {
        "to_receive",
        "to_process",
        "due_soon",
        "overdue",
        "waiting",
        "to_return",
    }
