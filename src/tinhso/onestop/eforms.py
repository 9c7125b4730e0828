"""E-forms (tờ khai điện tử): a procedure's form is a JSON Schema, rendered and validated here.

Supported subset of JSON Schema draft 2020-12
--------------------------------------------
The root is ``{"type": "object", "properties": {...}, "required": [...]}``. A property is

- ``string`` (``minLength``, ``maxLength``, ``pattern``; ``format: "date"`` for a date
  ``YYYY-MM-DD``; ``format: "email"``; ``"x-widget": "textarea"`` for long text),
- ``integer`` / ``number`` (``minimum``, ``maximum``),
- ``boolean`` (a checkbox),
- anything with ``enum`` (a select list; ``"x-enum-titles"`` gives the labels),
- ``array`` of strings (``items: {"type": "string"}``: one value per line in a textarea;
  ``items`` with an ``enum``: checkboxes; ``minItems``/``maxItems``),
- ``object`` with its own ``properties``/``required``: a group, rendered as a fieldset.

``title`` is the label, ``description`` the help text (both in Vietnamese). JSON key order
is not kept by every database (PostgreSQL ``jsonb`` sorts keys), so each object may carry
``"x-order": [names]``; `normalise_schema` adds it from the dict order at import time.

Field paths are dotted (``applicant.full_name``); HTML inputs are named
``<prefix>-<path>`` and get the id ``<prefix>-<path with dots as dashes>``.

The public API used by the services: `validate_form_data(schema, data)` returns the
cleaned data or raises `ValidationFailed` whose ``details["fields"]`` maps each field path
to its Vietnamese messages.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError

from tinhso.core.errors import ValidationFailed

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SIMPLE_TYPES = {"string", "integer", "number", "boolean"}
SUPPORTED_FORMATS = {"date", "email"}
DEFAULT_PREFIX = "ef"

_FORMAT_CHECKER = FormatChecker(formats=["date", "email"])


# ---------------------------------------------------------------------------------------
# Schema helpers


def ordered_properties(node: Mapping[str, Any]) -> list[tuple[str, dict]]:
    """The properties of an object node in display order (``x-order`` first)."""
    props = node.get("properties") or {}
    order = [name for name in node.get("x-order") or [] if name in props]
    order += [name for name in props if name not in order]
    return [(name, props[name]) for name in order]


def normalise_schema(schema: Mapping[str, Any]) -> dict:
    """A copy with ``x-order`` on every object node (from the current key order)."""
    result = copy.deepcopy(dict(schema))

    def walk(node: dict) -> None:
        if node.get("type") == "object" and isinstance(node.get("properties"), dict):
            node["x-order"] = [name for name, _ in ordered_properties(node)]
            for child in node["properties"].values():
                if isinstance(child, dict):
                    walk(child)

    walk(result)
    result.setdefault("$schema", SCHEMA_DIALECT)
    return result


def schema_problems(schema: Any) -> list[str]:
    """What is wrong with an e-form schema (empty list: usable). Messages in Vietnamese.

    Kept per schema text: checking a schema against the JSON Schema meta-schema takes
    ~20 ms, and a catalogue's procedures share a handful of forms."""
    if not isinstance(schema, dict):
        return ["Biểu mẫu điện tử phải là một đối tượng JSON."]
    try:
        text = json.dumps(schema, ensure_ascii=False)
    except (TypeError, ValueError):  # not JSON (a date, a set): checked, not kept
        return _schema_problems(schema)
    return list(_problems_of_text(text))


@functools.lru_cache(maxsize=512)
def _problems_of_text(text: str) -> tuple[str, ...]:
    return tuple(_schema_problems(json.loads(text)))


def _schema_problems(schema: dict) -> list[str]:
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        return [f"Lược đồ JSON không hợp lệ: {exc.message}"]
    problems: list[str] = []
    if schema.get("type") != "object" or not isinstance(schema.get("properties"), dict):
        return ['Gốc của biểu mẫu phải có "type": "object" và "properties".']

    def walk(node: dict, path: str) -> None:
        props = node.get("properties") or {}
        for name in node.get("required") or []:
            if name not in props:
                problems.append(f"{path or 'gốc'}: trường bắt buộc '{name}' không được khai báo.")
        for name, prop in props.items():
            where = f"{path}.{name}" if path else name
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                problems.append(f"{where}: tên trường chỉ gồm chữ không dấu, số và '_'.")
            if not isinstance(prop, dict):
                problems.append(f"{where}: khai báo trường phải là đối tượng.")
                continue
            kind = prop.get("type")
            if "enum" in prop:
                continue
            if kind == "object":
                walk(prop, where)
            elif kind == "array":
                items = prop.get("items") or {}
                if items.get("type") != "string" and "enum" not in items:
                    problems.append(f"{where}: chỉ hỗ trợ danh sách chuỗi.")
            elif kind not in SIMPLE_TYPES:
                problems.append(f"{where}: kiểu '{kind}' không được hỗ trợ.")
            elif prop.get("format") and prop["format"] not in SUPPORTED_FORMATS:
                problems.append(f"{where}: định dạng '{prop['format']}' không được hỗ trợ.")

    walk(schema, "")
    return problems


