"""The shared data store: a tabular resource is a real table in the platform's database
(PostgreSQL in production, SQLite in the demo), queried by `datastore_search`.

Tables are named by us (`ods_<resource>_<random>`), never by a user; column names come
from the user but are checked (no quote, no leading underscore, at most 63 characters)
and always quoted, and every value is a bound parameter. Each table has `_id` (row
number, the default order) and `_full_text` (the row's text folded without diacritics,
for `q`).

A load writes a new table, in chunks (so the worker can report progress), and only then
switches the resource to it and drops the old one, in one transaction: a load killed
halfway leaves the old table serving (the half-written table is swept at the next load).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import re
import secrets
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import connection, connections, transaction

from tinhso.core.replica import current_alias
from tinhso.core.text import clean_text, fold
from tinhso.opendata.errors import OpendataErrorCode, OpendataValidation

MAX_LIMIT = 32_000  # CKAN's ckan.datastore.search.rows_max
DEFAULT_LIMIT = 100
MAX_OFFSET = 100_000_000
MAX_FIELDS = 200
MAX_RECORDS_PER_CALL = 10_000  # datastore_create / datastore_upsert `records`
MAX_ERRORS_REPORTED = 100
CHUNK = 5_000

# CKAN type names (and common aliases) → our canonical types
TYPE_ALIASES = {
    "text": "text",
    "string": "text",
    "varchar": "text",
    "int": "int",
    "int4": "int",
    "int8": "int",
    "integer": "int",
    "bigint": "int",
    "numeric": "numeric",
    "float": "numeric",
    "float8": "numeric",
    "double precision": "numeric",
    "number": "numeric",
    "bool": "bool",
    "boolean": "bool",
    "date": "date",
    "timestamp": "timestamp",
}
SQL_TYPES = {
    "postgresql": {
        "text": "text",
        "int": "bigint",
        "numeric": "numeric",
        "bool": "boolean",
        "date": "date",
        "timestamp": "timestamp",
    },
    "sqlite": {
        "text": "TEXT",
        "int": "INTEGER",
        "numeric": "REAL",
        "bool": "INTEGER",
        "date": "TEXT",
        "timestamp": "TEXT",
    },
}
_FIELD_ID = re.compile(r'^[^"_\x00-\x1f][^"\x00-\x1f]{0,62}$')
_TABLE = re.compile(r"^ods_[0-9a-f]{12}_[0-9a-f]{8}$")


def invalid(message: str, *, field: str, code: str = OpendataErrorCode.DATASTORE_INVALID_FIELDS):
    return OpendataValidation(message, code=code, field=field)


def q(name: str) -> str:
    return connection.ops.quote_name(name)


def _vendor() -> str:
    return "postgresql" if connection.vendor == "postgresql" else "sqlite"


# ---------------------------------------------------------------------------------------
# fields and values


def clean_fields(fields: Any) -> list[dict[str, Any]]:
    """CKAN `fields` ([{"id", "type", "info"}]) checked: unique safe ids, known types."""
    if not isinstance(fields, list) or not fields:
        raise invalid("Cần danh sách cột (fields) không rỗng.", field="fields")
    if len(fields) > MAX_FIELDS:
        raise invalid(f"Tối đa {MAX_FIELDS} cột.", field="fields")
    result, seen = [], set()
    for item in fields:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise invalid("Mỗi cột cần có 'id' là chuỗi.", field="fields")
        field_id = clean_text(item["id"]).strip()
        if not _FIELD_ID.match(field_id):
            raise invalid(
                f"Tên cột '{field_id[:70]}' không hợp lệ (1–63 ký tự, không có dấu nháy kép, "
                "không bắt đầu bằng '_').",
                field="fields",
            )
        if field_id.lower() in seen:
            raise invalid(f"Tên cột '{field_id}' bị trùng.", field="fields")
        seen.add(field_id.lower())
        kind = str(item.get("type") or "text").strip().lower()
        if kind not in TYPE_ALIASES:
            raise invalid(
                f"Kiểu dữ liệu '{kind[:30]}' của cột '{field_id}' không được hỗ trợ "
                f"({', '.join(sorted(set(TYPE_ALIASES.values())))}).",
                field="fields",
            )
        info = item.get("info") if isinstance(item.get("info"), dict) else {}
        result.append({"id": field_id, "type": TYPE_ALIASES[kind], "info": info})
    return result


_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y")
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


_INT_TEXT = re.compile(r"[+-]?\d{1,19}")


def convert(value: Any, kind: str, vendor: str = "") -> Any:
    """A value for a column of `kind`, or ValueError with a Vietnamese reason (`vendor`:
    the database's, when the caller already knows it: a load converts millions of cells)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        if value == "":
            return None
    if kind == "text":
        text = clean_text(value if isinstance(value, str) else str(value), multiline=True)
        if len(text) > 100_000:
            raise ValueError("chuỗi quá dài (tối đa 100.000 ký tự)")
        return text
    if kind == "int":
        number: Any
        if isinstance(value, bool):
            raise ValueError("không phải số nguyên")
        if isinstance(value, int):
            number = value
        elif (
            isinstance(value, float)
            and value.is_integer()
            or isinstance(value, str)
            and _INT_TEXT.fullmatch(value)
        ):
            number = int(value)
        else:
            raise ValueError("không phải số nguyên")
        if not -(2**63) <= number < 2**63:
            raise ValueError("số nguyên vượt giới hạn")
        return number
    if kind == "numeric":
        if isinstance(value, bool):
            raise ValueError("không phải số")
        if isinstance(value, int | float | Decimal):
            number_text = str(value)
        elif isinstance(value, str) and len(value) <= 40:
            number_text = value
        else:
            raise ValueError("không phải số")
        try:
            number = Decimal(number_text)
        except InvalidOperation:
            raise ValueError("không phải số") from None
        if not number.is_finite():
            raise ValueError("không phải số hữu hạn")
        return float(number) if (vendor or _vendor()) == "sqlite" else number
    if kind == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).lower()
        if text in {"true", "1", "t", "yes", "có", "co"}:
            return True
        if text in {"false", "0", "f", "no", "không", "khong"}:
            return False
        raise ValueError("không phải giá trị đúng/sai")
    if kind == "date":
        if isinstance(value, str):
            head = value[:10]
            day = None
            if _ISO_DAY.fullmatch(head):  # the common case, without strptime
                try:
                    day = dt.date(int(head[:4]), int(head[5:7]), int(head[8:10]))
                except ValueError:
                    day = None
            if day is None:
                for fmt in _DATE_FORMATS:
                    try:
                        day = dt.datetime.strptime(head, fmt).date()
                        break
                    except ValueError:
                        continue
                else:
                    raise ValueError("không phải ngày (YYYY-MM-DD hoặc DD/MM/YYYY)")
            return day.isoformat() if (vendor or _vendor()) == "sqlite" else day
        raise ValueError("không phải ngày")
    if kind == "timestamp":
        if isinstance(value, str):
            try:
                moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                raise ValueError("không phải thời điểm ISO 8601") from None
            moment = moment.replace(tzinfo=None)
            return moment.isoformat() if (vendor or _vendor()) == "sqlite" else moment
        raise ValueError("không phải thời điểm")
    raise ValueError("kiểu không xác định")


