"""Adapters that write the periodic report to the national monitoring centre (NCSC).

The NCSC's data-sharing format and transport are not published (domain notes: open), so
the report is built once as plain data (`selectors.national_report_data`) and each
adapter writes it in one format. Add an adapter here when the centre fixes its format.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

Writer = Callable[[dict[str, Any]], tuple[str, str, str]]  # -> (content, content type, ext)


def _public(data: dict[str, Any]) -> dict[str, Any]:
    clean = dict(data)
    clean["incidents"] = [
        {k: v for k, v in row.items() if not k.startswith("_")} for row in data["incidents"]
    ]
    return clean


def ncsc_json(data: dict[str, Any]) -> tuple[str, str, str]:
    body = {"schema": "tinhso.soc-report/1", **_public(data)}
    return (
        json.dumps(body, ensure_ascii=False, indent=2, default=str),
        "application/json",
        "json",
    )


def incidents_csv(data: dict[str, Any]) -> tuple[str, str, str]:
    out = io.StringIO()
    rows = _public(data)["incidents"]
    columns = [
        "code",
        "title",
        "severity",
        "category",
        "status",
        "agency_code",
        "agency",
        "system_code",
        "system_level",
        "opened_at",
        "deadline",
        "resolved_at",
        "overdue",
        "alerts",
    ]
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return out.getvalue(), "text/csv; charset=utf-8", "csv"


ADAPTERS: dict[str, Writer] = {"ncsc-json": ncsc_json, "csv": incidents_csv}
