"""The portal's pages: search with facets, dataset, preview with filter/sort/page,
downloads, API docs, contribution form, the data officer's pages."""

from __future__ import annotations

import io
import json

import pytest
from django.test import Client
from openpyxl import load_workbook

from tinhso.opendata import services
from tinhso.opendata.models import Contribution

pytestmark = pytest.mark.django_db


@pytest.fixture
def table(world):
    resource = services.add_resource(
        actor=world.officer,
        dataset=world.datasets["budget"],
        name="Thu theo xã",
        datastore_only=True,
    )
    services.datastore_create(
        actor=world.officer,
        resource=resource,
        fields=[{"id": "xa", "type": "text"}, {"id": "thu", "type": "int"}],
        records=[{"xa": f"Xã số {n}", "thu": n * 10} for n in range(1, 61)]
        + [{"xa": "Phường Đông Lam", "thu": 5}],
    )
    return resource


def login(user):
    client = Client()
    client.force_login(user)
    if user.is_official or user.is_superuser:
        session = client.session
        from tinhso.accounts.middleware import SESSION_KEY

        session[SESSION_KEY] = True
        session.save()
    return client


def test_search_without_diacritics_with_facets(world):
    html = Client().get("/opendata/", {"q": "benh vien"}).content.decode()
    assert "Danh sách bệnh viện và trạm y tế" in html
    assert "Dự toán ngân sách" not in html
    facet = Client().get("/opendata/", {"organization": "h57-01"}).content.decode()
    assert "Dự toán ngân sách" in facet and "bệnh viện và trạm" not in facet
    tag = Client().get("/opendata/", {"tags": "y tế", "license_id": "cc-zero"}).content.decode()
    assert "bệnh viện và trạm" in tag


def test_dataset_page_and_draft_hidden_from_public(world):
    assert Client().get("/opendata/dataset/du-toan-ngan-sach-tinh-nam-2026/").status_code == 200
    draft = world.datasets["draft"].name
    assert Client().get(f"/opendata/dataset/{draft}/").status_code == 404
    assert login(world.officer).get(f"/opendata/dataset/{draft}/").status_code == 200
    assert login(world.other_officer).get(f"/opendata/dataset/{draft}/").status_code == 404


def test_preview_filters_sorts_and_pages(world, table):
    url = f"/opendata/dataset/{table.dataset.name}/resource/{table.uid}/"
    first = Client().get(url).content.decode()
    assert "61 dòng" in first and "Xã số 25" in first and "Xã số 26" not in first
    filtered = Client().get(url, {"col": "xa", "val": "Phường Đông Lam"}).content.decode()
    assert "1 dòng" in filtered
    by_q = Client().get(url, {"q": "dong lam"}).content.decode()
    assert "Phường Đông Lam" in by_q and "Xã số 1<" not in by_q
    top = Client().get(url, {"sort": "thu", "dir": "desc"}).content.decode()
    # the cells, not any "590" in the page (a CSRF token or a nonce holds digits too)
    assert top.index(">600<") < top.index(">590<")
    second = Client().get(url, {"page": "2"}).content.decode()
    assert "Xã số 26" in second


def test_downloads_csv_xlsx_json_keep_the_filter(world, table):
    base = f"/opendata/dataset/{table.dataset.name}/resource/{table.uid}/export"
    csv_text = b"".join(Client().get(base + ".csv").streaming_content).decode("utf-8-sig")
    assert csv_text.splitlines()[0] == "xa,thu" and len(csv_text.splitlines()) == 62
    only = b"".join(Client().get(base + ".csv", {"q": "dong lam"}).streaming_content)
    assert only.decode("utf-8-sig").splitlines() == ["xa,thu", "Phường Đông Lam,5"]
    data = json.loads(b"".join(Client().get(base + ".json").streaming_content))
    assert data[0] == {"xa": "Xã số 1", "thu": 10} and len(data) == 61
    workbook = load_workbook(io.BytesIO(Client().get(base + ".xlsx").content))
    assert workbook.active.max_row == 62
    table.dataset.refresh_from_db()
    assert table.dataset.download_count == 4


def test_api_docs_document_the_hard_caps():
    html = Client().get("/opendata/api/").content.decode()
    for cap in ("1000", "32000", "10000"):
        assert cap in html
    assert "datastore_search" in html and "X-CKAN-API-Key" in html


def test_citizen_contributes_through_the_form(world):
    client = login(world.citizen)
    response = client.post(
        "/opendata/contribute/",
        {
            "kind": "correction",
            "dataset": world.datasets["budget"].name,
            "title": "Sai số liệu",
            "comment": "Dòng thu nội địa sai.",
        },
    )
    assert response.status_code == 302
    contribution = Contribution.objects.get()
    assert contribution.agency == world.finance
    assert Client().get("/opendata/contribute/").status_code == 302  # sign in first
    review = login(world.officer).post(
        f"/opendata/contributions/{contribution.uid}/review/",
        {"decision": "decline", "reason": "Đã kiểm tra, số liệu đúng."},
    )
    assert review.status_code == 302
    contribution.refresh_from_db()
    assert contribution.status == Contribution.Status.DECLINED
    assert (
        login(world.other_officer)
        .get(f"/opendata/contributions/{contribution.uid}/review/")
        .status_code
        == 404
    )


def test_officer_creates_a_dataset_on_the_page(world):
    client = login(world.officer)
    assert client.get("/opendata/manage/").status_code == 200
    response = client.post(
        "/opendata/manage/new/",
        {
            "agency": "H57.01",
            "title": "Danh sách dự án đầu tư công",
            "licence_id": "cc-by-4.0",
            "groups": ["kinh-te-tai-chinh"],
            "tags": "đầu tư công",
            "extra_language": "vi",
            "extra_access_level": "public",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert login(world.citizen).get("/opendata/manage/").status_code == 403


def test_rest_endpoints_search_and_show(world):
    listing = Client().get("/api/v1/opendata/datasets", {"q": "ngan sach"}).json()
    assert listing["count"] == 1
    assert listing["results"][0]["organization_code"] == "H57.01"
    shown = Client().get("/api/v1/opendata/datasets/du-toan-ngan-sach-tinh-nam-2026").json()
    assert shown["title"] == "Dự toán ngân sách tỉnh năm 2026"
    missing = Client().get("/api/v1/opendata/datasets/khong-co")
    assert missing.status_code == 404 and missing.json()["code"] == "dataset_not_found"
    assert Client().get("/api/v1/opendata/datasets", {"limit": 5000}).status_code == 400


def test_quality_score_lists_what_is_missing(world):
    html = Client().get("/opendata/dataset/danh-sach-benh-vien-va-tram-y-te/").content.decode()
    assert "/100" in html and "giấy phép mở" not in html.split('data-testid="quality"')[1][:400]
    assert "mô tả đủ rõ" in html