def to_json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _out(value: Any, kind: str) -> Any:
    if kind == "bool" and value is not None:
        return bool(value)
    if kind == "numeric" and isinstance(value, float) and value.is_integer():
        return int(value) if abs(value) < 2**53 else value
    return to_json(value)


# ---------------------------------------------------------------------------------------
# tables


def new_table_name(resource_uid: Any) -> str:
    return f"ods_{resource_uid.hex[:12]}_{secrets.token_hex(4)}"


def create_table(table: str, fields: list[dict[str, Any]], indexes: Sequence[str] = ()) -> None:
    assert _TABLE.match(table), table
    types = SQL_TYPES[_vendor()]
    id_column = (
        '"_id" bigserial PRIMARY KEY'
        if _vendor() == "postgresql"
        else '"_id" INTEGER PRIMARY KEY AUTOINCREMENT'
    )
    columns = ", ".join(f"{q(f['id'])} {types[f['type']]}" for f in fields)
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE TABLE {q(table)} ({id_column}, {columns}, "_full_text" TEXT)')
        for number, name in enumerate(indexes):
            cursor.execute(f"CREATE INDEX {q(f'{table}_i{number}')} ON {q(table)} ({q(name)})")


def drop_table(table: str) -> None:
    assert _TABLE.match(table), table
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {q(table)}")


def sweep_orphans(resource_uid: Any, keep: str | None) -> int:
    """Drop half-written tables of this resource left by loads that died."""
    prefix = f"ods_{resource_uid.hex[:12]}_"
    names = [
        name
        for name in connection.introspection.table_names()
        if name.startswith(prefix) and name != keep and _TABLE.match(name)
    ]
    for name in names:
        drop_table(name)
    return len(names)


