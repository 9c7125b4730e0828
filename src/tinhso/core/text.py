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
# Vietnamese collation (how people expect lists sorted): the letters of the alphabet in
# order (a ă â b c d đ e ê … o ô ơ … u ư …), then the tones as a secondary difference
# (none, huyền, hỏi, ngã, sắc, nặng), then case. Code-point order puts "Thành lập"
# before "Tài nguyên nước" and "Đ" after "Z"; this key does not. It mirrors ICU's "vi"
# collation, which PostgreSQL uses for ORDER BY (tinhso.core.collation).

_VI_LETTERS = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_VI_RANK = {letter: rank for rank, letter in enumerate(_VI_LETTERS)}
_VI_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}


def vi_sort_key(text: str | None) -> tuple[tuple, tuple, tuple]:
    """Sort key for Vietnamese text: `sorted(names, key=vi_sort_key)`."""
    primary: list[tuple[int, int]] = []
    secondary: list[int] = []
    tertiary: list[int] = []
    for char in unicodedata.normalize("NFC", text or ""):
        decomposed = unicodedata.normalize("NFD", char)
        tone = 0
        letter = decomposed[0]
        for mark in decomposed[1:]:
            if mark in _VI_TONES:
                tone = _VI_TONES[mark]
            else:  # breve, circumflex, horn: part of the letter (ă, â, ê, ô, ơ, ư)
                letter += mark
        letter = unicodedata.normalize("NFC", letter)
        lower = letter.lower()
        if lower in _VI_RANK:
            primary.append((2, _VI_RANK[lower]))
        elif lower.isdigit():
            primary.append((1, ord(lower)))
        elif lower.isalpha():
            primary.append((3, ord(lower)))
        else:  # spaces and punctuation first, as ICU does
            primary.append((0, ord(lower)))
        secondary.append(tone)
        tertiary.append(0 if letter == lower else 1)
    return tuple(primary), tuple(secondary), tuple(tertiary)


def vi_compare(a: str | None, b: str | None) -> int:
    """-1, 0 or 1, as a database collation function returns."""
    ka, kb = vi_sort_key(a), vi_sort_key(b)
    return (ka > kb) - (ka < kb)


def vi_sorted(items, key=lambda item: item):
    """`items` sorted the Vietnamese way by `key(item)` (a string)."""
    return sorted(items, key=lambda item: vi_sort_key(key(item)))


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
