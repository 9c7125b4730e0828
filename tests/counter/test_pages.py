"""The centre's pages: kiosk → printed ticket with its QR code, the screen's board, the
officer's counter (call, transfer, start reception with the ticket linked to the
dossier), the tablet, booking, the supervisor's statistics and XLSX; who may see what."""

from __future__ import annotations

import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tinhso.counter import services
from tinhso.counter.models import Desk, DeskRating, Ticket
from tinhso.onestop.models import Dossier

from .conftest import login

pytestmark = pytest.mark.django_db


def test_the_kiosk_gives_a_ticket_once_for_a_double_tap_and_prints_it(client, centre):
    page = client.get(reverse("counter:kiosk", args=["ttpvhcc"]))
    assert page.status_code == 200
    key = re.search(r'name="request_key" value="([^"]+)"', page.content.decode()).group(1)
    form = {"request_key": key, "group": "A", "purpose": "submit", "id_number": "001090001234"}
    first = client.post(reverse("counter:kiosk", args=["ttpvhcc"]), form)
    second = client.post(reverse("counter:kiosk", args=["ttpvhcc"]), form)
    assert first.status_code == 302 and first["Location"] == second["Location"]
    ticket = Ticket.objects.get()
    assert ticket.display == "A001" and ticket.id_number == "001090001234"
    printed = client.get(first["Location"]).content.decode()
    assert "A001" in printed and "<svg" in printed  # the QR code
    assert reverse("counter:ticket", args=[ticket.uid]) in printed
    status = client.get(reverse("counter:ticket", args=[ticket.uid]))
    assert "A001" in status.content.decode()


def test_bad_kiosk_input_shows_the_message_and_takes_nothing(client, centre):
    response = client.post(
        reverse("counter:kiosk", args=["ttpvhcc"]),
        {"request_key": "abcdefgh1234", "group": "A", "id_number": "12"},
    )
    assert response.status_code == 400
    assert "12 chữ số" in response.content.decode()
    assert not Ticket.objects.exists()
    assert client.get(reverse("counter:kiosk", args=["nowhere"])).status_code == 404


def test_the_officer_calls_and_the_screen_shows_the_call(client, centre):
    w = centre
    services.take_ticket(centre=w.centre, group=w.civil)
    login(client, w.officer)
    url = reverse("counter:desk", args=[w.desk1.uid])
    client.post(url, {"action": "open", "groups": ["A"]})
    assert Desk.objects.get(pk=w.desk1.pk).state == Desk.State.OPEN
    client.post(url, {"action": "call"})
    page = client.get(url).content.decode()
    assert 'data-testid="current-number">A001' in page
    board = client.get(reverse("counter:screen_board", args=["ttpvhcc"])).content.decode()
    assert "A001" in board and "Quầy 1" in board
    # a bad action is a message, not an error page
    assert client.post(url, {"action": "call"}).status_code == 302


def test_reception_from_the_ticket_links_the_dossier(client, centre):
    w = centre
    services.take_ticket(centre=w.centre, group=w.civil, id_number="001090001234")
    login(client, w.officer)
    url = reverse("counter:desk", args=[w.desk1.uid])
    client.post(url, {"action": "open", "groups": ["A"]})
    client.post(url, {"action": "call"})
    ticket = Ticket.objects.get()
    page = client.get(url).content.decode()
    assert f'name="queue_ticket" value="{ticket.uid}"' in page
    assert 'name="cccd" value="001090001234"' in page
    # the one-stop reception page, prefilled from the ticket, carries the ticket along
    form = client.get(
        reverse("onestop:counter"),
        {"procedure": w.procedure.code, "cccd": "001090001234", "queue_ticket": str(ticket.uid)},
    )
    assert form.status_code == 200
    assert f'name="queue_ticket" value="{ticket.uid}"' in form.content.decode()
    response = client.post(
        reverse("onestop:counter"),
        {
            "procedure": w.procedure.code,
            "queue_ticket": str(ticket.uid),
            "applicant_name": "Nguyễn Văn A",
            "applicant_id_number": "001090001234",
            "ef-ho_ten": "Nguyễn Văn A",
            f"recv-{w.paper.pk}": "1",
            f"orig-{w.paper.pk}": "1",
            f"copy-{w.paper.pk}": "0",
            "return_method": "counter",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    dossier = Dossier.objects.get()
    ticket.refresh_from_db()
    assert ticket.dossier == dossier and ticket.state == Ticket.State.SERVING


def test_the_tablet_rates_the_ticket_just_served(client, centre):
    w = centre
    services.take_ticket(centre=w.centre, group=w.civil)
    services.open_desk(officer=w.officer, desk=w.desk1, groups=[w.civil])
    services.call_next(officer=w.officer, desk=w.desk1)
    ticket = services.finish(officer=w.officer, desk=w.desk1)
    url = reverse("counter:tablet", args=[w.desk1.tablet_key])
    page = client.get(url).content.decode()
    assert "motcua.stp" in page and str(ticket.uid) in page
    ok = client.post(url, {"ticket": str(ticket.uid), "attitude": 3, "timeliness": 3, "result": 2})
    assert "Cảm ơn" in ok.content.decode()
    again = client.post(
        url, {"ticket": str(ticket.uid), "attitude": 1, "timeliness": 1, "result": 1}
    )
    assert again.status_code == 400
    assert DeskRating.objects.count() == 1
    assert client.get(reverse("counter:tablet", args=["no-such-key"])).status_code == 404


def test_booking_on_the_portal(client, centre):
    url = reverse("counter:book", args=["ttpvhcc"])
    page = client.get(url, {"group": "B", "day": "2099-01-01"})
    assert page.status_code == 200
    response = client.post(
        url,
        {"group": "B", "day": "2030-01-07", "slot": "09:00", "name": "Lê C", "phone": "0912000111"},
    )
    # beyond 30 days ahead: refused with the message
    assert response.status_code == 400 and "30 ngày" in response.content.decode()


def test_supervisor_statistics_and_xlsx_and_who_may_see_them(client, centre):
    w = centre
    services.take_ticket(centre=w.centre, group=w.civil)
    login(client, w.officer)
    assert client.get(reverse("counter:supervise", args=["ttpvhcc"])).status_code == 403
    login(client, w.leader)
    page = client.get(reverse("counter:supervise", args=["ttpvhcc"]), {"by": "group", "page": "x"})
    assert page.status_code == 200 and "Hộ tịch" in page.content.decode()
    xlsx = client.get(reverse("counter:export", args=["ttpvhcc"]))
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == ["Theo ngày", "Theo nhóm", "Theo cán bộ", "Theo quầy"]
    login(client, w.citizen)
    assert client.get(reverse("counter:desk", args=[w.desk1.uid])).status_code == 403
    assert client.get(reverse("counter:home")).status_code == 200


def test_the_public_kiosk_is_bounded_per_client_address(client, centre, monkeypatch):
    from tinhso.counter import views

    monkeypatch.setattr(views, "KIOSK_RATE", "2/min")
    url = reverse("counter:kiosk", args=["ttpvhcc"])
    codes = [
        client.post(url, {"request_key": f"flood-key-{i:04d}", "group": "A"}).status_code
        for i in range(3)
    ]
    assert codes == [302, 302, 400]
    assert Ticket.objects.count() == 2
