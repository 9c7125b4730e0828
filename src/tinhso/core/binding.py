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
