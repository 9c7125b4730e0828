"""Vietnamese text helpers.

Search must be diacritics-insensitive: "so tai chinh" finds "Sở Tài chính" and
"da nang" finds "Đà Nẵng". `đ` is a letter of its own, not `d` with an accent, so
Unicode decomposition alone leaves it; we map it explicitly.
"""

from __future__ import annotations

import re
import unicodedata

_D_MAP = str.maketrans({"đ": "d", "Đ": "d"})
_SPACES = re.compile(r"\s+")


def fold(text: str | None) -> str:
    """Lower-case, strip diacritics (incl. đ→d) and collapse whitespace."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", text.translate(_D_MAP))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return _SPACES.sub(" ", stripped.lower()).strip()


def slug_ascii(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")


# ---------------------------------------------------------------------------------------
# Cleaning text that comes in (forms, API, imports) before it is stored.
#
# One rule for every stored string: Unicode NFC (Vietnamese typed on macOS arrives
# decomposed), no control characters (they break XML-based files such as XLSX and DOCX,
# PostgreSQL refuses NUL), no lone surrogates (not encodable as UTF-8) and no Unicode
# non-characters. A single-line field turns line breaks and tabs into spaces; a
# multi-line field keeps "\n" and "\t" (a Windows "\r\n" or an old Mac "\r" becomes "\n").

_LINE_BREAKS = re.compile(r"\r\n?|[\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_SINGLE_LINE_SPACES = re.compile(r"[\t\n\x1f]")
# Cc (C0 and C1 controls, DEL), surrogates, and the non-characters U+FFFE/U+FFFF (illegal
# in XML). "\n" and "\t" are handled before this runs.
_UNWANTED = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def clean_text(value: str, *, multiline: bool = False) -> str:
    """`value` as it may be stored: NFC, without control characters (see above).

    Idempotent: `clean_text(clean_text(s)) == clean_text(s)`. Leading and trailing
    spaces are kept (forms strip them already; stored keys and secrets are left as given).
    """
    if not value:
        return value
    if value.isprintable() and value.isascii():
        return value  # the common case for codes, hashes and e-mail addresses
    text = _LINE_BREAKS.sub("\n", value)
    if not multiline:
        text = _SINGLE_LINE_SPACES.sub(" ", text)
    text = _UNWANTED.sub("", text)
    return unicodedata.normalize("NFC", text)


MAX_JSON_DEPTH = 64


class JsonTooDeep(ValueError):
    """JSON nested deeper than `MAX_JSON_DEPTH` (no form or register needs that)."""


def clean_json(value: object, *, _depth: int = 0) -> object:
    """The same cleaning for every string inside JSON data (keys and values)."""
    if isinstance(value, str):
        return clean_text(value, multiline=True)
    if isinstance(value, dict | list | tuple) and _depth >= MAX_JSON_DEPTH:
        raise JsonTooDeep(MAX_JSON_DEPTH)
    if isinstance(value, dict):
        return {
            (clean_text(k) if isinstance(k, str) else k): clean_json(v, _depth=_depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [clean_json(v, _depth=_depth + 1) for v in value]
    return value


def longest_string(value: object) -> tuple[str, int]:
    """The path (like `ho_ten` or `items[2]`) and length of the longest string in JSON."""
    best = ("", 0)
    stack: list[tuple[str, object]] = [("", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if len(item) > best[1]:
                best = (path, len(item))
        elif isinstance(item, dict):
            for k, v in item.items():
                stack.append((f"{path}.{k}" if path else str(k), v))
        elif isinstance(item, list | tuple):
            for i, v in enumerate(item):
                stack.append((f"{path}[{i}]", v))
    return best
