"""The real `ckanapi` client (PyPI) against a live tinhso: what harvesters and scripts do.

Search with facets and paging, package_show, organization_list, resource_create with a
file upload (loaded into the datastore), datastore_create, datastore_search (filters, q,
sort, paging, total) and the errors mapped back to ckanapi's exceptions.
"""

from __future__ import annotations

import io

import pytest
from ckanapi import NotAuthorized, NotFound, RemoteCKAN, ValidationError
from ckanapi.errors import CKANAPIError

from tests.opendata.conftest import build_world
from tinhso.opendata.models import LoadJob
from tinhso.opendata.services import run_load

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def live_world(live_server):
    return build_world(), live_server.url


def test_ckanapi_drives_search_show_lists_uploads_and_datastore(live_world):
    world, url = live_world
    anonymous = RemoteCKAN(url)
    officer = RemoteCKAN(url, apikey=world.keys["officer"])

    # search with facets and paging
    page = anonymous.call_action(
        "package_search",
        {"q": "", "rows": 1, "start": 0, "facet.field": '["organization", "groups", "license_id"]'},
    )
    assert page["count"] == 2 and len(page["results"]) == 1
    organisations = {i["name"]: i["count"] for i in page["search_facets"]["organization"]["items"]}
    assert organisations == {"h57-01": 1, "h57-02": 1}
    second = anonymous.action.package_search(rows=1, start=1)
    assert second["results"][0]["name"] != page["results"][0]["name"]
    found = anonymous.action.package_search(q="benh vien")  # no diacritics
    assert [d["title"] for d in found["results"]] == ["Danh sách bệnh viện và trạm y tế"]

    # show and lists
    budget = anonymous.action.package_show(id="du-toan-ngan-sach-tinh-nam-2026")
    assert budget["organization"]["title"] == "Sở Tài chính"
    assert sorted(anonymous.action.organization_list()) == ["h57-01", "h57-02"]
    full = anonymous.action.organization_list(all_fields=True)
    assert {o["name"]: o["package_count"] for o in full} == {"h57-01": 1, "h57-02": 1}

    # upload a CSV (multipart `upload`), loaded into the datastore by the worker
    csv_bytes = "xa,nam,so_ho\nXã Suối Trong,2025,1200\nXã Đồng Tâm,2025,950\n".encode()
    upload = io.BytesIO(csv_bytes)
    upload.name = "so-ho.csv"
    resource = officer.action.resource_create(
        package_id=budget["id"], name="Số hộ theo xã", upload=upload
    )
    assert resource["url_type"] == "upload" and resource["format"] == "CSV"
    job = LoadJob.objects.get(resource__uid=resource["id"])
    assert run_load(job.pk).status == LoadJob.Status.DONE
    rows = anonymous.action.datastore_search(resource_id=resource["id"], q="dong tam")
    assert rows["total"] == 1 and rows["records"][0]["so_ho"] == 950

    # datastore_create with records, then search: filters, sort, paging, total
    created = officer.action.datastore_create(
        resource={"package_id": budget["id"], "name": "Thu ngân sách theo tháng"},
        fields=[
            {"id": "thang", "type": "int"},
            {"id": "nguon", "type": "text"},
            {"id": "trieu_dong", "type": "numeric"},
        ],
        records=[
            {"thang": m, "nguon": "thuế" if m % 2 else "phí", "trieu_dong": 100 * m}
            for m in range(1, 13)
        ],
    )
    rid = created["resource_id"]
    first = anonymous.action.datastore_search(
        resource_id=rid, filters={"nguon": "thuế"}, sort="trieu_dong desc", limit=2, offset=0
    )
    assert first["total"] == 6
    assert [r["thang"] for r in first["records"]] == [11, 9]
    nxt = anonymous.action.datastore_search(
        resource_id=rid, filters={"nguon": "thuế"}, sort="trieu_dong desc", limit=2, offset=2
    )
    assert [r["thang"] for r in nxt["records"]] == [7, 5]

    # errors come back as ckanapi's exceptions
    with pytest.raises(NotFound):
        anonymous.action.package_show(id="khong-ton-tai")
    with pytest.raises(ValidationError) as invalid:
        anonymous.action.package_search(rows=5000)
    assert "rows" in invalid.value.error_dict
    with pytest.raises(ValidationError):
        anonymous.action.datastore_search(resource_id=rid, filters={"khong_co": 1})
    with pytest.raises(NotAuthorized):
        anonymous.action.package_create(owner_org="h57-01", name="vo-danh", title="Vô danh")
    with pytest.raises(NotAuthorized):
        officer.action.package_patch(id="danh-sach-benh-vien-va-tram-y-te", title="Không được")
    with pytest.raises(CKANAPIError):
        anonymous.call_action("package_explode", {})


def test_ckanapi_get_only_mode_reads(live_world):
    world, url = live_world
    ck = RemoteCKAN(url, get_only=True)
    assert "du-toan-ngan-sach-tinh-nam-2026" in ck.action.package_list()
    assert ck.action.package_search(fq='tags:"y tế"')["count"] == 1
