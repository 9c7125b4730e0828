"""The DCAT-VN extra metadata, as data (`data/dcat_vn_schema.json`), and its validation.

The form, the API and the DCAT output all read this list: adding a field to the JSON
file is enough for it to be asked, checked, stored in `Dataset.extras` and published.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from tinhso.core.text import clean_text
from tinhso.opendata.errors import OpendataErrorCode, OpendataValidation

SCHEMA_PATH = Path(__file__).parent / "data" / "dcat_vn_schema.json"


@cache
def extra_fields() -> list[dict[str, Any]]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))["fields"]


def defaults() -> dict[str, Any]:
    return {f["key"]: f["default"] for f in extra_fields() if "default" in f}


def clean_extras(values: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """The extras checked against the schema: known keys, right types, required present."""
    if not isinstance(values, dict):
        raise OpendataValidation("extras không hợp lệ.", field="extras")
    by_key = {f["key"]: f for f in extra_fields()}
    unknown = sorted(set(values) - set(by_key))
    if unknown:
        raise OpendataValidation(
            f"Trường mở rộng '{unknown[0][:50]}' không có trong lược đồ DCAT-VN.",
            code=OpendataErrorCode.INVALID_METADATA,
            field="extras",
        )
    result: dict[str, Any] = {}
    for key, spec in by_key.items():
        value = values.get(key)
        if value in (None, ""):
            if spec.get("required") and not partial:
                if "default" in spec:
                    result[key] = spec["default"]
                    continue
                raise OpendataValidation(f"Thiếu trường bắt buộc: {spec['label']}.", field="extras")
            continue
        if not isinstance(value, str):
            value = str(value)
        value = clean_text(value).strip()
        label = spec["label"]
        if len(value) > spec.get("max_length", 1000):
            raise OpendataValidation(f"{label}: quá dài.", field="extras")
        if spec["type"] == "date":
            try:
                dt.date.fromisoformat(value)
            except ValueError:
                raise OpendataValidation(
                    f"{label}: cần ngày dạng YYYY-MM-DD.", field="extras"
                ) from None
        elif spec["type"] == "url":
            try:
                URLValidator(schemes=["http", "https"])(value)
            except ValidationError:
                raise OpendataValidation(
                    f"{label}: đường dẫn không hợp lệ.", field="extras"
                ) from None
        elif spec["type"] == "choice" and value not in {c[0] for c in spec["choices"]}:
            raise OpendataValidation(f"{label}: giá trị không hợp lệ.", field="extras")
        result[key] = value
    return result
