"""Import and export of the procedure catalog (JSON and XLSX).

JSON format (``data/procedures.json`` is an example)::

    {"format": "tinhso.onestop.catalog", "version": 1,
     "fields": [{"code": "HT", "name": "Hộ tịch"}, ...],
     "procedures": [{
        "code": "1.001193", "name": "...", "field": "HT", "levels": ["commune"],
        "agency": {"code": "H99.04"} | null,          # null: every agency of the level
        "receiving_agency": {"code": "H99.16"} | null, # null: the competent agency
        "processing_days": 0.5, "processing_time_note": "...",
        "fee_vnd": 0, "fee_note": "...", "online_type": "full" | "partial",
        "sequence_description": "...", "conditions": "...", "applicant_description": "...",
        "result_description": "...", "legal_basis": ["...", ...], "is_active": true,
        "papers": [{"name", "copies_original", "copies_copy", "required", "template_name",
                    "note", "eform"}],   # eform: the declaration the e-form fills in
        "form_schema": {JSON Schema, see onestop.eforms},
        "process": {"name": "...", "steps": [{"name", "kind", "role", "org_unit",
                                               "agency": {"code"} | null, "budget_days"}]}}]}

An agency reference is resolved by ``code`` (Decision 20 or QCVN 102 form), else by
``short_name`` (diacritics-insensitive) among active agencies; a merged or closed agency
is replaced by its successor.

XLSX layout: one sheet per entity, header in row 1 as "Vietnamese title (key)"; the key
in parentheses is what is read, so columns may be reordered or retitled.

- ``Linh vuc``: code, name
- ``Thu tuc``: one row per procedure, the columns above; ``levels`` comma-separated,
  ``legal_basis`` one item per line, ``form_schema`` as JSON text, agencies by code
- ``Thanh phan ho so``: procedure, order, name, copies_original, copies_copy, required,
  template_name, note, eform
- ``Quy trinh``: procedure, order, name, kind, role, org_unit, agency, budget_days
- ``Huong dan``: this description (ignored on import)

Rules: every error is reported with its place (sheet and row number for XLSX, the
procedure's position and code for JSON); a file with any error imports nothing; importing
the same file again changes nothing (upsert by procedure code, a process template is
replaced only when its steps change — dossiers keep the template they started with).
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from django.db import transaction

from tinhso.accounts.models import Role
from tinhso.core.errors import ValidationFailed
from tinhso.core.text import fold
from tinhso.onestop.eforms import normalise_schema, schema_problems

FORMAT = "tinhso.onestop.catalog"
VERSION = 1
CODE_RE = re.compile(r"^[0-9]{1,2}\.[0-9]{6}$")
MAX_ERRORS = 200

SHEET_FIELDS = "Linh vuc"
SHEET_PROCEDURES = "Thu tuc"
SHEET_PAPERS = "Thanh phan ho so"
SHEET_STEPS = "Quy trinh"
SHEET_HELP = "Huong dan"

PROCEDURE_COLUMNS = [
    ("code", "Mã thủ tục"),
    ("name", "Tên thủ tục"),
    ("field", "Mã lĩnh vực"),
    ("levels", "Cấp thực hiện"),
    ("agency", "Cơ quan có thẩm quyền"),
    ("receiving_agency", "Cơ quan tiếp nhận"),
    ("processing_days", "Thời hạn (ngày làm việc)"),
    ("processing_time_note", "Ghi chú thời hạn"),
    ("fee_vnd", "Phí, lệ phí (đồng)"),
    ("fee_note", "Ghi chú phí, lệ phí"),
    ("online_type", "Dịch vụ công trực tuyến"),
    ("sequence_description", "Trình tự thực hiện"),
    ("conditions", "Yêu cầu, điều kiện"),
    ("applicant_description", "Đối tượng thực hiện"),
    ("result_description", "Kết quả"),
    ("legal_basis", "Căn cứ pháp lý"),
    ("is_active", "Đang áp dụng"),
    ("process_name", "Tên quy trình nội bộ"),
    ("form_schema", "Biểu mẫu điện tử (JSON Schema)"),
]
PAPER_COLUMNS = [
    ("procedure", "Mã thủ tục"),
    ("order", "Thứ tự"),
    ("name", "Tên giấy tờ"),
    ("copies_original", "Số bản chính"),
    ("copies_copy", "Số bản sao"),
    ("required", "Bắt buộc"),
    ("template_name", "Mẫu đơn, tờ khai"),
    ("note", "Ghi chú"),
    ("eform", "Tờ khai điện tử"),
]
STEP_COLUMNS = [
    ("procedure", "Mã thủ tục"),
    ("order", "Thứ tự"),
    ("name", "Tên bước"),
    ("kind", "Loại bước"),
    ("role", "Vai trò thực hiện"),
    ("org_unit", "Đơn vị thực hiện"),
    ("agency", "Cơ quan thực hiện (liên thông)"),
    ("budget_days", "Thời gian (ngày làm việc)"),
]
FIELD_COLUMNS = [("code", "Mã lĩnh vực"), ("name", "Tên lĩnh vực")]


class CatalogImportError(ValidationFailed):
    code = "catalog_invalid"

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        shown = errors[:MAX_ERRORS]
        first = "; ".join(f"{e['where']}: {e['message']}" for e in shown[:3])
        more = f" (và {len(errors) - 3} lỗi khác)" if len(errors) > 3 else ""
        super().__init__(
            f"Tệp danh mục có {len(errors)} lỗi, chưa nhập thủ tục nào. {first}{more}",
            details={"errors": shown},
        )
        self.errors = shown


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    fields_created: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "fields_created": self.fields_created,
        }

    def __str__(self) -> str:
        return (
            f"{len(self.created)} thủ tục mới, {len(self.updated)} cập nhật, "
            f"{len(self.unchanged)} không đổi"
        )


# ---------------------------------------------------------------------------------------
# Reading files into the JSON shape


def _read_bytes(path_or_file: Any) -> tuple[bytes, str]:
    if isinstance(path_or_file, (str, Path)):
        path = Path(path_or_file)
        return path.read_bytes(), path.name
    name = getattr(path_or_file, "name", "") or ""
    if hasattr(path_or_file, "seek"):
        path_or_file.seek(0)
    data = path_or_file.read()
    if isinstance(data, str):
        data = data.encode()
    return data, str(name)


def _header_key(value: Any, known: Iterable[str]) -> str | None:
    text = str(value or "").strip()
    match = re.search(r"\(([a-z_]+)\)\s*$", text)
    if match:
        return match.group(1)
    known = list(known)
    if text in known:
        return text
    return None


def _sheet_rows(
    wb, title: str, columns: list[tuple[str, str]], errors: list
) -> list[tuple[int, dict]]:
    if title not in wb.sheetnames:
        errors.append({"where": "Tệp XLSX", "message": f"Thiếu trang tính '{title}'."})
        return []
    ws = wb[title]
    rows = ws.iter_rows(values_only=True)
    try:
        header = next(rows)
    except StopIteration:
        return []
    keys = [_header_key(cell, [k for k, _ in columns]) for cell in header]
    missing = [
        k
        for k, _ in columns
        if k not in keys
        and k
        not in ("is_active", "process_name", "agency", "kind", "note", "template_name", "eform")
    ]
    if missing:
        errors.append(
            {"where": f"Trang '{title}', dòng 1", "message": "Thiếu cột: " + ", ".join(missing)}
        )
        return []
    result = []
    for number, row in enumerate(rows, start=2):
        if row is None or all(cell in (None, "") for cell in row):
            continue
        record = {}
        for key, cell in zip(keys, row, strict=False):
            if key:
                record[key] = cell
        result.append((number, record))
    return result


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _xlsx_to_catalog(data: bytes) -> tuple[dict, list[dict]]:
    """Convert the XLSX layout to the JSON shape; procedures carry their XLSX row."""
    from openpyxl import load_workbook

    errors: list[dict] = []
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any parse failure is the user's bad file
        raise CatalogImportError(
            [{"where": "Tệp", "message": "Không đọc được tệp XLSX (tệp hỏng hoặc sai định dạng)."}]
        ) from None
    fields = []
    if SHEET_FIELDS in wb.sheetnames:
        for number, rec in _sheet_rows(wb, SHEET_FIELDS, FIELD_COLUMNS, errors):
            fields.append(
                {
                    "code": _text(rec.get("code")),
                    "name": _text(rec.get("name")),
                    "_where": f"Trang '{SHEET_FIELDS}', dòng {number}",
                }
            )
    procedures: dict[str, dict] = {}
    ordered: list[dict] = []
    for number, rec in _sheet_rows(wb, SHEET_PROCEDURES, PROCEDURE_COLUMNS, errors):
        where = f"Trang '{SHEET_PROCEDURES}', dòng {number}"
        schema_text = _text(rec.get("form_schema"))
        schema: Any = {}
        if schema_text:
            try:
                schema = json.loads(schema_text)
            except json.JSONDecodeError as exc:
                errors.append(
                    {
                        "where": where,
                        "message": f"Biểu mẫu điện tử không phải JSON hợp lệ ({exc.msg}, ký tự {exc.pos}).",
                    }
                )
        proc = {
            "_where": where,
            "code": _text(rec.get("code")),
            "name": _text(rec.get("name")),
            "field": _text(rec.get("field")),
            "levels": [x.strip() for x in _text(rec.get("levels")).split(",") if x.strip()],
            "agency": {"code": _text(rec.get("agency"))} if _text(rec.get("agency")) else None,
            "receiving_agency": {"code": _text(rec.get("receiving_agency"))}
            if _text(rec.get("receiving_agency"))
            else None,
            "processing_days": rec.get("processing_days"),
            "processing_time_note": _text(rec.get("processing_time_note")),
            "fee_vnd": rec.get("fee_vnd") if rec.get("fee_vnd") not in (None, "") else 0,
            "fee_note": _text(rec.get("fee_note")),
            "online_type": _text(rec.get("online_type")),
            "sequence_description": _text(rec.get("sequence_description")),
            "conditions": _text(rec.get("conditions")),
            "applicant_description": _text(rec.get("applicant_description")),
            "result_description": _text(rec.get("result_description")),
            "legal_basis": [
                x.strip() for x in _text(rec.get("legal_basis")).splitlines() if x.strip()
            ],
            "is_active": _bool(rec.get("is_active"), default=True),
            "form_schema": schema,
            "papers": [],
            "process": {"name": _text(rec.get("process_name")), "steps": []},
        }
        if proc["code"] in procedures:
            errors.append(
                {"where": where, "message": f"Mã thủ tục {proc['code']} bị trùng trong tệp."}
            )
        procedures[proc["code"]] = proc
        ordered.append(proc)
    for sheet, columns, target in (
        (SHEET_PAPERS, PAPER_COLUMNS, "papers"),
        (SHEET_STEPS, STEP_COLUMNS, "steps"),
    ):
        for number, rec in _sheet_rows(wb, sheet, columns, errors):
            where = f"Trang '{sheet}', dòng {number}"
            code = _text(rec.get("procedure"))
            found = procedures.get(code)
            if found is None:
                errors.append(
                    {
                        "where": where,
                        "message": f"Mã thủ tục '{code}' không có trong trang '{SHEET_PROCEDURES}'.",
                    }
                )
                continue
            item = {k: rec.get(k) for k, _ in columns if k != "procedure"}
            item["_where"] = where
            for key in ("name", "template_name", "note", "kind", "role", "org_unit"):
                if key in item:
                    item[key] = _text(item[key])
            if target == "papers":
                item["required"] = _bool(item.get("required"), default=True)
                item["eform"] = _bool(item.get("eform"), default=False)
                found["papers"].append(item)
            else:
                agency = _text(item.get("agency"))
                item["agency"] = {"code": agency} if agency else None
                found["process"]["steps"].append(item)
    for proc in ordered:
        for key in ("papers",):
            proc[key].sort(key=lambda x: _int_or(x.get("order"), 0))
        proc["process"]["steps"].sort(key=lambda x: _int_or(x.get("order"), 0))
    return {"format": FORMAT, "version": VERSION, "fields": fields, "procedures": ordered}, errors


def _int_or(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _bool(value: Any, *, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return fold(str(value)) in ("1", "true", "x", "co", "yes", "y", "dung")


def read_catalog(path_or_file: Any) -> tuple[dict, list[dict]]:
    """(catalog in the JSON shape, errors found while reading)."""
    data, name = _read_bytes(path_or_file)
    if data[:2] == b"PK" or name.lower().endswith(".xlsx"):
        return _xlsx_to_catalog(data)
    try:
        catalog = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        message = getattr(exc, "msg", "mã hóa không phải UTF-8")
        line = getattr(exc, "lineno", None)
        where = f"Tệp JSON, dòng {line}" if line else "Tệp JSON"
        raise CatalogImportError(
            [{"where": where, "message": f"JSON không hợp lệ: {message}."}]
        ) from None
    if not isinstance(catalog, dict) or not isinstance(catalog.get("procedures"), list):
        raise CatalogImportError(
            [
                {
                    "where": "Tệp JSON",
                    "message": 'Thiếu danh sách "procedures" (định dạng tinhso.onestop.catalog).',
                }
            ]
        )
    for i, proc in enumerate(catalog["procedures"], start=1):
        if isinstance(proc, dict):
            proc.setdefault("_where", f"Thủ tục thứ {i} ({proc.get('code') or 'không có mã'})")
    for i, fld in enumerate(catalog.get("fields") or [], start=1):
        if isinstance(fld, dict):
            fld.setdefault("_where", f"Lĩnh vực thứ {i}")
    return catalog, []


# ---------------------------------------------------------------------------------------
# Validation and resolution


class _Agencies:
    def __init__(self) -> None:
        from tinhso.directory.models import Agency

        self.by_code: dict[str, Any] = {}
        self.by_short: dict[str, list[Any]] = {}
        agencies = list(Agency.objects.all())
        self.by_pk = {a.pk: a for a in agencies}
        for agency in agencies:
            self.by_code[agency.code.upper()] = agency
            if agency.legacy_code:
                self.by_code[agency.legacy_code.upper()] = agency
            if agency.short_name and agency.is_active:
                self.by_short.setdefault(fold(agency.short_name), []).append(agency)

    def resolve(self, ref: Any) -> tuple[Any, str | None]:
        if ref in (None, "", {}):
            return None, None
        if isinstance(ref, str):
            ref = {"code": ref}
        if not isinstance(ref, dict):
            return None, 'Tham chiếu cơ quan phải là đối tượng {"code": ...}.'
        code = str(ref.get("code") or "").strip().upper()
        agency = self.by_code.get(code) if code else None
        if agency is None:
            short = fold(str(ref.get("short_name") or ref.get("code") or ""))
            candidates = self.by_short.get(short, []) if short else []
            if len(candidates) == 1:
                agency = candidates[0]
            elif len(candidates) > 1:
                return (
                    None,
                    f"Tên viết tắt '{ref.get('short_name')}' ứng với nhiều cơ quan; hãy dùng mã.",
                )
        if agency is None:
            label = ref.get("code") or ref.get("short_name") or ref
            return None, f"Không tìm thấy cơ quan '{label}' trong danh bạ."
        seen = set()
        while not agency.is_active and agency.successor_id and agency.pk not in seen:
            seen.add(agency.pk)
            agency = self.by_pk.get(agency.successor_id, agency)
        return agency, None


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value).replace(",", "."))
    except InvalidOperation:
        return None


def _validate(catalog: dict, errors: list[dict]) -> list[dict]:
    """Check every procedure; return the normalised plans (nothing written)."""
    from tinhso.onestop.models import Field, Level, OnlineType, ProcessStep

    field_codes = {f.code for f in Field.objects.all()}
    new_fields: dict[str, str] = {}
    for fld in catalog.get("fields") or []:
        where = fld.get("_where", "Lĩnh vực") if isinstance(fld, dict) else "Lĩnh vực"
        if not isinstance(fld, dict) or not _text(fld.get("code")) or not _text(fld.get("name")):
            errors.append({"where": where, "message": "Lĩnh vực cần có mã và tên."})
            continue
        new_fields[_text(fld["code"])] = _text(fld["name"])
    agencies = _Agencies()
    roles = set(Role.values)
    kinds = set(ProcessStep.Kind.values)
    plans = []
    seen_codes: set[str] = set()
    for proc in catalog.get("procedures") or []:
        if not isinstance(proc, dict):
            errors.append(
                {"where": "Thủ tục", "message": "Mỗi thủ tục phải là một đối tượng JSON."}
            )
            continue
        where = proc.get("_where") or f"Thủ tục {proc.get('code')}"

        proc_code = proc.get("code")

        def err(message: str, where: str = where, code: Any = proc_code) -> None:
            errors.append({"where": where, "code": code, "message": message})

        code = _text(proc.get("code"))
        if not CODE_RE.match(code):
            err(f"Mã thủ tục '{code}' không đúng dạng (ví dụ 1.001612).")
        elif code in seen_codes:
            err(f"Mã thủ tục {code} bị trùng trong tệp.")
        seen_codes.add(code)
        name = _text(proc.get("name"))
        if not name:
            err("Thiếu tên thủ tục.")
        elif len(name) > 500:
            err("Tên thủ tục dài quá 500 ký tự.")
        field_code = _text(proc.get("field"))
        if field_code not in field_codes and field_code not in new_fields:
            err(f"Lĩnh vực '{field_code}' không tồn tại (khai báo trong danh sách lĩnh vực).")
        levels = proc.get("levels") or []
        if isinstance(levels, str):
            levels = [x.strip() for x in levels.split(",") if x.strip()]
        bad_levels = [lv for lv in levels if lv not in Level.values]
        if not levels or bad_levels:
            err("Cấp thực hiện phải gồm các giá trị: " + ", ".join(Level.values) + ".")
        agency, problem = agencies.resolve(proc.get("agency"))
        if problem:
            err(problem)
        receiving, problem = agencies.resolve(proc.get("receiving_agency"))
        if problem:
            err(problem)
        days = _decimal(proc.get("processing_days"))
        if days is None or days < Decimal("0.5") or days != days.quantize(Decimal("0.1")):
            err("Thời hạn giải quyết phải là số ngày làm việc ≥ 0,5 (một chữ số thập phân).")
        fee = proc.get("fee_vnd", 0)
        if isinstance(fee, float) and fee.is_integer():
            fee = int(fee)
        if isinstance(fee, str) and fee.strip().isdigit():
            fee = int(fee.strip())
        if not isinstance(fee, int) or isinstance(fee, bool) or fee < 0:
            err("Phí, lệ phí phải là số nguyên không âm (đồng).")
            fee = 0
        online_type = _text(proc.get("online_type"))
        if online_type not in OnlineType.values:
            err("Dịch vụ công trực tuyến phải là 'full' (toàn trình) hoặc 'partial' (một phần).")
        schema = proc.get("form_schema") or {}
        if schema:
            for problem in schema_problems(schema):
                err(f"Biểu mẫu điện tử: {problem}")
        legal = proc.get("legal_basis") or []
        if isinstance(legal, str):
            legal = [x.strip() for x in legal.splitlines() if x.strip()]
        papers = []
        for i, paper in enumerate(proc.get("papers") or [], start=1):
            pwhere = paper.get("_where") if isinstance(paper, dict) else None
            pwhere = pwhere or f"{where}, thành phần hồ sơ {i}"
            if not isinstance(paper, dict) or not _text(paper.get("name")):
                err("Thành phần hồ sơ cần có tên.", pwhere)
                continue
            counts = []
            for key in ("copies_original", "copies_copy"):
                value = _int_or(paper.get(key, 0) if paper.get(key) not in (None, "") else 0, -1)
                if value < 0 or value > 100:
                    err(f"Số bản ({key}) phải là số nguyên từ 0 đến 100.", pwhere)
                counts.append(max(value, 0))
            papers.append(
                {
                    "order": i,
                    "name": _text(paper["name"])[:500],
                    "copies_original": counts[0],
                    "copies_copy": counts[1],
                    "is_required": bool(paper.get("required", True)),
                    "template_name": _text(paper.get("template_name"))[:255],
                    "note": _text(paper.get("note")),
                    "is_eform": bool(paper.get("eform", False)),
                }
            )
        if sum(1 for p in papers if p["is_eform"]) > 1:
            err("Chỉ một thành phần hồ sơ là tờ khai điện tử (eform).")
        if any(p["is_eform"] for p in papers) and not proc.get("form_schema"):
            err("Thành phần hồ sơ là tờ khai điện tử nhưng thủ tục chưa có biểu mẫu điện tử.")
        process = proc.get("process") or {}
        steps = []
        total = Decimal("0")
        raw_steps = process.get("steps") if isinstance(process, dict) else None
        if not raw_steps:
            err("Quy trình nội bộ cần ít nhất một bước.")
            raw_steps = []
        for i, step in enumerate(raw_steps, start=1):
            swhere = step.get("_where") if isinstance(step, dict) else None
            swhere = swhere or f"{where}, bước {i}"
            if not isinstance(step, dict) or not _text(step.get("name")):
                err("Bước quy trình cần có tên.", swhere)
                continue
            role = _text(step.get("role"))
            if role not in roles:
                err(f"Vai trò '{role}' không hợp lệ (" + ", ".join(sorted(roles)) + ").", swhere)
            kind = _text(step.get("kind")) or "processing"
            if kind not in kinds:
                err(f"Loại bước '{kind}' không hợp lệ.", swhere)
            budget = _decimal(step.get("budget_days"))
            if budget is None or budget < 0 or budget != budget.quantize(Decimal("0.01")):
                err("Thời gian của bước phải là số ngày ≥ 0 (tối đa hai chữ số thập phân).", swhere)
                budget = Decimal("0")
            total += budget
            step_agency, problem = agencies.resolve(step.get("agency"))
            if problem:
                err(problem, swhere)
            steps.append(
                {
                    "order": i,
                    "name": _text(step["name"])[:255],
                    "kind": kind,
                    "role": role,
                    "org_unit_name": _text(step.get("org_unit"))[:255],
                    "agency": step_agency,
                    "budget_days": budget.quantize(Decimal("0.01")),
                }
            )
        if days is not None and raw_steps and total != days:
            err(
                f"Tổng thời gian các bước ({_num(total)} ngày) phải bằng thời hạn giải quyết "
                f"({_num(days)} ngày)."
            )
        plans.append(
            {
                "code": code,
                "values": {
                    "name": name,
                    "field_code": field_code,
                    "levels": ",".join(levels),
                    "agency": agency,
                    "receiving_agency": receiving,
                    "processing_days": (days or Decimal("0.5")).quantize(Decimal("0.1")),
                    "processing_time_note": _text(proc.get("processing_time_note"))[:255],
                    "fee_vnd": fee,
                    "fee_note": _text(proc.get("fee_note")),
                    "online_type": online_type,
                    "sequence_description": _text(proc.get("sequence_description")),
                    "conditions": _text(proc.get("conditions")),
                    "applicant_description": _text(proc.get("applicant_description")),
                    "result_description": _text(proc.get("result_description")),
                    "legal_basis": "\n".join(str(x).strip() for x in legal if str(x).strip()),
                    "form_schema": normalise_schema(schema) if schema else {},
                    "is_active": bool(proc.get("is_active", True)),
                },
                "papers": papers,
                "process_name": _text(process.get("name") if isinstance(process, dict) else "")[
                    :255
                ],
                "steps": steps,
            }
        )
    catalog["_new_fields"] = new_fields
    return plans


def _num(value: Decimal) -> str:
    return format(value.normalize(), "f").replace(".", ",")


# ---------------------------------------------------------------------------------------
# Writing


def _step_signature(steps: Iterable[dict]) -> list[tuple]:
    return [
        (
            s["order"],
            s["name"],
            s["kind"],
            s["role"],
            s["org_unit_name"],
            getattr(s["agency"], "pk", None),
            Decimal(s["budget_days"]).quantize(Decimal("0.01")),
        )
        for s in steps
    ]


def _apply(plan: dict, fields: dict[str, Any], result: ImportResult) -> None:
    from tinhso.directory.models import OrgUnit
    from tinhso.onestop.models import Procedure, ProcessStep, ProcessTemplate, RequiredPaper

    values = dict(plan["values"])
    values["field"] = fields[values.pop("field_code")]
    procedure = Procedure.objects.filter(code=plan["code"]).first()
    changed = False
    if procedure is None:
        procedure = Procedure(code=plan["code"], **values)
        procedure.save()
        result.created.append(plan["code"])
        created = True
    else:
        created = False
        dirty = []
        for key, value in values.items():
            current = getattr(procedure, key)
            if key in ("field", "agency", "receiving_agency"):
                same = getattr(current, "pk", None) == getattr(value, "pk", None)
            else:
                same = current == value
            if not same:
                setattr(procedure, key, value)
                dirty.append(key)
        if dirty:
            procedure.save()
            changed = True

    existing = list(RequiredPaper.objects.filter(procedure=procedure).order_by("order", "pk"))
    for i, paper in enumerate(plan["papers"]):
        row = existing[i] if i < len(existing) else None
        if row is None:
            RequiredPaper.objects.create(procedure=procedure, **paper)
            changed = True
            continue
        dirty = [k for k, v in paper.items() if getattr(row, k) != v]
        if dirty:
            for k in dirty:
                setattr(row, k, paper[k])
            row.save()
            changed = True
    for row in existing[len(plan["papers"]) :]:
        row.delete()
        changed = True

    active = procedure.active_process()
    current_sig = (
        _step_signature(
            {
                "order": s.order,
                "name": s.name,
                "kind": s.kind,
                "role": s.role,
                "org_unit_name": s.org_unit_name,
                "agency": s.agency,
                "budget_days": s.budget_days,
            }
            for s in active.steps.all().order_by("order")
        )
        if active
        else None
    )
    if current_sig != _step_signature(plan["steps"]):
        ProcessTemplate.objects.filter(procedure=procedure, is_active=True).update(is_active=False)
        template = ProcessTemplate.objects.create(
            procedure=procedure, name=plan["process_name"] or f"Quy trình {procedure.code}"
        )
        units = {}
        if procedure.agency_id:
            units = {fold(u.name): u for u in OrgUnit.objects.filter(agency_id=procedure.agency_id)}
        ProcessStep.objects.bulk_create(
            [
                ProcessStep(
                    template=template,
                    order=s["order"],
                    name=s["name"],
                    kind=s["kind"],
                    role=s["role"],
                    org_unit_name=s["org_unit_name"],
                    org_unit=units.get(fold(s["org_unit_name"])),
                    agency=s["agency"],
                    budget_days=s["budget_days"],
                )
                for s in plan["steps"]
            ]
        )
        changed = True
    elif active and plan["process_name"] and active.name != plan["process_name"]:
        active.name = plan["process_name"]
        active.save(update_fields=["name", "updated_at"])
        changed = True
    if not created:
        (result.updated if changed else result.unchanged).append(plan["code"])


def import_catalog(path_or_file: Any, *, actor: Any = None) -> ImportResult:
    """Import (upsert by procedure code) a JSON or XLSX catalog; all or nothing.

    `actor` None is the system (demo, management command); a user must be allowed
    ``onestop.manage_catalog`` (platform administrators).
    """
    from tinhso.accounts.rules import require
    from tinhso.audit.services import record
    from tinhso.onestop.models import Field

    if actor is not None:
        require(actor, "onestop.manage_catalog", None)
    catalog, errors = read_catalog(path_or_file)
    plans = _validate(catalog, errors)
    if errors:
        raise CatalogImportError(errors)
    result = ImportResult()
    with transaction.atomic():
        fields = {f.code: f for f in Field.objects.all()}
        for code, name in catalog.get("_new_fields", {}).items():
            existing = fields.get(code)
            if existing is None:
                fields[code] = Field.objects.create(code=code, name=name)
                result.fields_created += 1
            elif existing.name != name:
                existing.name = name
                existing.save()
        for plan in plans:
            _apply(plan, fields, result)
        if result.created or result.updated or result.fields_created:
            record(
                actor=actor,
                action="onestop.import_catalog",
                object_type="onestop.catalog",
                object_id="catalog",
                summary=result.as_dict(),
            )
    return result


# ---------------------------------------------------------------------------------------
# Export


def _agency_ref(agency) -> dict | None:
    if agency is None:
        return None
    ref = {"code": agency.code}
    if agency.short_name:
        ref["short_name"] = agency.short_name
    return ref


def _number(value: Decimal) -> int | float:
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


def catalog_dict(procedures=None) -> dict:
    """The catalog (all procedures, or the given queryset) in the JSON shape."""
    from tinhso.onestop.models import Field, Procedure

    if procedures is None:
        procedures = Procedure.objects.all()
    procedures = (
        procedures.select_related("field", "agency", "receiving_agency")
        .prefetch_related("papers", "process_templates__steps__agency")
        .order_by("code")
    )
    out = []
    used_fields = set()
    for p in procedures:
        used_fields.add(p.field_id)
        template = next(
            iter(
                sorted((t for t in p.process_templates.all() if t.is_active), key=lambda t: -t.pk)
            ),
            None,
        )
        steps = sorted(template.steps.all(), key=lambda s: s.order) if template else []
        out.append(
            {
                "code": p.code,
                "name": p.name,
                "field": p.field.code,
                "levels": p.level_list,
                "agency": _agency_ref(p.agency),
                "receiving_agency": _agency_ref(p.receiving_agency),
                "processing_days": _number(p.processing_days),
                "processing_time_note": p.processing_time_note,
                "fee_vnd": p.fee_vnd,
                "fee_note": p.fee_note,
                "online_type": p.online_type,
                "sequence_description": p.sequence_description,
                "conditions": p.conditions,
                "applicant_description": p.applicant_description,
                "result_description": p.result_description,
                "legal_basis": [x for x in p.legal_basis.splitlines() if x.strip()],
                "is_active": p.is_active,
                "papers": [
                    {
                        "name": r.name,
                        "copies_original": r.copies_original,
                        "copies_copy": r.copies_copy,
                        "required": r.is_required,
                        "template_name": r.template_name,
                        "note": r.note,
                        "eform": r.is_eform,
                    }
                    for r in sorted(p.papers.all(), key=lambda r: (r.order, r.pk))
                ],
                "form_schema": p.form_schema,
                "process": {
                    "name": template.name if template else "",
                    "steps": [
                        {
                            "name": s.name,
                            "kind": s.kind,
                            "role": s.role,
                            "org_unit": s.org_unit_name
                            or (s.org_unit.name if s.org_unit_id else ""),
                            "agency": _agency_ref(s.agency),
                            "budget_days": _number(s.budget_days),
                        }
                        for s in steps
                    ],
                },
            }
        )
    fields = [
        {"code": f.code, "name": f.name}
        for f in Field.objects.filter(pk__in=used_fields).order_by("code")
    ]
    return {"format": FORMAT, "version": VERSION, "fields": fields, "procedures": out}


def export_json(procedures=None) -> bytes:
    return json.dumps(catalog_dict(procedures), ensure_ascii=False, indent=1).encode("utf-8")


HELP_ROWS = [
    "Danh mục thủ tục hành chính — định dạng nhập/xuất của tinhso (onestop).",
    "Mỗi trang tính là một loại dữ liệu; dòng 1 là tiêu đề dạng 'Tên cột (khóa)'. Chỉ khóa trong ngoặc được đọc.",
    "Trang 'Thu tuc': mỗi dòng một thủ tục. Cấp thực hiện: central, province, district, commune (nhiều cấp cách nhau bởi dấu phẩy).",
    "Cơ quan: ghi mã định danh (ví dụ H99.04) hoặc tên viết tắt; để trống cơ quan có thẩm quyền nếu mọi UBND cấp xã đều thực hiện.",
    "Dịch vụ công trực tuyến: full (toàn trình) hoặc partial (một phần). Căn cứ pháp lý: mỗi văn bản một dòng.",
    "Biểu mẫu điện tử: JSON Schema (draft 2020-12, tập con được hỗ trợ — xem tài liệu onestop.eforms).",
    "Trang 'Thanh phan ho so' và 'Quy trinh': mỗi dòng một giấy tờ / một bước, gắn với thủ tục qua cột Mã thủ tục.",
    "Vai trò: onestop_officer, specialist, leader, clerk, agency_admin. Loại bước: reception, processing, review, approval, inter_agency, return.",
    "Tổng thời gian các bước phải bằng thời hạn giải quyết. Tệp có lỗi sẽ không được nhập (kèm số dòng lỗi).",
    "Nhập lại cùng tệp không thay đổi gì (cập nhật theo mã thủ tục).",
]


def export_xlsx(procedures=None) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    catalog = catalog_dict(procedures)
    wb = Workbook()
    bold = Font(bold=True)

    def sheet(title: str, columns: list[tuple[str, str]], rows: list[list[Any]], first=False):
        ws = wb.active if first else wb.create_sheet()
        ws.title = title
        ws.append([f"{label} ({key})" for key, label in columns])
        for cell in ws[1]:
            cell.font = bold
        for row in rows:
            ws.append(row)
        ws.freeze_panes = "A2"
        for i, (key, _) in enumerate(columns, start=1):
            width = 60 if key in ("name", "form_schema", "fee_note", "legal_basis") else 18
            ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = width
        return ws

    sheet(
        SHEET_PROCEDURES,
        PROCEDURE_COLUMNS,
        [
            [
                p["code"],
                p["name"],
                p["field"],
                ",".join(p["levels"]),
                (p["agency"] or {}).get("code", ""),
                (p["receiving_agency"] or {}).get("code", ""),
                p["processing_days"],
                p["processing_time_note"],
                p["fee_vnd"],
                p["fee_note"],
                p["online_type"],
                p["sequence_description"],
                p["conditions"],
                p["applicant_description"],
                p["result_description"],
                "\n".join(p["legal_basis"]),
                "có" if p["is_active"] else "không",
                p["process"]["name"],
                json.dumps(p["form_schema"], ensure_ascii=False) if p["form_schema"] else "",
            ]
            for p in catalog["procedures"]
        ],
        first=True,
    )
    sheet(
        SHEET_PAPERS,
        PAPER_COLUMNS,
        [
            [
                p["code"],
                i,
                r["name"],
                r["copies_original"],
                r["copies_copy"],
                "có" if r["required"] else "không",
                r["template_name"],
                r["note"],
                "có" if r.get("eform") else "không",
            ]
            for p in catalog["procedures"]
            for i, r in enumerate(p["papers"], start=1)
        ],
    )
    sheet(
        SHEET_STEPS,
        STEP_COLUMNS,
        [
            [
                p["code"],
                i,
                s["name"],
                s["kind"],
                s["role"],
                s["org_unit"],
                (s["agency"] or {}).get("code", ""),
                s["budget_days"],
            ]
            for p in catalog["procedures"]
            for i, s in enumerate(p["process"]["steps"], start=1)
        ],
    )
    sheet(SHEET_FIELDS, FIELD_COLUMNS, [[f["code"], f["name"]] for f in catalog["fields"]])
    help_ws = wb.create_sheet(SHEET_HELP)
    for line in HELP_ROWS:
        help_ws.append([line])
    help_ws.column_dimensions["A"].width = 140
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def export_catalog(path: str | Path | IO[bytes], procedures=None) -> None:
    """Write the catalog to `path` (.xlsx → XLSX, anything else → JSON)."""
    if isinstance(path, (str, Path)):
        data = (
            export_xlsx(procedures)
            if str(path).lower().endswith(".xlsx")
            else export_json(procedures)
        )
        Path(path).write_bytes(data)
    else:
        path.write(export_json(procedures))


DEFAULT_CATALOG = Path(__file__).resolve().parent / "data" / "procedures.json"
