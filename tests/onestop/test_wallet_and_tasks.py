"""The citizen's wallet through the API, and the statistics refresh task."""

from __future__ import annotations

from datetime import date

import pytest
from rest_framework.test import APIClient

from tinhso.onestop import statistics as stats
from tinhso.onestop.models import DossierFile, WalletItem
from tinhso.onestop.services.clock import frozen
from tinhso.onestop.tasks import refresh_statistics

from .conftest import accepted, pdf_file, submit, vn

pytestmark = pytest.mark.django_db


def test_wallet_upload_once_list_reuse_and_delete(world):
    w = world
    client = APIClient()
    client.force_authenticate(w.citizen)
    first = client.post(
        "/api/v1/onestop/wallet/", {"file": pdf_file("cccd.pdf")}, format="multipart"
    )
    again = client.post(
        "/api/v1/onestop/wallet/", {"file": pdf_file("cccd.pdf")}, format="multipart"
    )
    assert first.status_code == again.status_code == 201
    assert first.json()["uid"] == again.json()["uid"]  # stored once
    bad = client.post("/api/v1/onestop/wallet/", {"file": pdf_file("x.exe")}, format="multipart")
    assert bad.status_code == 400 and bad.json()["code"] == "file_type_not_allowed"
    assert len(client.get("/api/v1/onestop/wallet/").json()) == 1
    item = WalletItem.objects.get(uid=first.json()["uid"])
    # reused in a dossier through the API, without uploading again
    response = client.post(
        "/api/v1/onestop/dossiers/",
        {
            "procedure": "1.001193",
            "form_data": {"ho_ten": "Nguyễn Văn A"},
            "wallet_items": [{"paper": w.paper.pk, "item": str(item.uid)}],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert DossierFile.objects.get(dossier__uid=response.json()["uid"]).file.name == item.file.name
    other = APIClient()
    other.force_authenticate(w.citizen2)
    assert other.delete(f"/api/v1/onestop/wallet/{item.uid}/").status_code == 404
    assert client.delete(f"/api/v1/onestop/wallet/{item.uid}/").status_code == 204
    assert not WalletItem.objects.filter(pk=item.pk).exists()


def test_refresh_statistics_rolls_up_to_yesterday(world):
    w = world
    with frozen(vn(2026, 3, 2, 9, 0)):
        accepted(w)
        submit(w)
    with frozen(vn(2026, 3, 10, 9, 0)):
        assert refresh_statistics() > 0
        assert stats.rollup_through() == date(2026, 3, 9)
        row = stats.summary(period=stats.Period.month(2026, 3))[0]
    assert row["received"] == 1 and row["in_progress"] == 1


def test_a_stale_rollup_asks_the_worker_for_a_refresh(world, django_capture_on_commit_callbacks):
    from django.core.cache import cache
    from django_tasks_db.models import DBTaskResult

    cache.delete("enqueued:onestop:stats-refresh")
    with django_capture_on_commit_callbacks(execute=True):
        stats.summary(period=stats.Period.month(2026, 3))
        stats.summary(period=stats.Period.month(2026, 3))  # enqueued once, not twice
    paths = list(DBTaskResult.objects.values_list("task_path", flat=True))
    assert paths.count("tinhso.onestop.tasks.refresh_statistics_task") == 1
    cache.delete("enqueued:onestop:stats-refresh")


# ---------------------------------------------------------------------------------------
# Uploads go to the wallet only when the citizen asks, and files say where they came from


def _submit_page(client, w, **extra):
    from django.urls import reverse

    data = {"ef-ho_ten": "Nguyễn Văn A", "ef-so_ban": "1", "return_method": "online"}
    data.update(extra)
    return client.post(reverse("onestop:submit", args=[w.procedure.code]), data)


def test_an_upload_is_not_copied_into_the_wallet_unless_the_box_is_ticked(client, world):
    from tinhso.onestop.models import RequiredPaper

    w = world
    copy = RequiredPaper.objects.create(procedure=w.procedure, order=2, name="Bản sao căn cước")
    client.force_login(w.citizen)
    _submit_page(client, w, **{f"paper-{copy.pk}": pdf_file("cccd-1.pdf")})
    kept = _submit_page(
        client, w, **{f"paper-{copy.pk}": pdf_file("cccd-2.pdf", b"2"), f"save-{copy.pk}": "1"}
    )
    assert kept.status_code == 302
    # only the second upload, whose box was ticked, is in the wallet
    names = WalletItem.objects.filter(owner=w.citizen).values_list("original_name", flat=True)
    assert list(names) == ["cccd-2.pdf"]
    first, second = DossierFile.objects.filter(origin="upload").order_by("pk")
    assert (first.wallet_item, first.origin) == (None, "upload")
    assert second.wallet_item.original_name == "cccd-2.pdf" and second.origin == "upload"


def test_the_dossier_page_says_truthfully_where_each_paper_came_from(client, world):
    from tinhso.onestop import services

    w = world
    uploaded = submit(w)
    kept = submit(
        w,
        attachments=[
            services.Attachment(file=pdf_file(extra=b"k"), paper=w.paper, save_to_wallet=True)
        ],
    )
    item = WalletItem.objects.get(owner=w.citizen)
    picked = submit(w, attachments=[services.Attachment(wallet_item=item, paper=w.paper)])
    client.force_login(w.citizen)

    def label(dossier) -> str:
        page = client.get(f"/onestop/ho-so/{dossier.uid}/").content.decode()
        section = page.split('id="papers-h"', 1)[1].split("</ul>", 1)[0]
        return " ".join(section.split())

    assert "tải lên trực tiếp" in label(uploaded)
    assert "kho giấy tờ" not in label(uploaded)
    assert "tải lên trực tiếp, đã lưu vào kho giấy tờ" in label(kept)
    assert "chọn từ kho giấy tờ" in label(picked)


def test_papers_an_officer_attaches_for_the_applicant_never_enter_their_wallet(world):
    from tinhso.onestop import services

    w = world
    dossier = submit(w)
    services.request_supplement(official=w.officer, dossier=dossier, items=["Bản sao CCCD"])
    services.answer_supplement(
        user=w.officer,
        dossier=dossier,
        attachments=[services.Attachment(file=pdf_file("cccd.pdf", b"o"), save_to_wallet=True)],
    )
    supplement = DossierFile.objects.get(dossier=dossier, kind="supplement")
    assert supplement.origin == "official" and supplement.wallet_item is None
    assert not WalletItem.objects.filter(owner=w.citizen).exists()


def test_a_supplement_upload_is_kept_in_the_wallet_when_the_citizen_ticks_the_box(client, world):
    from tinhso.onestop import services

    w = world
    dossier = submit(w)
    services.request_supplement(official=w.officer, dossier=dossier, items=["Bản sao CCCD"])
    dossier.refresh_from_db()
    client.force_login(w.citizen)
    page = client.get(f"/onestop/ho-so/{dossier.uid}/").content.decode()
    assert 'name="save_to_wallet"' in page and "Lưu vào kho giấy tờ" in page
    client.post(
        f"/onestop/ho-so/{dossier.uid}/cong-dan/answer_supplement/",
        {"files": pdf_file("cccd.pdf", b"s"), "save_to_wallet": "1", "version": dossier.version},
    )
    supplement = DossierFile.objects.get(dossier=dossier, kind="supplement")
    assert supplement.wallet_item is not None
    assert WalletItem.objects.get(owner=w.citizen).original_name == "cccd.pdf"