def _row_values(
    record: Any,
    fields: list[dict[str, Any]],
    number: int,
    errors: list[dict[str, Any]],
    vendor: str = "",
) -> list[Any] | None:
    """The converted values of one record (dict or list), or None with errors noted."""
    values: list[Any] = []
    ok = True
    if isinstance(record, dict):
        unknown = set(record) - {f["id"] for f in fields} - {"_id"}
        if unknown:
            errors.append(
                {"row": number, "column": sorted(map(str, unknown))[0], "message": "cột không có"}
            )
            return None
        raw = [record.get(f["id"]) for f in fields]
    elif isinstance(record, list | tuple):
        if len(record) != len(fields):
            errors.append(
                {
                    "row": number,
                    "column": "",
                    "message": f"có {len(record)} giá trị, bảng có {len(fields)} cột",
                }
            )
            return None
        raw = list(record)
    else:
        errors.append({"row": number, "column": "", "message": "không phải một bản ghi"})
        return None
    vendor = vendor or _vendor()
    for field, value in zip(fields, raw, strict=True):
        if isinstance(value, dict | list):
            errors.append({"row": number, "column": field["id"], "message": "giá trị lồng nhau"})
            ok = False
            continue
        try:
            values.append(convert(value, field["type"], vendor))
        except ValueError as err:
            ok = False
            if len(errors) < MAX_ERRORS_REPORTED:
                errors.append({"row": number, "column": field["id"], "message": str(err)})
    if not ok:
        return None
    values.append(full_text(values))
    return values


@functools.lru_cache(maxsize=65_536)
def _fold_cell(text: str) -> str:
    return fold(text)


def full_text(values: Sequence[Any]) -> str:
    """The row's `_full_text`: its values folded, as `fold(" ".join(values))` would give,
    but cell by cell (a column's values repeat, so most folds are cached; an ASCII cell
    needs no Unicode decomposition)."""
    parts = []
    for value in values:
        if value is None:
            continue
        text = value if isinstance(value, str) else str(value)
        if text.isascii():
            folded = " ".join(text.lower().split()) if text.isprintable() else fold(text)
        elif len(text) <= 200:
            folded = _fold_cell(text)
        else:
            folded = fold(text)
        if folded:
            parts.append(folded)
    return " ".join(parts)[:20_000]


def check_records(records: Iterable[Any], fields: list[dict[str, Any]]) -> list[list[Any]]:
    """All records converted, or a validation error listing the bad rows (nothing stored)."""
    errors: list[dict[str, Any]] = []
    rows = []
    for number, record in enumerate(records, start=1):
        values = _row_values(record, fields, number, errors)
        if values is not None:
            rows.append(values)
    if errors:
        raise OpendataValidation(
            "; ".join(
                f"dòng {e['row']}"
                + (f", cột {e['column']}" if e["column"] else "")
                + f": {e['message']}"
                for e in errors[:10]
            ),
            code=OpendataErrorCode.DATASTORE_INVALID_RECORD,
            field="records",
            details=errors[:MAX_ERRORS_REPORTED],
        )
    return rows


