"""Procedure catalog import/export: JSON and XLSX, per-row errors, all or nothing, idempotent."""

from __future__ import annotations

import copy
import io
import json

import pytest
from openpyxl import load_workbook

from tinhso.accounts.models import User
from tinhso.core.errors import PermissionDenied
from tinhso.directory.models import Agency
from tinhso.onestop import catalog_io
from tinhso.onestop.catalog_io import CatalogImportError, import_catalog
from tinhso.onestop.models import Procedure, ProcessTemplate, RequiredPaper

DEMO = json.loads(catalog_io.DEFAULT_CATALOG.read_text(encoding="utf-8"))
DEPARTMENTS = {
    "H99.02": "SNV",
    "H99.03": "STC",
    "H99.04": "STP",
    "H99.05": "SXD",
    "H99.06": "SNNMT",
    "H99.07": "SYT",
    "H99.08": "SGDĐT",
    "H99.11": "SVHTTDL",
    "H99.16": "TTPVHCC",
}


@pytest.fixture
def agencies(db):
    ubnd = Agency.objects.create(code="H99", name="UBND tỉnh Sông Lam")
    return {
        code: Agency.objects.create(
            code=code, name=f"Cơ quan {short}", short_name=short, parent=ubnd
        )
        for code, short in DEPARTMENTS.items()
    }


def _file(catalog: dict, name: str = "catalog.json") -> io.BytesIO:
    stream = io.BytesIO(json.dumps(catalog, ensure_ascii=False).encode())
    stream.name = name
    return stream


def _small(n: int = 3) -> dict:
    catalog = copy.deepcopy(DEMO)
    catalog["procedures"] = catalog["procedures"][:n]
    return catalog


def test_demo_catalog_imports_every_procedure_with_papers_and_process(agencies):
    result = import_catalog(catalog_io.DEFAULT_CATALOG)
    assert len(result.created) == len(DEMO["procedures"]) >= 50
    lltp = Procedure.objects.get(code="2.000488")
    assert lltp.agency == agencies["H99.04"]
    assert lltp.receiving_agency == agencies["H99.16"]
    assert lltp.fee_vnd == 200000
    process = lltp.active_process()
    assert process.total_days == lltp.processing_days
    assert [s.role for s in process.steps.order_by("order")][0] == "onestop_officer"
    khai_sinh = Procedure.objects.get(code="1.001193")
    assert khai_sinh.agency is None and khai_sinh.level_list == ["commune"]
    assert khai_sinh.form_schema["x-order"][0] == "applicant"
    assert RequiredPaper.objects.filter(procedure=khai_sinh).count() == 4


def test_reimporting_the_same_file_changes_nothing(agencies):
    import_catalog(_file(_small()))
    stamps = dict(Procedure.objects.values_list("code", "updated_at"))
    templates = ProcessTemplate.objects.count()
    papers = list(RequiredPaper.objects.values_list("pk", flat=True))
    result = import_catalog(_file(_small()))
    assert (len(result.created), len(result.updated), len(result.unchanged)) == (0, 0, 3)
    assert dict(Procedure.objects.values_list("code", "updated_at")) == stamps
    assert ProcessTemplate.objects.count() == templates
    assert list(RequiredPaper.objects.values_list("pk", flat=True)) == papers


def test_changed_steps_replace_the_template_and_keep_the_old_one(agencies):
    import_catalog(_file(_small(1)))
    catalog = _small(1)
    steps = catalog["procedures"][0]["process"]["steps"]
    steps[0]["name"] = "Tiếp nhận, kiểm tra hồ sơ"
    catalog["procedures"][0]["name"] = "Thủ tục đăng ký khai sinh (sửa)"
    result = import_catalog(_file(catalog))
    assert result.updated == ["1.001193"]
    procedure = Procedure.objects.get(code="1.001193")
    assert procedure.name.endswith("(sửa)")
    assert ProcessTemplate.objects.filter(procedure=procedure).count() == 2
    assert procedure.active_process().steps.order_by("order")[0].name == "Tiếp nhận, kiểm tra hồ sơ"