def iter_fields(schema: Mapping[str, Any], path: str = "") -> Iterator[tuple[str, dict]]:
    """Every leaf field as (dotted path, property schema), in display order."""
    for name, prop in ordered_properties(schema):
        where = f"{path}.{name}" if path else name
        if prop.get("type") == "object" and "enum" not in prop:
            yield from iter_fields(prop, where)
        else:
            yield where, prop


def _lookup(schema: Mapping[str, Any], dotted: str) -> dict | None:
    node: Any = schema
    for part in dotted.split("."):
        node = (node.get("properties") or {}).get(part) if isinstance(node, dict) else None
        if node is None:
            return None
    return node


# ---------------------------------------------------------------------------------------
# Validation


def _fmt_num(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        return f"{value:,}".replace(",", ".")
    return str(value).replace(".", ",")


def _message(error, prop: dict | None) -> str:
    validator, value = error.validator, error.validator_value
    prop = prop or {}
    custom = prop.get("x-error")
    if validator == "minLength":
        if value == 1:
            return "Trường này là bắt buộc."
        return f"Phải có ít nhất {value} ký tự."
    if validator == "maxLength":
        return f"Không được quá {value} ký tự."
    if validator == "pattern":
        return custom or "Không đúng định dạng."
    if validator == "format":
        if value == "date":
            return "Ngày không hợp lệ (định dạng ngày/tháng/năm)."
        if value == "email":
            return "Địa chỉ thư điện tử không hợp lệ."
        return "Không đúng định dạng."
    if validator in ("minimum", "exclusiveMinimum"):
        word = "lớn hơn hoặc bằng" if validator == "minimum" else "lớn hơn"
        return f"Phải {word} {_fmt_num(value)}."
    if validator in ("maximum", "exclusiveMaximum"):
        word = "nhỏ hơn hoặc bằng" if validator == "maximum" else "nhỏ hơn"
        return f"Phải {word} {_fmt_num(value)}."
    if validator == "type":
        kinds = value if isinstance(value, list) else [value]
        if "integer" in kinds:
            return "Phải là số nguyên."
        if "number" in kinds:
            return "Phải là số."
        if "boolean" in kinds:
            return "Phải là có hoặc không."
        if "array" in kinds:
            return "Phải là danh sách."
        return "Giá trị không đúng kiểu dữ liệu."
    if validator in ("enum", "const"):
        return custom or "Giá trị không nằm trong danh sách được chọn."
    if validator == "minItems":
        return f"Phải chọn hoặc nhập ít nhất {value} mục."
    if validator == "maxItems":
        return f"Không được quá {value} mục."
    if validator == "uniqueItems":
        return "Các mục không được trùng nhau."
    return custom or "Giá trị không hợp lệ."


@dataclass
class FieldErrors:
    by_field: dict[str, list[str]] = field(default_factory=dict)

    def add(self, path: str, message: str) -> None:
        messages = self.by_field.setdefault(path, [])
        if message not in messages:
            messages.append(message)

    def __bool__(self) -> bool:
        return bool(self.by_field)


def _clean(node: Mapping[str, Any], data: Any) -> Any:
    """Keep only declared keys, strip strings, drop empty values (so `required` applies)."""
    if not isinstance(data, Mapping):
        return data
    result: dict[str, Any] = {}
    for name, prop in ordered_properties(node):
        if name not in data:
            continue
        value = data[name]
        if prop.get("type") == "object" and "enum" not in prop:
            value = _clean(prop, value)
            if value == {} and name not in (node.get("required") or []):
                continue
        elif isinstance(value, str):
            value = value.strip()
            if value == "":
                continue
        elif isinstance(value, list):
            value = [v.strip() if isinstance(v, str) else v for v in value]
            value = [v for v in value if v != ""]
            if not value and prop.get("type") == "array" and not prop.get("minItems"):
                value = []
        elif value is None:
            continue
        result[name] = value
    return result


def collect_errors(schema: Mapping[str, Any], data: Any) -> tuple[Any, FieldErrors]:
    """(cleaned data, errors per field path) — never raises for bad data."""
    cleaned = _clean(schema, data if isinstance(data, Mapping) else {})
    errors = FieldErrors()
    validator = Draft202012Validator(schema, format_checker=_FORMAT_CHECKER)
    for error in validator.iter_errors(cleaned):
        base = ".".join(str(p) for p in error.path if not isinstance(p, int))
        if error.validator == "required":
            instance = error.instance if isinstance(error.instance, Mapping) else {}
            for name in error.validator_value:
                if name not in instance:
                    path = f"{base}.{name}" if base else name
                    errors.add(path, "Trường này là bắt buộc.")
            continue
        if error.validator == "additionalProperties":
            continue  # unknown keys were dropped by _clean
        path = base or "__all__"
        errors.add(path, _message(error, _lookup(schema, base) if base else None))
    return cleaned, errors


def validate_form_data(schema: Mapping[str, Any], data: Any) -> dict:
    """Cleaned e-form data, or `ValidationFailed` with ``details={"fields": {path: [...]}}``."""
    cleaned, errors = collect_errors(schema, data)
    if errors:
        count = len(errors.by_field)
        raise ValidationFailed(
            f"Tờ khai còn {count} trường chưa hợp lệ. Vui lòng kiểm tra lại.",
            code="eform_invalid",
            details={"fields": errors.by_field},
        )
    return cleaned


# ---------------------------------------------------------------------------------------
# HTML form data → JSON data


def _coerce(prop: dict, raw: str | None) -> Any:
    """Turn one submitted string into the property's type; leave it as-is when it can't."""
    if raw is None:
        return None
    raw = raw.strip()
    kind = prop.get("type")
    if raw == "":
        return ""
    if kind == "integer":
        digits = raw.replace(".", "").replace(" ", "")
        return int(digits) if re.fullmatch(r"-?\d+", digits) else raw
    if kind == "number":
        text = raw.replace(" ", "")
        if "," in text:
            text = text.replace(".", "").replace(",", ".")
        try:
            number = float(text)
        except ValueError:
            return raw
        return int(number) if number.is_integer() else number
    if "enum" in prop:
        for option in prop["enum"]:
            if str(option) == raw:
                return option
    return raw


def parse_form_data(schema: Mapping[str, Any], post: Any, prefix: str = DEFAULT_PREFIX) -> dict:
    """Read the e-form's inputs out of a QueryDict (or plain dict) into JSON-shaped data."""

    def getlist(name: str) -> list[str]:
        if hasattr(post, "getlist"):
            return post.getlist(name)
        value = post.get(name)
        if value is None:
            return []
        return value if isinstance(value, list) else [value]

    def walk(node: Mapping[str, Any], path: str) -> dict:
        result: dict[str, Any] = {}
        for name, prop in ordered_properties(node):
            where = f"{path}.{name}" if path else name
            key = f"{prefix}-{where}"
            kind = prop.get("type")
            if kind == "object" and "enum" not in prop:
                result[name] = walk(prop, where)
            elif kind == "boolean":
                result[name] = post.get(key) in ("on", "true", "1", "yes")
            elif kind == "array":
                items = prop.get("items") or {}
                if "enum" in items:
                    result[name] = [_coerce(items, v) for v in getlist(key)]
                else:
                    text = post.get(key) or ""
                    result[name] = [line.strip() for line in text.splitlines() if line.strip()]
            else:
                value = _coerce(prop, post.get(key))
                if value is not None:
                    result[name] = value
        return result

    return walk(schema, "")


# ---------------------------------------------------------------------------------------
# Rendering


def _html_id(prefix: str, path: str) -> str:
    return f"{prefix}-{path.replace('.', '-')}"


def _get(data: Any, path: str) -> Any:
    node = data
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _join(parts: list) -> SafeString:
    """Concatenate already-safe fragments (each was built with format_html)."""
    return format_html_join("", "{}", ((part,) for part in parts))


def _attrs(pairs: list[tuple[str, Any]]) -> SafeString:
    parts = []
    for name, value in pairs:
        if value is None or value is False:
            continue
        if value is True:
            parts.append(format_html(" {}", name))
        else:
            parts.append(format_html(' {}="{}"', name, value))
    return _join(parts)


def _enum_titles(prop: dict) -> list[tuple[Any, str]]:
    values = prop.get("enum") or []
    titles = prop.get("x-enum-titles") or []
    return [(v, titles[i] if i < len(titles) else str(v)) for i, v in enumerate(values)]


def _render_field(
    path: str,
    prop: dict,
    *,
    required: bool,
    value: Any,
    errors: list[str],
    prefix: str,
    readonly: bool,
) -> SafeString:
    html_id = _html_id(prefix, path)
    name = f"{prefix}-{path}"
    label = prop.get("title") or path.rsplit(".", 1)[-1]
    help_id = f"{html_id}-help" if prop.get("description") else None
    error_id = f"{html_id}-error" if errors else None
    described = " ".join(x for x in (help_id, error_id) if x) or None
    invalid = "true" if errors else None
    kind = prop.get("type")
    marker = (
        mark_safe(
            ' <span class="text-danger" aria-hidden="true">*</span>'
            '<span class="visually-hidden"> (bắt buộc)</span>'
        )
        if required
        else ""
    )
    help_html = (
        format_html('<div id="{}" class="form-text">{}</div>', help_id, prop["description"])
        if help_id
        else ""
    )
    error_html = (
        format_html(
            '<div id="{}" class="invalid-feedback d-block">{}</div>',
            error_id,
            format_html_join(" ", "{}", ((m,) for m in errors)),
        )
        if errors
        else ""
    )
    invalid_class = " is-invalid" if errors else ""
    common = [
        ("aria-describedby", described),
        ("aria-invalid", invalid),
        ("required", required and kind != "boolean"),
        ("disabled", readonly),
    ]

    if kind == "boolean":
        control = format_html(
            '<div class="form-check"><input type="checkbox" class="form-check-input{}"'
            ' id="{}" name="{}"{}><label class="form-check-label" for="{}">{}{}</label></div>',
            invalid_class,
            html_id,
            name,
            _attrs([*common, ("checked", bool(value))]),
            html_id,
            label,
            marker,
        )
        return format_html(
            '<div class="mb-3 eform-field">{}{}{}</div>', control, help_html, error_html
        )

    if kind == "array":
        items = prop.get("items") or {}
        if "enum" in items:
            chosen = {str(v) for v in (value or [])}
            boxes = []
            for i, (option, title) in enumerate(_enum_titles(items)):
                box_id = f"{html_id}-{i}"
                boxes.append(
                    format_html(
                        '<div class="form-check"><input type="checkbox" class="form-check-input"'
                        ' id="{}" name="{}" value="{}"{}><label class="form-check-label"'
                        ' for="{}">{}</label></div>',
                        box_id,
                        name,
                        option,
                        _attrs([("checked", str(option) in chosen), ("disabled", readonly)]),
                        box_id,
                        title,
                    )
                )
            return format_html(
                '<fieldset class="mb-3 eform-field"{}><legend class="form-label fs-6">{}{}'
                "</legend>{}{}{}</fieldset>",
                _attrs([("aria-describedby", described)]),
                label,
                marker,
                _join(boxes),
                help_html,
                error_html,
            )
        text = "\n".join(str(v) for v in (value or []))
        control = format_html(
            '<textarea class="form-control{}" id="{}" name="{}" rows="3"{}>{}</textarea>',
            invalid_class,
            html_id,
            name,
            _attrs(common),
            text,
        )
    elif "enum" in prop:
        options = [format_html('<option value="">{}</option>', "— Chọn —")]
        for option, title in _enum_titles(prop):
            options.append(
                format_html(
                    '<option value="{}"{}>{}</option>',
                    option,
                    _attrs([("selected", value is not None and str(value) == str(option))]),
                    title,
                )
            )
        control = format_html(
            '<select class="form-select{}" id="{}" name="{}"{}>{}</select>',
            invalid_class,
            html_id,
            name,
            _attrs(common),
            _join(options),
        )
    elif kind == "string" and prop.get("x-widget") == "textarea":
        control = format_html(
            '<textarea class="form-control{}" id="{}" name="{}" rows="4"{}>{}</textarea>',
            invalid_class,
            html_id,
            name,
            _attrs([*common, ("maxlength", prop.get("maxLength"))]),
            "" if value is None else value,
        )
    else:
        input_type = "text"
        extra: list[tuple[str, Any]] = []
        if kind in ("integer", "number"):
            input_type = "number"
            extra += [
                ("min", prop.get("minimum")),
                ("max", prop.get("maximum")),
                ("step", "1" if kind == "integer" else "any"),
                ("inputmode", "numeric" if kind == "integer" else "decimal"),
            ]
        elif prop.get("format") == "date":
            input_type = "date"
        elif prop.get("format") == "email":
            input_type = "email"
            extra.append(("autocomplete", "email"))
        else:
            extra += [("maxlength", prop.get("maxLength")), ("minlength", prop.get("minLength"))]
            if prop.get("pattern"):
                # Browsers compile `pattern` with the v flag: a literal "-" ending a class
                # must be escaped there ([0-9A-Z.-] → [0-9A-Z.\-]).
                html_pattern = prop["pattern"].lstrip("^").rstrip("$").replace("-]", "\\-]")
                extra.append(("pattern", html_pattern))
        if prop.get("x-autocomplete"):
            extra.append(("autocomplete", prop["x-autocomplete"]))
        control = format_html(
            '<input type="{}" class="form-control{}" id="{}" name="{}"{}>',
            input_type,
            invalid_class,
            html_id,
            name,
            _attrs([("value", None if value is None else value), *common, *extra]),
        )
    return format_html(
        '<div class="mb-3 eform-field"><label class="form-label" for="{}">{}{}</label>{}{}{}</div>',
        html_id,
        label,
        marker,
        control,
        help_html,
        error_html,
    )


def render_form(
    schema: Mapping[str, Any],
    data: Any = None,
    errors: Mapping[str, list[str]] | None = None,
    *,
    prefix: str = DEFAULT_PREFIX,
    readonly: bool = False,
) -> SafeString:
    """The e-form's fields as accessible HTML (no <form> tag: the page supplies it)."""
    errors = errors or {}
    data = data or {}

    def walk(node: Mapping[str, Any], path: str, required_names: set[str]) -> SafeString:
        parts = []
        for name, prop in ordered_properties(node):
            where = f"{path}.{name}" if path else name
            if prop.get("type") == "object" and "enum" not in prop:
                inner = walk(prop, where, set(prop.get("required") or []))
                desc_id = f"{_html_id(prefix, where)}-help" if prop.get("description") else None
                parts.append(
                    format_html(
                        '<fieldset class="border rounded p-3 mb-3 eform-group" id="{}"{}>'
                        '<legend class="float-none w-auto px-2 fs-6 fw-semibold">{}</legend>'
                        "{}{}</fieldset>",
                        _html_id(prefix, where),
                        _attrs([("aria-describedby", desc_id)]),
                        prop.get("title") or name,
                        format_html(
                            '<p id="{}" class="form-text">{}</p>', desc_id, prop["description"]
                        )
                        if desc_id
                        else "",
                        inner,
                    )
                )
            else:
                parts.append(
                    _render_field(
                        where,
                        prop,
                        required=name in required_names,
                        value=_get(data, where),
                        errors=list(errors.get(where, [])),
                        prefix=prefix,
                        readonly=readonly,
                    )
                )
        return _join(parts)

    body = walk(schema, "", set(schema.get("required") or []))
    general = errors.get("__all__")
    if general:
        body = format_html(
            '<div class="alert alert-danger" role="alert">{}</div>{}',
            " ".join(general),
            body,
        )
    return body


# ---------------------------------------------------------------------------------------
# Display


def _display(prop: dict, value: Any) -> str:
    if value is None or value == "" or value == []:
        return ""
    if prop.get("type") == "boolean":
        return "Có" if value else "Không"
    if "enum" in prop:
        titles = dict(_enum_titles(prop))
        return str(titles.get(value, value))
    if prop.get("type") == "array":
        items = prop.get("items") or {}
        titles = dict(_enum_titles(items)) if "enum" in items else {}
        return "; ".join(str(titles.get(v, v)) for v in value)
    if prop.get("format") == "date" and isinstance(value, str):
        try:
            return date.fromisoformat(value).strftime("%d/%m/%Y")
        except ValueError:
            return value
    if prop.get("type") in ("integer", "number") and isinstance(value, (int, float)):
        return _fmt_num(value)
    return str(value)


def summarise(schema: Mapping[str, Any], data: Any) -> list[tuple[str, str]]:
    """(label, shown value) for every filled field, group titles prefixed: for pages & PDFs."""
    rows: list[tuple[str, str]] = []

    def walk(node: Mapping[str, Any], values: Any, group: str) -> None:
        for name, prop in ordered_properties(node):
            value = values.get(name) if isinstance(values, Mapping) else None
            if prop.get("type") == "object" and "enum" not in prop:
                walk(prop, value or {}, prop.get("title") or name)
                continue
            shown = _display(prop, value)
            if shown:
                label = prop.get("title") or name
                rows.append((f"{group} — {label}" if group else label, shown))

    walk(schema, data or {}, "")
    return rows
