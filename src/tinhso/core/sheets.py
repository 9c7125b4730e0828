"""Writing stored text into spreadsheets (XLSX) so that no stored value can break the file.

openpyxl refuses a whole workbook for one control character (`IllegalCharacterError`)
and turns any string starting with "=" into a live formula. Exports write every row
through `append_row`: text is cleaned with the rules of `tinhso.core.text.clean_text`
and openpyxl's own `ILLEGAL_CHARACTERS_RE`, cut to Excel's cell maximum, and always
written as text (a citizen's name "=HYPERLINK(...)" stays a name in the official's file).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from tinhso.core.text import clean_text

EXCEL_CELL_MAX = 32_767  # characters Excel keeps in one cell


def cell_text(value: str) -> str:
    text = ILLEGAL_CHARACTERS_RE.sub("", clean_text(value, multiline=True))
    if len(text) > EXCEL_CELL_MAX:
        text = text[: EXCEL_CELL_MAX - 1] + "…"
    return text


def cell_value(value: Any) -> Any:
    return cell_text(value) if isinstance(value, str) else value


def append_row(ws: Any, values: Iterable[Any]) -> None:
    """`ws.append(values)` with every string cleaned and stored as text, never a formula."""
    row = [cell_value(v) for v in values]
    ws.append(row)
    for cell, value in zip(ws[ws.max_row], row, strict=False):
        if isinstance(value, str) and cell.data_type == "f":
            cell.data_type = "s"