def insert_rows(table: str, fields: list[dict[str, Any]], rows: Iterable[list[Any]]) -> int:
    assert _TABLE.match(table), table
    names = [f["id"] for f in fields] + ["_full_text"]
    count = 0
    if _vendor() == "postgresql":
        raw = connection.cursor().cursor  # psycopg's own cursor: COPY is the fast path
        columns = ", ".join(q(n) for n in names)
        with raw.copy(f"COPY {q(table)} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        return count
    placeholders = ", ".join(["%s"] * len(names))
    sql = f"INSERT INTO {q(table)} ({', '.join(q(n) for n in names)}) VALUES ({placeholders})"  # noqa: S608 - quoted, checked identifiers
    batch: list[list[Any]] = []
    with connection.cursor() as cursor:
        for row in rows:
            batch.append(row)
            if len(batch) >= CHUNK:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def count_rows(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {q(table)}")  # noqa: S608 - quoted, checked identifiers
        return int(cursor.fetchone()[0])


def analyze(table: str) -> None:
    """Statistics for the planner and, outside a transaction, a VACUUM: it sets the
    visibility map and hint bits of the freshly copied rows, so that a filtered count is
    an index-only scan and the first searches do not rewrite every page they read."""
    assert _TABLE.match(table), table
    if _vendor() == "postgresql":
        with connection.cursor() as cursor:
            if connection.in_atomic_block:
                cursor.execute(f"ANALYZE {q(table)}")
            else:
                cursor.execute(f"VACUUM (ANALYZE) {q(table)}")


# ---------------------------------------------------------------------------------------
# reading CSV / XLSX files


ENCODINGS = {"utf-8": "utf-8", "utf-8-sig": "utf-8-sig", "windows-1258": "cp1258"}
_VI_MARKS = re.compile(
    "[àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđ]", re.I
)


def decode(data: bytes, encoding: str = "") -> tuple[str, str]:
    """The text of a CSV file and the encoding used.

    Vietnamese CSVs come as UTF-8 (with or without a BOM, as Excel writes it) or as
    Windows-1258 (older Excel, TCVN tools). UTF-8 is tried strictly first; a file that
    is not UTF-8 is read as Windows-1258 only when the result looks like Vietnamese text;
    otherwise the uploader is asked to choose the encoding (nothing guessed silently)."""
    if encoding:
        if encoding not in ENCODINGS:
            raise OpendataValidation(
                "Bảng mã không được hỗ trợ (utf-8, windows-1258).",
                code=OpendataErrorCode.FILE_ENCODING_UNKNOWN,
                field="encoding",
            )
        try:
            text = data.decode(ENCODINGS[encoding])
        except UnicodeDecodeError as err:
            raise OpendataValidation(
                f"Tệp không đọc được bằng bảng mã {encoding} (byte {err.start}).",
                code=OpendataErrorCode.FILE_ENCODING_UNKNOWN,
                field="encoding",
            ) from None
        return unicodedata.normalize("NFC", text.lstrip("\ufeff")), encoding
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return unicodedata.normalize("NFC", data[3:].decode("utf-8")), "utf-8-sig"
        except UnicodeDecodeError:
            pass
    else:
        try:
            return unicodedata.normalize("NFC", data.decode("utf-8")), "utf-8"
        except UnicodeDecodeError:
            pass
    try:
        text = unicodedata.normalize("NFC", data.decode("cp1258"))
    except UnicodeDecodeError:
        text = ""
    letters = sum(1 for ch in text if ch.isalpha())
    if text and not re.search(r"[\x80-\x9f]", text) and _VI_MARKS.search(text) and letters:
        return text, "windows-1258"
    raise OpendataValidation(
        "Không nhận ra bảng mã của tệp (không phải UTF-8, không giống Windows-1258). "
        "Vui lòng chọn bảng mã khi tải lên hoặc lưu lại tệp dưới dạng CSV UTF-8.",
        code=OpendataErrorCode.FILE_ENCODING_UNKNOWN,
        field="encoding",
    )


class Table:
    """A tabular file read twice: once to check and type it, once to load it."""

    def __init__(self, headers: list[str], rows: Any) -> None:
        self.headers = headers
        self._rows = rows  # a callable returning a fresh iterator of lists of strings

    def rows(self) -> Iterator[list[Any]]:
        return self._rows()


def read_csv(data: bytes, encoding: str = "") -> tuple[Table, str]:
    text, used = decode(data, encoding)
    sample = text[:4096]
    delimiter = ","
    if sample.count(";") > sample.count(",") and sample.count(";") > sample.count("\t"):
        delimiter = ";"
    elif sample.count("\t") > sample.count(","):
        delimiter = "\t"

    def rows() -> Iterator[list[str]]:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        try:
            next(reader, None)
            yield from reader
        except csv.Error as err:
            raise OpendataValidation(
                f"Tệp CSV sai cấu trúc ở dòng {reader.line_num}: {err}.",
                code=OpendataErrorCode.MALFORMED_TABLE,
                field="upload",
            ) from None

    try:
        first = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), None)
    except csv.Error as err:
        raise OpendataValidation(
            f"Dòng tiêu đề của tệp CSV sai cấu trúc: {err}.",
            code=OpendataErrorCode.MALFORMED_TABLE,
            field="upload",
        ) from None
    return Table(_headers(first), rows), used


def read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any unreadable workbook is the uploader's error
        raise OpendataValidation(
            "Tệp XLSX không đọc được.", code=OpendataErrorCode.MALFORMED_TABLE, field="upload"
        ) from None
    sheet = workbook.worksheets[0]
    iterator = sheet.iter_rows(values_only=True)
    first = next(iterator, None)

    def rows() -> Iterator[list[Any]]:
        body = sheet.iter_rows(values_only=True)
        next(body, None)
        for row in body:
            values = list(row)
            while values and values[-1] is None:
                values.pop()
            if not values:
                continue
            yield [
                v.isoformat() if isinstance(v, dt.datetime | dt.date) else ("" if v is None else v)
                for v in values
            ]

    headers = [str(h) if h is not None else "" for h in (first or [])]
    while headers and headers[-1] == "":
        headers.pop()
    return Table(_headers(headers), rows)