def test_a_bad_procedure_imports_nothing_and_says_where(agencies):
    catalog = _small(4)
    catalog["procedures"][2]["process"]["steps"][1]["budget_days"] = 99
    catalog["procedures"][3]["online_type"] = "level4"
    catalog["procedures"][3]["agency"] = {"code": "H99.77"}
    with pytest.raises(CatalogImportError) as exc:
        import_catalog(_file(catalog))
    assert Procedure.objects.count() == 0
    errors = exc.value.details["errors"]
    third = catalog["procedures"][2]["code"]
    assert any(
        e["where"].startswith(f"Thủ tục thứ 3 ({third})")
        and "Tổng thời gian các bước" in e["message"]
        for e in errors
    )
    messages = [e["message"] for e in errors if e["where"].startswith("Thủ tục thứ 4")]
    assert any("'full' (toàn trình)" in m for m in messages)
    assert any("Không tìm thấy cơ quan 'H99.77'" in m for m in messages)
    assert exc.value.code == "catalog_invalid"


def test_broken_json_is_reported_with_its_line(agencies):
    stream = io.BytesIO(b'{"procedures": [\n{"code": "1.000001",\n}]}')
    with pytest.raises(CatalogImportError) as exc:
        import_catalog(stream)
    assert exc.value.details["errors"][0]["where"] == "Tệp JSON, dòng 3"


def test_xlsx_round_trip_and_row_numbers(agencies):
    import_catalog(_file(_small(3)))
    data = catalog_io.export_xlsx()
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Thu tuc", "Thanh phan ho so", "Quy trinh", "Linh vuc", "Huong dan"]
    # Import into an empty catalog: same procedures, same steps.
    before = json.loads(catalog_io.export_json())
    ProcessTemplate.objects.all().delete()
    Procedure.objects.all().delete()
    stream = io.BytesIO(data)
    stream.name = "catalog.xlsx"
    assert len(import_catalog(stream).created) == 3
    assert json.loads(catalog_io.export_json()) == before
    # A bad role on row 4 of the steps sheet: nothing imported, the row is named.
    ws = wb["Quy trinh"]
    headers = [c.value for c in ws[1]]
    ws.cell(row=4, column=headers.index("Vai trò thực hiện (role)") + 1, value="giam_doc")
    ws = wb["Thu tuc"]
    ws.cell(row=2, column=2, value="Tên mới không được nhập")
    buffer = io.BytesIO()
    wb.save(buffer)
    with pytest.raises(CatalogImportError) as exc:
        import_catalog(io.BytesIO(buffer.getvalue()))
    errors = exc.value.details["errors"]
    assert any(
        e["where"] == "Trang 'Quy trinh', dòng 4" and "giam_doc" in e["message"] for e in errors
    )
    assert not Procedure.objects.filter(name="Tên mới không được nhập").exists()


def test_a_corrupt_xlsx_is_a_clear_error(agencies):
    stream = io.BytesIO(b"PK\x03\x04 not really a zip")
    stream.name = "catalog.xlsx"
    with pytest.raises(CatalogImportError) as exc:
        import_catalog(stream)
    assert "Không đọc được tệp XLSX" in exc.value.message


def test_only_platform_admins_import(agencies):
    citizen = User.objects.create_user(username="congdan", password=None)
    with pytest.raises(PermissionDenied):
        import_catalog(_file(_small(1)), actor=citizen)
    admin = User.objects.create_superuser(username="root", password=None)
    assert len(import_catalog(_file(_small(1)), actor=admin).created) == 1


def test_management_commands_export_and_reject_a_bad_file(agencies, tmp_path, capsys):
    from django.core.management import call_command

    import_catalog(_file(_small(2)))
    out = tmp_path / "catalog.xlsx"
    call_command("onestop", "export-catalog", str(out))
    assert out.read_bytes()[:2] == b"PK"
    bad = tmp_path / "bad.json"
    bad.write_text('{"procedures": [{"code": "1.000001"}]}', encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        call_command("onestop", "import-catalog", str(bad))
    assert exc.value.code == 1
    assert "Thủ tục thứ 1 (1.000001)" in capsys.readouterr().err
    assert Procedure.objects.count() == 2
