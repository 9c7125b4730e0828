"""In a real browser: a citizen finds a dataset without typing diacritics, previews its
table, filters the preview and downloads the filtered rows as CSV."""

from __future__ import annotations

import re

import pytest
from tests.opendata.conftest import build_world

from tinhso.opendata import services


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_search_without_diacritics_preview_filter_and_download_csv(page, tmp_path):
    world = build_world()
    resource = services.add_resource(
        actor=world.other_officer,
        dataset=world.datasets["hospitals"],
        name="Cơ sở y tế theo xã",
        datastore_only=True,
    )
    services.datastore_create(
        actor=world.other_officer,
        resource=resource,
        fields=[
            {"id": "Tên cơ sở", "type": "text"},
            {"id": "Xã, phường", "type": "text"},
            {"id": "Số giường", "type": "int"},
        ],
        records=[
            ["Bệnh viện Đa khoa tỉnh", "Phường Sông Lam", 750],
            ["Trạm Y tế xã An Sơn", "Xã An Sơn", 8],
            ["Trạm Y tế xã Bình Lĩnh", "Xã Bình Lĩnh", 6],
            ["Phòng khám Đông Lam", "Phường Đông Lam", 20],
        ],
    )
    base = page.base_url
    page.set_default_timeout(60_000)  # the shared CI machine can be slow to serve a first page

    page.goto(f"{base}/opendata/")
    page.get_by_test_id("dataset-search").fill("benh vien tram y te")
    page.get_by_role("button", name="Tìm").click()
    page.wait_for_url(re.compile(r"q=benh"))
    assert "1 bộ dữ liệu" in page.get_by_test_id("result-count").inner_text()
    page.get_by_role("link", name="Danh sách bệnh viện và trạm y tế").click()
    page.get_by_role("link", name="Cơ sở y tế theo xã").click()

    table = page.get_by_test_id("preview-table")
    assert "Trạm Y tế xã An Sơn" in table.inner_text()
    assert "4 dòng" in page.get_by_test_id("preview-total").inner_text()

    page.get_by_label("Cột").select_option("Xã, phường")
    page.get_by_label("bằng giá trị").fill("Xã An Sơn")
    page.get_by_role("button", name="Lọc").click()
    page.wait_for_url(re.compile(r"val="))
    assert "1 dòng" in page.get_by_test_id("preview-total").inner_text()
    assert "Bình Lĩnh" not in page.get_by_test_id("preview-table").inner_text()
    page.screenshot(path=str(tmp_path / "preview.png"), full_page=True)

    with page.expect_download() as info:
        page.get_by_test_id("download-csv").click()
    download = info.value
    path = tmp_path / "rows.csv"
    download.save_as(path)
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    assert lines == ['Tên cơ sở,"Xã, phường",Số giường', "Trạm Y tế xã An Sơn,Xã An Sơn,8"]
