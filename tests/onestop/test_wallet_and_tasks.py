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

    cache.delete("onestop:stats-refresh-enqueued")
    with django_capture_on_commit_callbacks(execute=True):
        stats.summary(period=stats.Period.month(2026, 3))
        stats.summary(period=stats.Period.month(2026, 3))  # enqueued once, not twice
    paths = list(DBTaskResult.objects.values_list("task_path", flat=True))
    assert paths.count("tinhso.onestop.tasks.refresh_statistics_task") == 1
    cache.delete("onestop:stats-refresh-enqueued")
