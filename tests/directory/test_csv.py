"""CSV import/export of the agency table."""

import pytest
from django.core.management import CommandError, call_command

from tinhso.audit.models import AuditEntry
from tinhso.directory import selectors
from tinhso.directory.csvio import CsvImportFailed, export_agencies, import_agencies
from tinhso.directory.models import Agency, AgencyEvent

pytestmark = pytest.mark.django_db

HEADER = (
    "code,legacy_code,name,short_name,kind,parent_code,admin_unit_code,address,phone,"
    "email,website,status,successor_code\n"
)
# Children listed before their parents on purpose; a successor further down the file.
GOOD = HEADER + (
    "H60.01.01,000.01.01.H60,Trung tâm Tin học,TTTH,public_unit,H60.01,,,,,,active,\n"
    'H60.01,000.00.01.H60,Sở Tài chính,STC,department,H60,,"Số 1, đường A",0200 1,'
    "stc@h60.example,https://stc.h60.example,active,\n"
    "H60,000.00.00.H60,Ủy ban nhân dân tỉnh Mẫu,UBND,peoples_committee,,60,,,,,active,\n"
    "H60.02,000.00.02.H60,Sở Kế hoạch và Đầu tư,SKHĐT,department,H60,,,,,,merged,H60.01\n"
)


@pytest.fixture
def unit60(db):
    from tinhso.directory.services import create_admin_unit

    return create_admin_unit(actor=None, code="60", name="Tỉnh Mẫu", level="province")


def _snapshot():
    return (
        sorted(
            Agency.objects.values_list(
                "code",
                "legacy_code",
                "name",
                "short_name",
                "kind",
                "parent__code",
                "status",
                "successor__code",
                "path",
                "address",
                "email",
                "updated_at",
            )
        ),
        AgencyEvent.objects.count(),
        AuditEntry.objects.count(),
    )


def test_good_file_imports_in_tree_order(unit60):
    report = import_agencies(actor=None, data=GOOD.encode("utf-8"))
    assert sorted(report.created) == ["H60", "H60.01", "H60.01.01", "H60.02"]
    ubnd = Agency.objects.get(code="H60")
    assert ubnd.admin_unit == unit60 and ubnd.kind == "peoples_committee"
    stc = Agency.objects.get(code="H60.01")
    assert stc.parent == ubnd and stc.address == "Số 1, đường A"
    assert Agency.objects.get(code="H60.01.01").path.startswith(stc.path)
    old = Agency.objects.get(code="H60.02")
    assert old.status == "merged" and old.successor == stc and old.closed_on
    assert list(selectors.search_agencies("so tai chinh")) == [stc]
    assert AuditEntry.objects.filter(action="directory.import_agencies").count() == 1


def test_file_with_bom_is_read(unit60):
    import_agencies(actor=None, data=b"\xef\xbb\xbf" + GOOD.encode("utf-8"))
    assert Agency.objects.filter(code="H60").exists()


def test_reimporting_the_same_file_changes_nothing(unit60):
    import_agencies(actor=None, data=GOOD.encode())
    before = _snapshot()
    report = import_agencies(actor=None, data=GOOD.encode())
    assert report.created == [] and report.updated == []
    assert len(report.unchanged) == 4
    assert _snapshot() == before


def test_changed_rows_are_updated_with_history(unit60):
    import_agencies(actor=None, data=GOOD.encode())
    changed = GOOD.replace(
        "Trung tâm Tin học,TTTH,public_unit,H60.01,", "Trung tâm Tin học,TTTH,public_unit,H60,"
    )
    changed = changed.replace("Sở Tài chính,STC", "Sở Tài chính tỉnh Mẫu,STC")
    report = import_agencies(actor=None, data=changed.encode())
    assert sorted(report.updated) == ["H60.01", "H60.01.01"]
    assert Agency.objects.get(code="H60.01.01").parent.code == "H60"
    stc = Agency.objects.get(code="H60.01")
    assert stc.name == "Sở Tài chính tỉnh Mẫu"
    assert stc.events.filter(kind="renamed").exists()


BAD = HEADER + (
    "H60,000.00.00.H60,Ủy ban nhân dân tỉnh Mẫu,UBND,peoples_committee,,60,,,,,active,\n"
    "60.1,,Sở Sai Mã,,department,H60,,,,,,active,\n"  # line 3: bad code
    "H60.02,000.00.2.H60,Sở Hai,,department,H60,,,,,,active,\n"  # line 4: bad legacy
    "H60.03,,,,department,H60,,,,,,active,\n"  # line 5: no name
    "H60.04,,Sở Bốn,,bogus,H99,,,,,,active,\n"  # line 6: bad kind + unknown parent
    "H60.05,,Sở Năm,,department,H60,99999,,,not-mail,ftp://x,open,\n"  # line 7: 4 problems
    "H60,,Trùng mã,,department,,,,,,,active,\n"  # line 8: duplicate
    "H60.06,,Sở Sáu,,department,H60,,,,,,merged,\n"  # line 9: merged without successor
)


