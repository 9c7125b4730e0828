"""Pages and the app's API: the reporter's identity is for the centre only (pages, API,
exports); the PWA's manifest and service worker are served; the IOC and statistics."""

from __future__ import annotations

import io
import json

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tinhso.accounts.middleware import SESSION_KEY
from tinhso.feedback import services

from .conftest import A_POINT, accepted, jpeg, submit, upload

NAME, PHONE, EMAIL = "Nguyễn Văn An", "0912345678", "an@example.org"


def login(client, user) -> None:
    client.force_login(user)
    if user.needs_second_factor:
        session = client.session
        session[SESSION_KEY] = True
        session.save()


def _has_identity(text: str) -> bool:
    return any(x in text for x in (NAME, PHONE, EMAIL, "congdan.an"))


def test_identity_is_shown_to_the_centre_and_hidden_from_the_agency(client, world):
    report = accepted(world)
    page = reverse("feedback:report", args=[report.code])
    api = f"/api/v1/feedback/reports/{report.code}/"
    login(client, world.centre_officer)
    assert _has_identity(client.get(page).content.decode())
    assert client.get(api).json()["reporter"]["phone"] == PHONE
    for user in (world.handler_a, world.leader_a):
        login(client, user)
        html = client.get(page).content.decode()
        assert report.description in html and not _has_identity(html)
        body = client.get(api).json()
        assert body["reporter"] is None and not _has_identity(json.dumps(body, ensure_ascii=False))
        queue = client.get(reverse("feedback:queue")).content.decode()
        assert report.code in queue and not _has_identity(queue)
        listing = client.get("/api/v1/feedback/queue/").json()
        assert listing["count"] == 1 and not _has_identity(json.dumps(listing, ensure_ascii=False))
    client.logout()
    assert not _has_identity(client.get(page).content.decode())
    assert client.get(api).json()["reporter"] is None


def test_exports_carry_no_identity(client, world):
    report = accepted(world)
    services.act(actor=world.handler_a, report=report, action="answer", text="Xong")
    login(client, world.leader_a)
    response = client.get(reverse("feedback:statistics"), {"xuat": "xlsx"})
    assert response.status_code == 200
    book = load_workbook(
        io.BytesIO(b"".join(response.streaming_content) if response.streaming else response.content)
    )
    cells = " ".join(str(c.value) for sheet in book for row in sheet.iter_rows() for c in row)
    assert "UBND phường An Bình" in cells and not _has_identity(cells)


def test_the_agency_answers_from_the_report_page_and_the_citizen_rates(client, world):
    report = accepted(world)
    login(client, world.handler_a)
    page = client.get(reverse("feedback:report", args=[report.code])).content.decode()
    assert 'data-action="answer"' in page and 'data-action="reject"' not in page
    response = client.post(
        reverse("feedback:act", args=[report.code, "answer"]),
        {"answer-text": "Đã thu gom xong.", "answer-photos": [upload(jpeg())]},
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.state == "answered" and report.photos.filter(kind="answer").count() == 1
    login(client, world.citizen)
    page = client.get(reverse("feedback:report", args=[report.code])).content.decode()
    assert 'data-action="rate"' in page and 'data-action="reopen"' in page
    client.post(reverse("feedback:act", args=[report.code, "rate"]), {"rate-rating": "4"})
    report.refresh_from_db()
    assert report.rating == 4


def test_a_citizen_reports_through_the_api_and_sees_nearby_reports(client, world):
    existing = submit(world, user=world.other_citizen)
    login(client, world.citizen)
    near = client.get(
        "/api/v1/feedback/nearby/",
        {"category": "rac-thai", "lat": A_POINT[0], "lng": A_POINT[1] + 0.0002},
    ).json()
    assert [r["code"] for r in near] == [existing.code]
    response = client.post(
        "/api/v1/feedback/reports/",
        {
            "category": "rac-thai",
            "description": "Rác",
            "lat": A_POINT[0],
            "lng": A_POINT[1],
            "photos": [upload(jpeg())],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["is_mine"] and len(body["photos"]) == 1 and body["reporter"] is None
    mine = client.get("/api/v1/feedback/reports/mine/").json()
    assert [r["code"] for r in mine["results"]] == [body["code"]]
    bad = client.post("/api/v1/feedback/reports/", {"category": "x", "description": "Rác"})
    assert bad.status_code == 400 and bad.json()["code"] == "feedback_unknown_category"
    inbox = client.get("/api/v1/feedback/inbox/").json()
    assert inbox["count"] >= 1


def test_the_pwa_manifest_and_service_worker_are_served(client, world):
    page = client.get(reverse("feedback:app")).content.decode()
    assert reverse("feedback:manifest") in page
    manifest = client.get(reverse("feedback:manifest"))
    assert manifest["Content-Type"] == "application/manifest+json"
    data = json.loads(manifest.content)
    assert data["display"] == "standalone" and data["start_url"] == reverse("feedback:app")
    assert {i["sizes"] for i in data["icons"]} >= {"192x192", "512x512"}
    worker = client.get(reverse("feedback:sw"))
    assert worker["Content-Type"].startswith("text/javascript")
    assert worker["Service-Worker-Allowed"] == reverse("feedback:app")
    text = worker.content.decode()
    assert "__SHELL__" not in text and reverse("feedback:app") in text
    for url in json.loads(text.split("var SHELL = ", 1)[1].split(";", 1)[0]):
        assert client.get(url).status_code == 200, url


def test_public_map_list_boundaries_and_points(client, world):
    report = submit(world)
    hidden = submit(world)
    services.act(actor=world.centre_officer, report=hidden, action="hide", reason="Lộ thông tin")
    page = client.get(reverse("feedback:home")).content.decode()
    assert report.code in page and hidden.code not in page
    areas = client.get(reverse("feedback:areas")).json()
    assert {f["properties"]["code"] for f in areas["features"]} == {"79001", "79002"}
    points = client.get("/api/v1/feedback/points/").json()["points"]
    assert [p[0] for p in points] == [report.code]
    assert client.get(reverse("feedback:report", args=[hidden.code])).status_code == 404


def test_the_ioc_wall_shows_live_figures_to_the_centre(client, world):
    accepted(world)
    submit(world)
    login(client, world.citizen)
    assert client.get(reverse("feedback:ioc")).status_code == 403
    login(client, world.centre_officer)
    page = client.get(reverse("feedback:ioc")).content.decode()
    assert 'hx-trigger="every 30s"' in page
    figures = client.get(reverse("feedback:ioc_figures")).content.decode()
    assert 'data-figure="today">2<' in figures and 'data-figure="open">2<' in figures
    data = client.get("/api/v1/feedback/ioc/").json()["data"]
    assert data["today"] == 2 and "dossiers_received" in data["modules"]
    assert sum(cell[2] for cell in data["heat"]) == 2


@pytest.mark.parametrize(
    "path", ["/feedback/r/%00/", "/feedback/anh/zzz/", "/feedback/thong-ke/?tu=x"]
)
def test_hostile_urls_do_not_break_pages(client, world, path):
    login(client, world.centre_officer)
    assert client.get(path).status_code in (200, 404)
