"""Ranking of the procedure catalogue search (used by `selectors.search_procedures`).

People search with their own words: "giay khai sinh", "so do", "GPXD", "khai tu". The
search is diacritics-insensitive (`tinhso.core.text.fold`) and works on whole words
(the last word of the query may be the beginning of a word of 3 letters or more, for
type-ahead), so "khai tu" does not match every name that contains "khai" and "Thủ tục".

Synonyms (`SearchSynonym`, data the platform administrator edits): when the query
contains one of the terms people use ("sổ đỏ", "GPXD"), it is also searched with the
term replaced by the catalogue's words ("giấy chứng nhận quyền sử dụng đất"). A synonym
may have several meanings, most specific first ("cấp giấy phép xây dựng đối với nhà ở
riêng lẻ; giấy phép xây dựng"): the procedure named exactly by the first comes first.

A procedure's rank, best first, for the best of the query's forms:
  5  the query's words, in order, in the procedure's name (a phrase match)
  4  all the query's words in the name
  3  the phrase in its description (the result it gives, its field)
  2  all the words in the name and description together
Ties go to the name with the fewest words the query did not ask for (the plain
procedure before its variants: "đăng ký khai sinh" before "… có yếu tố nước ngoài"),
then to the earlier match in the name, then to the code. Rank 2 is shown only when
nothing ranks 3 or better ("khai tu" must not bring "khai sinh", whose description says
"bản điện tử"), and procedures matching only some of the words only when nothing
matches all of them, most words first.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tinhso.core.text import fold

_WORD = re.compile(r"[a-z0-9]+")
CODE_QUERY = re.compile(r"^\d+(\.\d*)?$")
# Every name starts with "Thủ tục": a query word "tu" must not match its "tục".
STOP_PHRASES = (("thu", "tuc"),)
PREFIX_MIN = 3  # the last word of a query matches word beginnings from this length


def words(text: str | None) -> list[str]:
    return _WORD.findall(fold(text))


def _without_stop_phrases(seq: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(seq):
        for stop in STOP_PHRASES:
            if tuple(seq[i : i + len(stop)]) == stop:
                i += len(stop)
                break
        else:
            out.append(seq[i])
            i += 1
    return out


def _find(haystack: Sequence[str], needle: Sequence[str]) -> int:
    n = len(needle)
    for i in range(len(haystack) - n + 1):
        if list(haystack[i : i + n]) == list(needle):
            return i
    return -1


@dataclass(frozen=True)
class Synonym:
    terms: tuple[tuple[str, ...], ...]  # folded words of each term
    meanings: tuple[tuple[str, ...], ...]  # folded words of each meaning

    @classmethod
    def of(cls, terms: Iterable[str], meaning: str) -> Synonym:
        """`meaning` may list several, most specific first, separated by ";"."""
        return cls(
            tuple(tuple(words(t)) for t in terms if words(t)),
            tuple(tuple(words(m)) for m in meaning.split(";") if words(m)),
        )


def query_forms(q: str, synonyms: Iterable[Synonym] = ()) -> list[list[str]]:
    """The query's words, then the same with each synonym term replaced by its meanings."""
    base = _without_stop_phrases(words(q))
    forms = [base] if base else []
    for synonym in synonyms:
        for term in synonym.terms:
            at = _find(base, term)
            if at < 0:
                continue
            for meaning in synonym.meanings:
                form = base[:at] + list(meaning) + base[at + len(term) :]
                if form not in forms:
                    forms.append(form)
    return forms


class _Matcher:
    def __init__(self, form: list[str]) -> None:
        self.form = form
        last = form[-1] if form else ""
        self.prefix = last if len(last) >= PREFIX_MIN else None
        self.wanted = frozenset(form)

    def touches(self, vocabulary: frozenset[str]) -> bool:
        """Does any word of the text match any word of the form? (Else nothing will.)"""
        if not self.wanted.isdisjoint(vocabulary):
            return True
        prefix = self.prefix
        return prefix is not None and any(w.startswith(prefix) for w in vocabulary)

    def same(self, index: int, word: str) -> bool:
        wanted = self.form[index]
        if word == wanted:
            return True
        return index == len(self.form) - 1 and self.prefix is not None and word.startswith(wanted)

    def phrase_at(self, text: Sequence[str]) -> int:
        n = len(self.form)
        for i in range(len(text) - n + 1):
            if all(self.same(j, text[i + j]) for j in range(n)):
                return i
        return -1

    def found(self, text: Sequence[str]) -> list[bool]:
        return [any(self.same(i, w) for w in text) for i in range(len(self.form))]


@dataclass(frozen=True)
class Entry:
    """What the ranking reads of a procedure."""

    key: object
    code: str
    name: str
    description: str = ""


# Every search folds every procedure's name and description; the catalogue changes rarely,
# so the words of each text are kept (keyed by the text itself: an edited name is a new key;
# a province's catalogue of ~2,000 procedures holds ~4,000 texts). Folding them again on
# each search was most of a search's time (catalogue search 85 → 40 ms in-process).
@functools.lru_cache(maxsize=16384)
def _name_words(text: str) -> tuple[str, ...]:
    return tuple(_without_stop_phrases(words(text)))


@functools.lru_cache(maxsize=16384)
def _text_words(text: str) -> tuple[str, ...]:
    return tuple(words(text))


@functools.lru_cache(maxsize=16384)
def _vocabulary(name: str, description: str) -> frozenset[str]:
    return frozenset(_name_words(name)) | frozenset(_text_words(description))


def rank(q: str, entries: Iterable[Entry], synonyms: Iterable[Synonym] = ()) -> list[object]:
    """The keys of the entries matching `q`, best first (see the module docstring)."""
    forms = query_forms(q, synonyms)
    if not forms:
        return [e.key for e in sorted(entries, key=lambda e: e.code)]
    matchers = [_Matcher(f) for f in forms]
    full: list[tuple] = []
    partial: list[tuple] = []
    for entry in entries:
        vocabulary = _vocabulary(entry.name or "", entry.description or "")
        if not any(m.touches(vocabulary) for m in matchers):
            continue  # no word in common: neither a match nor a partial one
        name = _name_words(entry.name or "")
        description = _text_words(entry.description or "")
        best: tuple | None = None
        some = 0
        for m in matchers:
            at = m.phrase_at(name)
            in_name = m.found(name)
            extra = len(name) - len(m.form)
            if at >= 0:
                key = (5, extra, at)
            elif all(in_name):
                key = (4, extra, 0)
            elif m.phrase_at(description) >= 0:
                key = (3, extra, 0)
            elif all(a or b for a, b in zip(in_name, m.found(description), strict=True)):
                key = (2, extra, 0)
            else:
                some = max(some, sum(in_name))
                continue
            if best is None or (-key[0], key[1], key[2]) < (-best[0], best[1], best[2]):
                best = key
        if best is not None:
            full.append((-best[0], best[1], best[2], entry.code, entry.key))
        elif some:
            partial.append((-some, len(name), entry.code, entry.key))
    strong = [row for row in full if -row[0] >= 3]
    for rows in (strong, full, partial):  # words scattered over name and description, or
        if rows:  # only some of the words, only when nothing better matches
            return [row[-1] for row in sorted(rows, key=lambda r: r[:-1])]
    return []