def test_bad_file_reports_every_error_with_line_numbers_and_imports_nothing(unit60):
    before = _snapshot()
    with pytest.raises(CsvImportFailed) as exc:
        import_agencies(actor=None, data=BAD.encode())
    errors = exc.value.errors
    lines = {e["line"] for e in errors}
    assert lines == {3, 4, 5, 6, 7, 8, 9}
    by_line = {}
    for e in errors:
        by_line.setdefault(e["line"], []).append(e["message"])
    assert any("không hợp lệ" in m for m in by_line[3])
    assert any("QCVN 102" in m for m in by_line[4])
    assert any("Thiếu tên" in m for m in by_line[5])
    assert len(by_line[6]) == 2 and len(by_line[7]) == 4
    assert any("lặp lại" in m and "dòng 2" in m for m in by_line[8])
    assert exc.value.code == "invalid_csv"
    assert exc.value.message.startswith("Tệp CSV có")
    assert _snapshot() == before
    assert not Agency.objects.filter(code="H60").exists()


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "Tệp trống"),
        (b"code,name\n", "không có dòng dữ liệu"),
        ("name,kind\nSở,department\n".encode(), "Thiếu cột bắt buộc: code"),
        (b"code,name,colour\nH60,X,red\n", "Cột không được hỗ trợ: colour"),
        ("code,name\nH60,Ủy ban\n".encode("utf-16"), "UTF-8"),
        (b"code,name\nH60,X,extra\n", "Có 3 cột"),
    ],
)
def test_malformed_files_are_refused_clearly(db, data, fragment):
    with pytest.raises(CsvImportFailed) as exc:
        import_agencies(actor=None, data=data)
    assert fragment in exc.value.message
    assert Agency.objects.count() == 0


def test_cycle_in_parents_is_refused(db):
    data = "code,name,parent_code\nH60.1,A,H60.2\nH60.2,B,H60.1\n"
    with pytest.raises(CsvImportFailed) as exc:
        import_agencies(actor=None, data=data)
    assert {e["line"] for e in exc.value.errors} == {2, 3}
    assert "vòng lặp" in exc.value.errors[0]["message"]


def test_export_round_trip(province):
    first = export_agencies()
    assert first.splitlines()[0] == HEADER.strip()
    before = _snapshot()
    report = import_agencies(actor=None, data=first)
    assert not report.changed and _snapshot() == before
    assert export_agencies() == first
    # into an empty database the exported file rebuilds the same table
    rows = first.splitlines()[1:]
    assert len(rows) == Agency.objects.count()
    assert any(r.startswith("H57.03,000.00.03.H57,Sở Tài chính,STC,department,H57,") for r in rows)


def test_commands_import_and_export(unit60, tmp_path, capsys):
    good = tmp_path / "good.csv"
    good.write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    call_command("directory", "import-agencies", str(good))
    assert Agency.objects.filter(code="H60.02", status="merged").exists()
    out = tmp_path / "out.csv"
    call_command("directory", "export-agencies", str(out))
    assert out.read_bytes().startswith(b"\xef\xbb\xbfcode,legacy_code,")
    bad = tmp_path / "bad.csv"
    bad.write_text(BAD, encoding="utf-8")
    with pytest.raises(CommandError, match="không có dòng nào được nhập"):
        call_command("directory", "import-agencies", str(bad))
    assert "Dòng 3:" in capsys.readouterr().err


UNITS = (
    "code,name,level,parent_code,is_active,valid_to,successor_code\n"
    "60001,Xã Một,commune,600,0,2025-06-30,60101\n"
    "600,Huyện Cũ,district,60,0,2025-06-30,\n"
    "60,Tỉnh Mẫu,province,,1,,\n"
    "60101,Xã Mới,commune,60,1,,\n"
)


def test_admin_units_import_is_ordered_validated_and_idempotent(db, tmp_path):
    from tinhso.directory.csvio import export_admin_units, import_admin_units
    from tinhso.directory.models import AdministrativeUnit

    report = import_admin_units(actor=None, data=UNITS)
    assert sorted(report.created) == ["60", "600", "60001", "60101"]
    old = AdministrativeUnit.objects.get(code="60001")
    assert old.parent.code == "600" and not old.is_active and old.successor.code == "60101"
    assert str(old.valid_to) == "2025-06-30"
    before = list(AdministrativeUnit.objects.values_list("code", "updated_at"))
    again = import_admin_units(actor=None, data=UNITS)
    assert not again.changed
    assert list(AdministrativeUnit.objects.values_list("code", "updated_at")) == before
    exported = export_admin_units()
    assert not import_admin_units(actor=None, data=exported).changed

    bad = (
        "code,name,level,parent_code,is_active,valid_to,successor_code\n"
        "6,Tỉnh,province,,1,,\n"
        "60202,,commune,99,maybe,30/06/2025,\n"
    )
    with pytest.raises(CsvImportFailed) as exc:
        import_admin_units(actor=None, data=bad)
    lines = [e["line"] for e in exc.value.errors]
    assert lines.count(2) == 1 and lines.count(3) == 4
    assert not AdministrativeUnit.objects.filter(code="60202").exists()

    f = tmp_path / "units.csv"
    f.write_text(UNITS, encoding="utf-8")
    call_command("directory", "import-admin-units", str(f))