def _headers(first: Sequence[Any] | None) -> list[str]:
    if not first:
        raise OpendataValidation(
            "Tệp không có dòng tiêu đề.", code=OpendataErrorCode.MALFORMED_TABLE, field="upload"
        )
    headers = [clean_text(str(h)).strip() for h in first]
    clean_fields([{"id": h or "?", "type": "text"} for h in headers])  # same rules as the API
    if any(not h for h in headers):
        raise OpendataValidation(
            "Dòng tiêu đề có cột để trống.", code=OpendataErrorCode.MALFORMED_TABLE, field="upload"
        )
    return headers


def infer_fields(table: Table) -> tuple[list[dict[str, Any]], int, list[dict[str, Any]]]:
    """Column types from the data (int, numeric, date or text), the row count and the
    structural errors (rows with another number of cells than the header)."""
    width = len(table.headers)
    candidates = [{"int", "numeric", "date"} for _ in range(width)]
    errors: list[dict[str, Any]] = []
    count = 0
    vendor = _vendor()
    for number, row in enumerate(table.rows(), start=2):
        count += 1
        if len(row) != width:
            if len(errors) < MAX_ERRORS_REPORTED:
                errors.append(
                    {
                        "row": number,
                        "column": "",
                        "message": f"có {len(row)} ô, dòng tiêu đề có {width} cột",
                    }
                )
            continue
        for index, value in enumerate(row):
            kinds = candidates[index]
            if not kinds or value in ("", None):
                continue
            for kind in list(kinds):
                try:
                    convert(value, kind, vendor)
                except ValueError:
                    kinds.discard(kind)
    fields = []
    for header, kinds in zip(table.headers, candidates, strict=True):
        kind = next((k for k in ("int", "numeric", "date") if k in kinds), "text")
        fields.append({"id": header, "type": kind, "info": {}})
    return fields, count, errors


# ---------------------------------------------------------------------------------------
# search


def _field_map(fields: list[dict[str, Any]]) -> dict[str, str]:
    return {"_id": "int", **{f["id"]: f["type"] for f in fields}}


def _where(fields: list[dict[str, Any]], filters: Any, query: Any) -> tuple[list[str], list[Any]]:
    known = _field_map(fields)
    clauses: list[str] = []
    params: list[Any] = []
    if filters not in (None, ""):
        if not isinstance(filters, dict):
            raise invalid("filters phải là một đối tượng {cột: giá trị}.", field="filters")
        for name, wanted in filters.items():
            if name not in known:
                raise invalid(
                    f'field "{name}" not in table',
                    field="filters",
                    code=OpendataErrorCode.DATASTORE_UNKNOWN_FIELD,
                )
            values = wanted if isinstance(wanted, list) else [wanted]
            if not values or len(values) > 1000:
                raise invalid(f"Bộ lọc cột '{name}' cần 1–1000 giá trị.", field="filters")
            converted = []
            for value in values:
                if isinstance(value, dict | list):
                    raise invalid(f"Giá trị lọc cột '{name}' không hợp lệ.", field="filters")
                try:
                    converted.append(convert(value, known[name]))
                except ValueError as err:
                    raise invalid(f"Giá trị lọc cột '{name}': {err}.", field="filters") from None
            non_null = [v for v in converted if v is not None]
            parts = []
            if non_null:
                if len(non_null) == 1:
                    parts.append(f"{q(name)} = %s")
                else:
                    parts.append(f"{q(name)} IN ({', '.join(['%s'] * len(non_null))})")
                params.extend(non_null)
            if len(non_null) < len(converted):
                parts.append(f"{q(name)} IS NULL")
            clauses.append("(" + " OR ".join(parts) + ")")
    if query not in (None, ""):
        if isinstance(query, str):
            words = fold(query).split()[:10]
            for word in words:
                clauses.append('"_full_text" LIKE %s')
                params.append(f"%{_escape_like(word)}%")
        elif isinstance(query, dict):
            for name, text in query.items():
                if name not in known or known[name] != "text":
                    raise invalid(
                        f'field "{name}" not in table or not text',
                        field="q",
                        code=OpendataErrorCode.DATASTORE_UNKNOWN_FIELD,
                    )
                if not isinstance(text, str):
                    raise invalid("q theo cột cần giá trị chuỗi.", field="q")
                clauses.append(f"LOWER({q(name)}) LIKE %s")
                params.append(f"%{_escape_like(text.lower())}%")
        else:
            raise invalid("q phải là chuỗi hoặc đối tượng {cột: chuỗi}.", field="q")
    if _vendor() == "sqlite":
        clauses = [c.replace("LIKE %s", "LIKE %s ESCAPE '\\'") for c in clauses]
    else:
        clauses = [c.replace("LIKE %s", "LIKE %s ESCAPE '\\'") for c in clauses]
    return clauses, params


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _order(fields: list[dict[str, Any]], sort: Any) -> str:
    known = _field_map(fields)
    if sort in (None, ""):
        return 'ORDER BY "_id"'
    parts = sort if isinstance(sort, list) else str(sort).split(",")
    terms = []
    for part in parts[:10]:
        if not isinstance(part, str):
            raise invalid("sort không hợp lệ.", field="sort")
        words = part.strip().rsplit(" ", 1)
        name = words[0].strip().strip('"')
        direction = "ASC"
        if len(words) == 2 and words[1].lower() in ("asc", "desc"):
            direction = words[1].upper()
        elif len(words) == 2:
            name = part.strip().strip('"')
        if name not in known:
            raise invalid(
                f'field "{name}" not in table',
                field="sort",
                code=OpendataErrorCode.DATASTORE_UNKNOWN_FIELD,
            )
        terms.append(f"{q(name)} {direction}")
    terms.append('"_id" ASC')
    return "ORDER BY " + ", ".join(terms)


