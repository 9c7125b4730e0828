"""The REST endpoints: the board, taking a ticket (idempotent per key), its status,
call-next for the officer; errors as `{code, message}`; the pages in English."""

from __future__ import annotations

import pytest

from tinhso.counter import services
from tinhso.counter.models import Ticket

from .conftest import login

pytestmark = pytest.mark.django_db


def test_take_a_ticket_and_read_the_board_over_the_api(client, centre):
    w = centre
    url = "/api/v1/counter/centres/ttpvhcc/tickets/"
    body = {"group": "A", "priority_reason": "pregnant", "request_key": "vendor-kiosk-0001"}
    first = client.post(url, body, content_type="application/json")
    again = client.post(url, body, content_type="application/json")
    assert first.status_code == 201 and first.json()["number"] == "A001"
    assert again.json()["uid"] == first.json()["uid"] and Ticket.objects.count() == 1
    bad = client.post(url, {"group": "Z"}, content_type="application/json")
    assert bad.status_code == 404 and bad.json()["code"] == "counter_unknown_group"
    bad = client.post(url, {"group": "A", "id_number": "1"}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["code"] == "counter_invalid_id_number"

    login(client, w.officer)
    services.open_desk(officer=w.officer, desk=w.desk1, groups=[w.civil])
    called = client.post(f"/api/v1/counter/desks/{w.desk1.uid}/call-next/")
    assert called.status_code == 200 and called.json()["desk"] == 1
    busy = client.post(f"/api/v1/counter/desks/{w.desk1.uid}/call-next/")
    assert busy.status_code == 409 and busy.json()["code"] == "counter_desk_busy"

    board = client.get("/api/v1/counter/centres/ttpvhcc/board/").json()
    assert board["calls"][0] == {
        "number": "A001",
        "desk": 1,
        "desk_name": "Quầy 1",
        "called_at": board["calls"][0]["called_at"],
        "state": "called",
    }
    status = client.get(f"/api/v1/counter/tickets/{first.json()['uid']}/").json()
    assert status["state"] == "called" and status["kind"] == "priority"
    assert client.get("/api/v1/counter/centres/nowhere/board/").status_code == 404


def test_the_kiosk_and_the_screen_in_english(client, centre):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    kiosk = client.get("/counter/ttpvhcc/ki-ot/").content.decode()
    assert "Touch the service you need to take a number" in kiosk
    screen = client.get("/counter/ttpvhcc/man-hinh/").content.decode()
    assert "Now calling" in screen and "Estimated wait" in screen
