"""An amount of money in Vietnamese words, as financial documents write it.

    200000  -> "Hai trăm nghìn đồng"
    1005000 -> "Một triệu không trăm linh năm nghìn đồng"
    1000001 -> "Một triệu không trăm linh một đồng"

Receipts and invoices read every group of three digits after the first in full
("không trăm", "linh") so that the words cannot be read as another amount; num2words
(0.5.14, lang="vi") writes the colloquial form ("một triệu năm nghìn" for 1,005,000),
which is why this is written out here. Units: nghìn, triệu, tỷ, then nghìn tỷ, triệu tỷ.
"""

from __future__ import annotations

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
SCALES = ("", "nghìn", "triệu", "tỷ", "nghìn tỷ", "triệu tỷ", "tỷ tỷ")


def _tens_and_units(tens: int, units: int, *, after_hundreds: bool) -> list[str]:
    words: list[str] = []
    if tens == 0:
        if units:
            if after_hundreds:
                words.append("linh")
            words.append(DIGITS[units])
        return words
    if tens == 1:
        words.append("mười")
    else:
        words += [DIGITS[tens], "mươi"]
    if units == 1:
        words.append("một" if tens == 1 else "mốt")
    elif units == 5:
        words.append("lăm")
    elif units:
        words.append(DIGITS[units])
    return words


def _group(value: int, *, full: bool) -> list[str]:
    """Words of 0 < value < 1000; `full` reads the hundreds even when they are zero."""
    hundreds, rest = divmod(value, 100)
    tens, units = divmod(rest, 10)
    words: list[str] = []
    if hundreds or full:
        words += [DIGITS[hundreds], "trăm"]
    words += _tens_and_units(tens, units, after_hundreds=bool(words))
    return words


def number_in_words(value: int) -> str:
    """`value` (0 ≤ value < 10**21) in lower-case Vietnamese words."""
    value = int(value)
    if value < 0 or value >= 1000 ** len(SCALES):
        raise ValueError(f"out of range: {value}")
    if value == 0:
        return DIGITS[0]
    groups: list[int] = []
    while value:
        value, group = divmod(value, 1000)
        groups.append(group)
    words: list[str] = []
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if not group:
            continue
        words += _group(group, full=index < len(groups) - 1)
        if SCALES[index]:
            words.append(SCALES[index])
    return " ".join(words)


def amount_in_words(amount_vnd: int) -> str:
    """'Hai trăm nghìn đồng' for 200000."""
    text = number_in_words(amount_vnd)
    return f"{text[0].upper()}{text[1:]} đồng"
