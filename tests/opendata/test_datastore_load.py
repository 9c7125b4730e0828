"""Loading CSV/XLSX files into the datastore: encodings Vietnamese files come in, a
per-row error report where a bad file loads nothing, and a load that dies leaves the
old table serving."""

from __future__ import annotations

import io

import pytest
from django.db import connection

from tests.opendata.conftest import csv_file
from tinhso.opendata import datastore, services
from tinhso.opendata.errors import OpendataValidation
from tinhso.opendata.models import DatastoreTable, LoadJob

pytestmark = pytest.mark.django_db

TEXT = "Xã,Năm,Số hộ\nXã Suối Trong,2025,1200\nPhường Đông Lam,2025,3400\n"


def load(world, data: io.BytesIO, *, encoding: str = ""):
    resource = services.add_resource(
        actor=world.officer,
        dataset=world.datasets["budget"],
        name="Số hộ",
        upload=data,
        encoding=encoding,
    )
    job = LoadJob.objects.get(resource=resource)
    return resource, services.run_load(job.pk)


def rows(resource):
    table = DatastoreTable.objects.get(resource=resource)
    return datastore.search(table=table.table_name, fields=table.fields, cached_total=table.total)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1258"])
def test_utf8_bom_and_windows_1258_files_are_read_right(world, encoding):
    resource, job = load(world, csv_file(TEXT, encoding=encoding))
    assert job.status == LoadJob.Status.DONE, job.errors
    assert (
        job.encoding
        == {"utf-8": "utf-8", "utf-8-sig": "utf-8-sig", "cp1258": "windows-1258"}[encoding]
    )
    found = rows(resource)
    assert [f["id"] for f in found["fields"]] == ["_id", "Xã", "Năm", "Số hộ"]
    assert found["records"][1]["Xã"] == "Phường Đông Lam"
    assert found["records"][1]["Số hộ"] == 3400
    assert found["total"] == 2


def test_an_unrecognisable_encoding_asks_instead_of_guessing():
    with pytest.raises(OpendataValidation) as err:
        datastore.decode(b"a,b\n\x81\x8d\x8f,\x90\n")
    assert err.value.code == "file_encoding_unknown"


def test_a_bad_file_loads_nothing_and_reports_each_row(world):
    resource, first = load(world, csv_file(TEXT))
    broken = csv_file("Xã,Năm,Số hộ\nA,2025,1\nB,2025\nC,2025,3,4\n")
    job = LoadJob.objects.create(resource=resource)
    resource.file.save("broken.csv", broken, save=True)
    result = services.run_load(job.pk)
    assert result.status == LoadJob.Status.FAILED
    assert [e["row"] for e in result.errors] == [3, 4]
    assert rows(resource)["total"] == 2  # the previous table still serves


def test_a_load_that_dies_before_the_switch_leaves_the_old_table_serving(world, monkeypatch):
    resource, _ = load(world, csv_file(TEXT))
    old = DatastoreTable.objects.get(resource=resource).table_name
    resource.file.save("v2.csv", csv_file(TEXT + "Xã Mới,2026,10\n"), save=True)
    job = LoadJob.objects.create(resource=resource)

    def die(*args, **kwargs):
        raise SystemExit("killed")

    monkeypatch.setattr(services, "_swap", die)
    with pytest.raises(SystemExit):
        services.run_load(job.pk)
    monkeypatch.undo()
    assert DatastoreTable.objects.get(resource=resource).table_name == old
    assert rows(resource)["total"] == 2
    leftovers = [
        t for t in connection.introspection.table_names() if t.startswith(old[:17]) and t != old
    ]
    assert leftovers  # the half-written table, swept by the next load
    job = LoadJob.objects.create(resource=resource)
    assert services.run_load(job.pk).status == LoadJob.Status.DONE
    assert rows(resource)["total"] == 3
    tables = [t for t in connection.introspection.table_names() if t.startswith(old[:17])]
    assert tables == [DatastoreTable.objects.get(resource=resource).table_name]


def test_xlsx_upload_is_loaded(world):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Trường", "Học sinh"])
    sheet.append(["THPT Chuyên", 820])
    sheet.append(["THCS Suối Trong", 415])
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    out.name = "truong.xlsx"
    out.size = len(out.getvalue())  # type: ignore[attr-defined]
    resource, job = load(world, out)
    assert job.status == LoadJob.Status.DONE, job.errors
    assert rows(resource)["records"][1] == {"_id": 2, "Trường": "THCS Suối Trong", "Học sinh": 415}


def test_too_large_upload_is_refused_before_storing(world, settings):
    big = csv_file(TEXT)
    big.size = services.MAX_UPLOAD_BYTES + 1  # type: ignore[attr-defined]
    count = world.datasets["budget"].resources.count()
    with pytest.raises(OpendataValidation) as err:
        services.add_resource(actor=world.officer, dataset=world.datasets["budget"], upload=big)
    assert err.value.code == "upload_too_large"
    assert world.datasets["budget"].resources.count() == count
