"""Import and export of the agency table as CSV.

Columns: code, legacy_code, name, short_name, kind, parent_code, admin_unit_code, address,
phone, email, website, status, successor_code.

- UTF-8, with or without a byte-order mark; comma-separated, a header row first.
- Every row is validated before anything is written; any bad row → `CsvImportFailed`
  listing every problem with its line number, and nothing is imported (one transaction).
- Upsert by `code`: importing the same file again changes nothing (no events, no audit).
- `parent_code` and `successor_code` may name agencies of the same file or of the
  database; parents are created before their children whatever the row order.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import transaction
from django.utils import timezone

from tinhso.accounts.rules import require
from tinhso.audit.services import record
from tinhso.core.errors import ValidationFailed
from tinhso.directory import services
from tinhso.directory.codes import InvalidAgencyCode, validate_code, validate_legacy_code
from tinhso.directory.models import AdministrativeUnit, Agency, AgencyEvent, code_of

COLUMNS = [
    "code",
    "legacy_code",
    "name",
    "short_name",
    "kind",
    "parent_code",
    "admin_unit_code",
    "address",
    "phone",
    "email",
    "website",
    "status",
    "successor_code",
]
REQUIRED_COLUMNS = {"code", "name"}
PLAIN_FIELDS = ("legacy_code", "name", "short_name", "kind", "address", "phone", "email", "website")
MAX_BYTES = 10 * 1024 * 1024


class CsvImportFailed(ValidationFailed):
    code = "invalid_csv"

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        self.errors = errors
        lines = "; ".join(
            (f"dòng {e['line']}: {e['message']}" if e.get("line") else e["message"])
            for e in errors[:20]
        )
        more = f" (và {len(errors) - 20} lỗi khác)" if len(errors) > 20 else ""
        super().__init__(
            f"Tệp CSV có {len(errors)} lỗi, không có dòng nào được nhập: {lines}{more}",
            details=errors,
        )


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
        }


@dataclass
class Row:
    line: int
    values: dict[str, str]

    def __getitem__(self, key: str) -> str:
        return self.values.get(key, "")


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data.lstrip("\ufeff")
    if len(data) > MAX_BYTES:
        raise CsvImportFailed([{"line": None, "message": "Tệp quá lớn (tối đa 10 MB)."}])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CsvImportFailed(
            [{"line": None, "message": "Tệp không phải UTF-8: hãy lưu lại tệp với mã hoá UTF-8."}]
        ) from exc


def _read(data: bytes | str) -> list[Row]:
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise CsvImportFailed(
            [{"line": 1, "message": f"Dòng tiêu đề không đọc được ({exc})."}]
        ) from exc
    if not header or not any(h.strip() for h in header):
        raise CsvImportFailed([{"line": 1, "message": "Tệp trống hoặc thiếu dòng tiêu đề."}])
    names = [h.strip().lower() for h in header]
    errors = []
    unknown = [n for n in names if n and n not in COLUMNS]
    if unknown:
        errors.append({"line": 1, "message": f"Cột không được hỗ trợ: {', '.join(unknown)}."})
    missing = REQUIRED_COLUMNS - set(names)
    if missing:
        errors.append({"line": 1, "message": f"Thiếu cột bắt buộc: {', '.join(sorted(missing))}."})
    if len(set(names)) != len(names):
        errors.append({"line": 1, "message": "Tiêu đề có cột bị lặp."})
    if errors:
        raise CsvImportFailed(errors)
    rows: list[Row] = []
    line = reader.line_num
    try:
        for record_ in reader:
            start = line + 1
            line = reader.line_num
            if not any(cell.strip() for cell in record_):
                continue
            if len(record_) != len(names):
                errors.append(
                    {
                        "line": start,
                        "message": f"Có {len(record_)} cột, tiêu đề có {len(names)} cột.",
                    }
                )
                continue
            rows.append(Row(start, {n: v.strip() for n, v in zip(names, record_, strict=True)}))
    except csv.Error as exc:
        errors.append({"line": reader.line_num, "message": f"Dòng không đọc được ({exc})."})
    if errors:
        raise CsvImportFailed(errors)
    if not rows:
        raise CsvImportFailed([{"line": None, "message": "Tệp không có dòng dữ liệu nào."}])
    return rows


def _validate(rows: list[Row]) -> list[dict[str, Any]]:
    """Every problem of every row (empty list: the file can be imported)."""
    errors: list[dict[str, Any]] = []

    def err(row: Row, message: str) -> None:
        errors.append({"line": row.line, "code": row["code"], "message": message})

    by_code: dict[str, Row] = {}
    legacy_seen: dict[str, int] = {}
    existing = {a.code: a for a in Agency.objects.only("id", "code", "legacy_code", "path")}
    existing_legacy = {a.legacy_code: a.code for a in existing.values() if a.legacy_code}
    unit_codes = set(AdministrativeUnit.objects.values_list("code", flat=True))
    for row in rows:
        try:
            code = validate_code(row["code"])
            row.values["code"] = code
        except InvalidAgencyCode as exc:
            err(row, exc.message)
            continue
        if code in by_code:
            err(row, f"Mã '{code}' lặp lại (đã có ở dòng {by_code[code].line}).")
            continue
        by_code[code] = row
    for row in rows:
        if row["code"] not in by_code or by_code[row["code"]] is not row:
            continue
        code = row["code"]
        if row["legacy_code"]:
            try:
                legacy = validate_legacy_code(row["legacy_code"])
                row.values["legacy_code"] = legacy
                if legacy in legacy_seen:
                    err(row, f"Mã QCVN 102 '{legacy}' lặp lại (dòng {legacy_seen[legacy]}).")
                elif (
                    existing_legacy.get(legacy, code) != code
                    and existing_legacy[legacy] not in by_code
                ):
                    err(row, f"Mã QCVN 102 '{legacy}' đã thuộc cơ quan {existing_legacy[legacy]}.")
                legacy_seen[legacy] = row.line
            except InvalidAgencyCode as exc:
                err(row, exc.message)
        if not row["name"]:
            err(row, "Thiếu tên cơ quan (cột name).")
        elif len(row["name"]) > 255:
            err(row, "Tên cơ quan dài quá 255 ký tự.")
        if len(row["short_name"]) > 30:
            err(row, "Tên viết tắt dài quá 30 ký tự.")
        kind = row["kind"] or Agency.Kind.OTHER
        row.values["kind"] = kind
        if kind not in Agency.Kind.values:
            err(row, f"Loại cơ quan '{kind}' không hợp lệ (chọn: {', '.join(Agency.Kind.values)}).")
        status = row["status"] or Agency.Status.ACTIVE
        row.values["status"] = status
        if status not in Agency.Status.values:
            err(
                row,
                f"Trạng thái '{status}' không hợp lệ (chọn: {', '.join(Agency.Status.values)}).",
            )
        parent = row["parent_code"].upper()
        row.values["parent_code"] = parent
        if parent:
            if parent == code:
                err(row, "Cơ quan không thể là cơ quan cấp trên của chính nó.")
            elif parent not in by_code and parent not in existing:
                err(row, f"Không tìm thấy cơ quan cấp trên '{parent}' (trong tệp hoặc hệ thống).")
        successor = row["successor_code"].upper()
        row.values["successor_code"] = successor
        if successor:
            if status == Agency.Status.ACTIVE:
                err(
                    row,
                    "Cơ quan đang hoạt động không có cơ quan kế thừa (bỏ trống successor_code).",
                )
            if successor == code:
                err(row, "Cơ quan không thể kế thừa chính nó.")
            elif successor not in by_code and successor not in existing:
                err(row, f"Không tìm thấy cơ quan kế thừa '{successor}'.")
        elif status == Agency.Status.MERGED:
            err(row, "Cơ quan đã sáp nhập phải có cơ quan kế thừa (cột successor_code).")
        if row["admin_unit_code"] and row["admin_unit_code"] not in unit_codes:
            err(row, f"Không tìm thấy đơn vị hành chính mã '{row['admin_unit_code']}'.")
        if row["email"]:
            try:
                EmailValidator()(row["email"])
            except DjangoValidationError:
                err(row, f"Địa chỉ thư điện tử '{row['email']}' không hợp lệ.")
        if row["website"]:
            try:
                URLValidator(schemes=["http", "https"])(row["website"])
            except DjangoValidationError:
                err(row, f"Địa chỉ trang web '{row['website']}' không hợp lệ.")
        if len(row["phone"]) > 30:
            err(row, "Số điện thoại dài quá 30 ký tự.")
        if len(row["address"]) > 255:
            err(row, "Địa chỉ dài quá 255 ký tự.")
    if not errors:
        errors.extend(_cycles(rows, by_code, existing))
    return sorted(errors, key=lambda e: e["line"] or 0)


def _cycles(rows: list[Row], by_code: dict[str, Row], existing: dict[str, Agency]) -> list[dict]:
    """Parent chains of the resulting tree must end at a root."""

    def parent_of(code: str) -> str | None:
        if code in by_code:
            return by_code[code]["parent_code"] or None
        agency = existing.get(code)
        if agency is None:
            return None
        ids = agency.path.strip("/").split("/")
        if len(ids) < 2:
            return None
        parent = Agency.objects.filter(pk=int(ids[-2])).values_list("code", flat=True).first()
        return parent

    errors = []
    for row in rows:
        seen = {row["code"]}
        current = parent_of(row["code"])
        while current:
            if current in seen:
                errors.append(
                    {
                        "line": row.line,
                        "code": row["code"],
                        "message": "Quan hệ cấp trên tạo thành vòng lặp.",
                    }
                )
                break
            seen.add(current)
            current = parent_of(current)
    return errors


def _ordered(rows: list[Row]) -> list[Row]:
    """Parents of the file before their children."""
    by_code = {r["code"]: r for r in rows}
    done: set[str] = set()
    out: list[Row] = []

    def visit(row: Row) -> None:
        if row["code"] in done:
            return
        parent = by_code.get(row["parent_code"])
        if parent is not None:
            visit(parent)
        done.add(row["code"])
        out.append(row)

    for row in rows:
        visit(row)
    return out


def import_agencies(*, actor: Any, data: bytes | str) -> ImportReport:
    """Validate the whole file, then upsert every row by code in one transaction."""
    if actor is not None:
        require(
            actor,
            "directory.import_agencies",
            None,
            "Chỉ quản trị nền tảng được nhập bảng cơ quan.",
        )
    rows = _read(data)
    with transaction.atomic():
        errors = _validate(rows)
        if errors:
            raise CsvImportFailed(errors)
        report = _apply(actor, rows)
        if report.changed:
            record(
                actor=actor,
                action="directory.import_agencies",
                summary=report.as_dict(),
                object_type="directory.agency",
                object_id="csv",
            )
    return report


def _apply(actor: Any, rows: list[Row]) -> ImportReport:
    report = ImportReport()
    today = timezone.localdate()
    units = {u.code: u for u in AdministrativeUnit.objects.all()}
    agencies = {
        a.code: a for a in Agency.objects.select_related("parent", "admin_unit", "successor")
    }
    for row in _ordered(rows):
        code = row["code"]
        parent = agencies.get(row["parent_code"]) if row["parent_code"] else None
        unit = units.get(row["admin_unit_code"]) if row["admin_unit_code"] else None
        values: dict[str, str | None] = {f: row[f] for f in PLAIN_FIELDS}
        values["legacy_code"] = values["legacy_code"] or None
        agency = agencies.get(code)
        if agency is None:
            agency = Agency(code=code, parent=parent, admin_unit=unit, **values)
            agency.save()
            services._event(
                agency=agency,
                kind=AgencyEvent.Kind.CREATED,
                effective_on=today,
                actor=actor,
                after=services._snapshot(agency),
                note="Nhập từ tệp CSV",
                action="directory.create_agency",
                summary={**services._snapshot(agency), "source": "csv"},
            )
            agencies[code] = agency
            report.created.append(code)
            continue
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        for name, value in values.items():
            if getattr(agency, name) != value:
                before[name], after[name] = getattr(agency, name), value
                setattr(agency, name, value)
        if agency.admin_unit_id != (unit.pk if unit else None):
            before["admin_unit"] = code_of(agency.admin_unit)
            after["admin_unit"] = unit.code if unit else None
            agency.admin_unit = unit
        if before:
            agency.save()
            kind = AgencyEvent.Kind.RENAMED if set(after) == {"name"} else AgencyEvent.Kind.UPDATED
            services._event(
                agency=agency,
                kind=kind,
                effective_on=today,
                actor=actor,
                before=before,
                after=after,
                note="Nhập từ tệp CSV",
                action="directory.update_agency",
                summary={"before": before, "after": after, "source": "csv"},
            )
        moved = agency.parent_id != (parent.pk if parent else None)
        if moved:
            services._move(
                actor=actor,
                agency=agency,
                new_parent=parent,
                effective_on=today,
                note="Nhập từ tệp CSV",
            )
            # Descendants already loaded in memory must see their new paths.
            by_pk = {a.pk: a for a in agencies.values()}
            for pk, path, depth in Agency.objects.filter(path__startswith=agency.path).values_list(
                "pk", "path", "depth"
            ):
                if pk in by_pk:
                    by_pk[pk].path, by_pk[pk].depth = path, depth
        if before or moved:
            report.updated.append(code)
        else:
            report.unchanged.append(code)
    # Status and successor last: successors may be rows further down the file.
    for row in rows:
        agency = agencies[row["code"]]
        successor = agencies.get(row["successor_code"]) if row["successor_code"] else None
        status = row["status"]
        if agency.status == status and agency.successor_id == (successor.pk if successor else None):
            continue
        before = {
            "status": agency.status,
            "successor": code_of(agency.successor),
        }
        agency.status = status
        agency.successor = successor
        agency.closed_on = None if status == Agency.Status.ACTIVE else (agency.closed_on or today)
        agency.save()
        after = {"status": status, "successor": successor.code if successor else None}
        kind_by_status: dict[str, str] = {
            Agency.Status.MERGED: AgencyEvent.Kind.MERGED,
            Agency.Status.CLOSED: AgencyEvent.Kind.CLOSED,
        }
        event_kind = kind_by_status.get(status, AgencyEvent.Kind.UPDATED)
        services._event(
            agency=agency,
            kind=event_kind,
            effective_on=today,
            actor=actor,
            before=before,
            after=after,
            successor=successor,
            note="Nhập từ tệp CSV",
            action="directory.update_agency",
            summary={"before": before, "after": after, "source": "csv"},
        )
        if row["code"] in report.unchanged:
            report.unchanged.remove(row["code"])
            report.updated.append(row["code"])
    return report


def export_agencies(queryset=None) -> str:
    """The agency table as CSV text (UTF-8 with BOM added by callers writing bytes),
    parents before children so the file imports as is."""
    qs = (
        (queryset if queryset is not None else Agency.objects.all())
        .select_related("parent", "admin_unit", "successor")
        .order_by("path")
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for a in qs:
        writer.writerow(
            [
                a.code,
                a.legacy_code or "",
                a.name,
                a.short_name,
                a.kind,
                code_of(a.parent) or "",
                code_of(a.admin_unit) or "",
                a.address,
                a.phone,
                a.email,
                a.website,
                a.status,
                code_of(a.successor) or "",
            ]
        )
    return out.getvalue()


# ------------------------------------------------------------- administrative units

UNIT_COLUMNS = ["code", "name", "level", "parent_code", "is_active", "valid_to", "successor_code"]
_TRUE = {"1", "true", "yes", "co", "có", "x"}
_FALSE = {"0", "false", "no", "khong", "không", ""}


def _read_table(data: bytes | str, columns: list[str], required: set[str]) -> list[Row]:
    """Header check + rows with line numbers (shared by both tables)."""
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if not header or not any(h.strip() for h in header):
        raise CsvImportFailed([{"line": 1, "message": "Tệp trống hoặc thiếu dòng tiêu đề."}])
    names = [h.strip().lower() for h in header]
    errors = []
    unknown = [n for n in names if n and n not in columns]
    if unknown:
        errors.append({"line": 1, "message": f"Cột không được hỗ trợ: {', '.join(unknown)}."})
    missing = required - set(names)
    if missing:
        errors.append({"line": 1, "message": f"Thiếu cột bắt buộc: {', '.join(sorted(missing))}."})
    if errors:
        raise CsvImportFailed(errors)
    rows: list[Row] = []
    line = reader.line_num
    try:
        for cells in reader:
            start, line = line + 1, reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(names):
                errors.append(
                    {"line": start, "message": f"Có {len(cells)} cột, tiêu đề có {len(names)} cột."}
                )
                continue
            rows.append(Row(start, {n: v.strip() for n, v in zip(names, cells, strict=True)}))
    except csv.Error as exc:
        errors.append({"line": reader.line_num, "message": f"Dòng không đọc được ({exc})."})
    if errors:
        raise CsvImportFailed(errors)
    if not rows:
        raise CsvImportFailed([{"line": None, "message": "Tệp không có dòng dữ liệu nào."}])
    return rows


def import_admin_units(*, actor: Any, data: bytes | str) -> ImportReport:
    """Administrative units (code, name, level, parent_code, is_active, valid_to,
    successor_code): validated whole, then upserted by code in one transaction."""
    import datetime as dt

    if actor is not None:
        require(
            actor,
            "directory.import_agencies",
            None,
            "Chỉ quản trị nền tảng được nhập danh mục đơn vị hành chính.",
        )
    rows = _read_table(data, UNIT_COLUMNS, {"code", "name", "level"})
    existing = {u.code: u for u in AdministrativeUnit.objects.all()}
    errors: list[dict[str, Any]] = []
    seen: dict[str, int] = {}

    def err(row: Row, message: str) -> None:
        errors.append({"line": row.line, "code": row["code"], "message": message})

    for row in rows:
        code, level = row["code"], row["level"]
        length = services.ADMIN_UNIT_CODE_LENGTH.get(level)
        if length is None:
            err(row, f"Cấp '{level}' không hợp lệ (chọn: province, district, commune).")
        elif not (code.isdigit() and len(code) == length):
            err(row, f"Mã '{code}' không hợp lệ: cấp {level} cần đúng {length} chữ số.")
        if code in seen:
            err(row, f"Mã '{code}' lặp lại (đã có ở dòng {seen[code]}).")
        seen.setdefault(code, row.line)
        if not row["name"]:
            err(row, "Thiếu tên đơn vị (cột name).")
        for col in ("parent_code", "successor_code"):
            ref = row[col]
            if ref and ref not in existing and ref not in {r["code"] for r in rows}:
                err(row, f"Không tìm thấy đơn vị mã '{ref}' (cột {col}).")
        if row["is_active"].lower() not in _TRUE | _FALSE:
            err(row, f"Giá trị is_active '{row['is_active']}' không hợp lệ (1 hoặc 0).")
        if row["valid_to"]:
            try:
                row.values["valid_to"] = dt.date.fromisoformat(row["valid_to"]).isoformat()
            except ValueError:
                err(row, f"Ngày '{row['valid_to']}' không hợp lệ (dạng YYYY-MM-DD).")
    if errors:
        raise CsvImportFailed(sorted(errors, key=lambda e: e["line"]))
    report = ImportReport()
    with transaction.atomic():
        units = dict(existing)
        pending = list(rows)
        # parents first: repeat passes until every row whose parent exists is placed
        while pending:
            placed = [r for r in pending if not r["parent_code"] or r["parent_code"] in units]
            if not placed:
                raise CsvImportFailed(
                    [
                        {
                            "line": r.line,
                            "code": r["code"],
                            "message": "Quan hệ cấp trên tạo thành vòng lặp.",
                        }
                        for r in pending
                    ]
                )
            for row in placed:
                active = row["is_active"].lower() in _TRUE or row["is_active"] == ""
                valid_to = dt.date.fromisoformat(row["valid_to"]) if row["valid_to"] else None
                values = {
                    "name": row["name"],
                    "level": row["level"],
                    "parent": units.get(row["parent_code"]),
                    "is_active": active,
                    "valid_to": valid_to,
                }
                unit = units.get(row["code"])
                if unit is None:
                    unit = AdministrativeUnit.objects.create(code=row["code"], **values)
                    units[row["code"]] = unit
                    report.created.append(row["code"])
                    record(
                        actor=actor,
                        action="directory.create_admin_unit",
                        obj=unit,
                        summary={"code": unit.code, "name": unit.name, "source": "csv"},
                    )
                    continue
                changed = {k: v for k, v in values.items() if getattr(unit, k) != v}
                if changed:
                    for k, v in changed.items():
                        setattr(unit, k, v)
                    unit.save()
                    report.updated.append(row["code"])
                    record(
                        actor=actor,
                        action="directory.update_admin_unit",
                        obj=unit,
                        summary={k: getattr(v, "code", v) for k, v in changed.items()},
                    )
                else:
                    report.unchanged.append(row["code"])
            pending = [r for r in pending if r not in placed]
        for row in rows:
            unit = units[row["code"]]
            successor = units.get(row["successor_code"]) if row["successor_code"] else None
            if unit.successor_id != (successor.pk if successor else None):
                unit.successor = successor
                unit.save()
                if row["code"] in report.unchanged:
                    report.unchanged.remove(row["code"])
                    report.updated.append(row["code"])
    return report


def export_admin_units() -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(UNIT_COLUMNS)
    for u in AdministrativeUnit.objects.select_related("parent", "successor").order_by("code"):
        writer.writerow(
            [
                u.code,
                u.name,
                u.level,
                code_of(u.parent) or "",
                "1" if u.is_active else "0",
                u.valid_to.isoformat() if u.valid_to else "",
                code_of(u.successor) or "",
            ]
        )
    return out.getvalue()
