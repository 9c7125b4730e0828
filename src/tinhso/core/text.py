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
