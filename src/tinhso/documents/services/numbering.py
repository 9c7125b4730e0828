"""Registers and numbers (Decree 30: numbered from 01 each year, gapless, never reused).

`take_number` increments the register row with one UPDATE (which takes the row lock
until commit) in the same transaction that stores the number on the document (incoming
and outgoing numbers, work-record codes). A rollback (error, crash) undoes the increment
together with the document: never a hole nor a duplicate, and a number that was committed
is never given again.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction

from tinhso.core.text import fold
from tinhso.documents.models import (
    DOC_TYPES,
    OFFICIAL_LETTER,
    Confidentiality,
    Register,
)


def agency_abbreviation(agency: Any) -> str:
    return (agency.short_name or agency.code or "").strip().replace(" ", "")


def notation_key(number_notation: str) -> str:
    """Normalised number/notation for duplicate detection: '05/QĐ-UBND' == '5/qd - ubnd'."""
    key = fold(number_notation).replace(" ", "").upper()
    head, sep, tail = key.partition("/")
    if head.isdigit():
        head = str(int(head))
    return f"{head}{sep}{tail}"


# Words naming the kind of unit, left out of its abbreviation ("Phòng Quản lý ngân sách"
# is QLNS); a unit named by its kind alone ("Văn phòng") keeps them (VP).
_UNIT_KIND_WORDS = {"phòng", "ban", "trung", "tâm", "chi", "cục", "đội"}


def unit_abbreviation(unit: Any) -> str:
    """The drafting unit's abbreviation in a notation: its own (`short_name`) or, when the
    directory has none, the initials of its name ("Phòng Quản lý ngân sách" -> "QLNS")."""
    if unit is None:
        return ""
    own = (getattr(unit, "short_name", "") or "").strip().replace(" ", "")
    if own:
        return own
    words = [w for w in re.split(r"[\s,;.\-–/()]+", unit.name or "") if w]
    kept = words
    while kept and kept[0].lower() in _UNIT_KIND_WORDS:
        kept = kept[1:]
    initials = "".join(w[0] for w in (kept or words) if w[0].isalnum())
    return initials.upper()[:12]


def notation_suffix(*, doc_type: str, agency: Any, drafting_unit: Any = None) -> str:
    """The notation without the number: `QĐ-UBND`; an official letter (công văn, no type
    abbreviation) names the issuing agency then the drafting unit: `UBND-KT`."""
    agency_abbr = agency_abbreviation(agency)
    if doc_type == OFFICIAL_LETTER:
        unit_abbr = unit_abbreviation(drafting_unit)
        return f"{agency_abbr}-{unit_abbr}" if unit_abbr else agency_abbr
    return f"{DOC_TYPES[doc_type][0]}-{agency_abbr}"


def format_number_notation(
    *, number: int, doc_type: str, agency: Any, drafting_unit: Any = None
) -> str:
    """`05/QĐ-UBND`; an official letter (công văn) is `45/UBND-KT` (Decree 30 annex I:
    numbers below 10 with a leading zero, groups joined by '-')."""
    suffix = notation_suffix(doc_type=doc_type, agency=agency, drafting_unit=drafting_unit)
    return f"{number:02d}/{suffix}"


def series_for(confidentiality: str) -> str:
    return (
        Register.Series.NORMAL
        if confidentiality == Confidentiality.NORMAL
        else Register.Series.SECRET
    )


def register_for(*, agency: Any, year: int, direction: str, series: str) -> Register:
    """The register of that year (created on first use: numbering restarts on 1 January)."""
    register, _ = Register.objects.get_or_create(
        agency=agency, year=year, direction=direction, series=series
    )
    return register


_TAKE_SQL = (
    "UPDATE documents_register SET last_number = last_number + 1 "
    "WHERE agency_id = %s AND year = %s AND direction = %s AND series = %s "
    "RETURNING id, last_number"
)
# PostgreSQL: the same, storing the number on the document row in the same statement.
_TAKE_AND_STORE_SQL = (
    "WITH taken AS (UPDATE documents_register SET last_number = last_number + 1 "
    "WHERE agency_id = %s AND year = %s AND direction = %s AND series = %s "
    "RETURNING id, last_number) "
    "UPDATE {table} SET register_id = taken.id, {column} = taken.last_number "
    "FROM taken WHERE {table}.id = %s RETURNING taken.id, taken.last_number"
)
_NUMBERED = {
    "documents_incomingdocument": "arrival_number",
    "documents_outgoingdocument": "number",
}


def take_number(
    *, agency: Any, year: int, direction: str, series: str, store_on: Any = None
) -> tuple[Register, int]:
    """Next number of the register. Must run inside the transaction that stores it.

    One statement: the UPDATE increments the counter and takes the row lock, which is held
    until the caller's transaction ends, so concurrent issuers queue here. Call it as late
    as possible in the transaction (the lock is held from here to the commit). With
    `store_on` (an incoming or outgoing document already saved) the same statement also
    stores the register and the number on that row, so nothing else runs under the lock.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("take_number must run inside the transaction that uses the number")
    params = [getattr(agency, "pk", agency), year, direction, series]
    connection = transaction.get_connection()
    sql = _TAKE_SQL
    one_statement = store_on is not None and connection.vendor == "postgresql"
    if one_statement:
        table = store_on._meta.db_table
        sql = _TAKE_AND_STORE_SQL.format(table=table, column=_NUMBERED[table])
        params.append(store_on.pk)
    for _attempt in range(2):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        if row is not None and store_on is not None and not one_statement:
            # SQLite (no UPDATE in WITH): a second statement; writers are serialised anyway.
            type(store_on).objects.filter(pk=store_on.pk).update(
                register_id=row[0], **{_NUMBERED[store_on._meta.db_table]: row[1]}
            )
        if row is not None:
            register = Register(
                pk=row[0],
                agency_id=params[0],
                year=year,
                direction=direction,
                series=series,
                last_number=row[1],
            )
            if store_on is not None:
                store_on.register = register
                setattr(store_on, _NUMBERED[store_on._meta.db_table], row[1])
            return register, row[1]
        register_for(agency=agency, year=year, direction=direction, series=series)
    raise RuntimeError("register could not be created")  # pragma: no cover
