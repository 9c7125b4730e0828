"""Agency electronic ID codes, in both forms of domain/agencies.md.

- Decision 20/2020/QĐ-TTg (amended 09/2025): up to 35 chars of `.`, `0-9`, `A-Z`,
  dot-separated groups, level 1 on the LEFT (`H57`, `G01`, `H55.242`).
- QCVN 102:2016 legacy form `V1V2V3.Z1Z2.Y1Y2.MX1X2`: level 1 on the RIGHT
  (`000.00.00.H30`), unused levels zero; used in edXML packages and dossier codes.
"""

from __future__ import annotations

import re

from tinhso.core.errors import ValidationFailed

DECISION20_RE = re.compile(r"^[A-Z][0-9A-Z]*(\.[0-9A-Z]+)*$")
LEGACY_RE = re.compile(r"^(\d{3})\.(\d{2})\.(\d{2})\.([A-Z]\d{2})$")


class InvalidAgencyCode(ValidationFailed):
    code = "invalid_agency_code"


def validate_code(value: str) -> str:
    """Validate a Decision 20 code and return it normalised (upper case, trimmed)."""
    code = (value or "").strip().upper()
    if not code or len(code) > 35 or not DECISION20_RE.match(code):
        raise InvalidAgencyCode(
            f"Mã định danh '{value}' không hợp lệ: tối đa 35 ký tự gồm chữ in hoa, chữ số "
            "và dấu chấm; nhóm đầu (cấp 1) bắt đầu bằng chữ cái, ví dụ H57 hoặc H55.242."
        )
    return code


def validate_legacy_code(value: str) -> str:
    """Validate a QCVN 102:2016 code (`000.00.00.H30`) and return it normalised.

    Levels fill from the right: a lower level cannot be set while a higher one is zero
    (`000.01.00.H30` is rejected).
    """
    code = (value or "").strip().upper()
    match = LEGACY_RE.match(code)
    if not match:
        raise InvalidAgencyCode(
            f"Mã định danh '{value}' không đúng dạng QCVN 102:2016 "
            "(V1V2V3.Z1Z2.Y1Y2.MX1X2, ví dụ 000.00.00.H30)."
        )
    v, z, y, _m = match.groups()
    if (y == "00" and (z != "00" or v != "000")) or (z == "00" and v != "000"):
        raise InvalidAgencyCode(
            f"Mã định danh '{value}' không hợp lệ theo QCVN 102:2016: cấp dưới chỉ được "
            "khác 0 khi cấp trên đã có mã (ví dụ 000.01.01.H08)."
        )
    return code


def is_legacy_form(value: str) -> bool:
    """True when `value` looks like the QCVN 102 form (starts with a digit)."""
    value = (value or "").strip()
    return bool(value) and value[0].isdigit()


def normalize_any(value: str) -> tuple[str, str]:
    """Validate a code in either form: returns (form, normalised code).

    form is "decision20" or "legacy". Raises InvalidAgencyCode (code `invalid_agency_code`).
    """
    if is_legacy_form(value):
        return "legacy", validate_legacy_code(value)
    return "decision20", validate_code(value)


def decision20_level(code: str) -> int:
    """Level of a Decision 20 code: the number of dot-separated groups."""
    return code.count(".") + 1


def legacy_level(code: str) -> int:
    """Level of an agency from its legacy code: 1 (province/ministry) to 4."""
    v, z, y, _m = LEGACY_RE.match(code).groups()  # type: ignore[union-attr]
    if v != "000":
        return 4
    if z != "00":
        return 3
    if y != "00":
        return 2
    return 1
