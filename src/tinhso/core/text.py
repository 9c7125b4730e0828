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
