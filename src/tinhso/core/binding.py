"""Statements that carry large binary values (edXML packages, files) bound on the server.

Django's PostgreSQL backend binds parameters on the client by default (psycopg's
`ClientCursor`): every value is written into the SQL text as a literal. For a `bytea` of
a hundred kilobytes that is a hex string twice its size, escaped again as a literal — and
inside an array (a bulk insert's UNNEST, an UPDATE ... FROM unnest) escaped a third time
by Python code — which PostgreSQL then parses back. With server-side binding the bytes
travel as they are (binary format): no escaping on either side.

`server_side_binding()` switches the current connection to server-side binding for the
statements run inside it (Django's own `ServerBindingCursor`, what the
`server_side_binding` database option selects for a whole connection); elsewhere
(SQLite) it changes nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections


@contextlib.contextmanager
def server_side_binding(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    from django.db.backends.postgresql import base

    server_binding = getattr(base, "ServerBindingCursor", None)  # psycopg 3 only
    if server_binding is None:
        yield
        return
    connection.ensure_connection()
    raw = connection.connection
    before = raw.cursor_factory
    raw.cursor_factory = server_binding
    try:
        yield
    finally:
        if connection.connection is raw:  # not reconnected meanwhile
            raw.cursor_factory = before


def update_rows(objs: list[Any], fields: list[str], using: str = DEFAULT_DB_ALIAS) -> None:
    """Write `fields` of model instances `objs` (all of one model): Django's
    `bulk_update` — a CASE WHEN per row and per column, which costs more to build in
    Python than the rows it updates — as one `UPDATE ... FROM unnest(<one array per
    column>)` on PostgreSQL; `bulk_update` elsewhere. Like `bulk_update`, no signal,
    no `save()`, no `auto_now`: the caller sets every value."""
    if not objs:
        return
    model = type(objs[0])
    connection = connections[using]
    if connection.vendor != "postgresql":
        model._default_manager.using(using).bulk_update(objs, fields)
        return
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    columns = [pk, *(meta.get_field(name) for name in fields)]
    q = connection.ops.quote_name
    names = [q(str(column.column)) for column in columns]  # type: ignore[union-attr]
    arrays = ", ".join(f"%s::{column.db_type(connection)}[]" for column in columns)  # type: ignore[union-attr]
    params = [
        [column.get_db_prep_save(getattr(obj, column.attname), connection) for obj in objs]  # type: ignore[union-attr]
        for column in columns
    ]
    sql = (
        f"UPDATE {q(meta.db_table)} AS m SET "  # noqa: S608 - names from the model, quoted
        + ", ".join(f"{name} = v.{name}" for name in names[1:])
        + f" FROM unnest({arrays}) AS v({', '.join(names)}) WHERE m.{names[0]} = v.{names[0]}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