def search(
    *,
    table: str,
    fields: list[dict[str, Any]],
    cached_total: int,
    filters: Any = None,
    query: Any = None,
    columns: Any = None,
    sort: Any = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
    include_total: bool = True,
    distinct: bool = False,
) -> dict[str, Any]:
    """Rows of one datastore table: `fields`, `records` (dicts), `total`."""
    known = _field_map(fields)
    if columns in (None, "", []):
        selected = ["_id", *[f["id"] for f in fields]]
    else:
        selected = columns if isinstance(columns, list) else str(columns).split(",")
        selected = [str(c).strip() for c in selected]
        for name in selected:
            if name not in known:
                raise invalid(
                    f'field "{name}" not in table',
                    field="fields",
                    code=OpendataErrorCode.DATASTORE_UNKNOWN_FIELD,
                )
    clauses, params = _where(fields, filters, query)
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    order = _order(fields, sort)
    column_sql = ", ".join(q(c) for c in selected)
    if distinct:
        order = order.replace('"_id" ASC', "").rstrip(", ")
        if order.strip() == "ORDER BY":
            order = ""
        sql = f"SELECT DISTINCT {column_sql} FROM {q(table)}{where} {order} LIMIT %s OFFSET %s"  # noqa: S608 - quoted, checked identifiers
    else:
        sql = f"SELECT {column_sql} FROM {q(table)}{where} {order} LIMIT %s OFFSET %s"  # noqa: S608 - quoted, checked identifiers
    # the replica inside a read-heavy call that got it (ckan.datastore_search), else default
    with connections[current_alias()].cursor() as cursor:
        cursor.execute(sql, [*params, limit, offset])
        rows = cursor.fetchall()
        total = None
        if include_total:
            if not clauses and not distinct:
                total = cached_total
            elif distinct:
                cursor.execute(
                    f"SELECT COUNT(*) FROM (SELECT DISTINCT {column_sql} FROM {q(table)}{where}) d",  # noqa: S608 - quoted, checked identifiers
                    params,
                )
                total = int(cursor.fetchone()[0])
            else:
                cursor.execute(f"SELECT COUNT(*) FROM {q(table)}{where}", params)  # noqa: S608 - quoted, checked identifiers
                total = int(cursor.fetchone()[0])
    records = [
        {name: _out(value, known[name]) for name, value in zip(selected, row, strict=True)}
        for row in rows
    ]
    result_fields = [{"id": name, "type": _ckan_type(known[name])} for name in selected]
    return {"fields": result_fields, "records": records, "total": total}


def _ckan_type(kind: str) -> str:
    return {"int": "int", "numeric": "numeric", "bool": "bool"}.get(kind, kind)


@transaction.atomic
def replace_rows(*, table: str, fields: list[dict[str, Any]], rows: list[list[Any]]) -> int:
    return insert_rows(table, fields, rows)
