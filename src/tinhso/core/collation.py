"""Vietnamese ORDER BY in the database (the Python side is `tinhso.core.text.vi_sort_key`).

`vi("name")` orders a queryset the way people expect a Vietnamese list: PostgreSQL with
the ICU collation "vi-x-icu" (when the server has ICU; else the column's own collation),
SQLite with a collation named "vi" that every connection registers (`register_sqlite`,
connected in CoreConfig.ready) from `vi_compare`.

    Field.objects.order_by(vi("name"))
    Agency.objects.order_by(vi("name"), "code")
"""

from __future__ import annotations

from typing import Any

from django.db.models import F, Func
from django.db.models.expressions import OrderBy

from tinhso.core.text import vi_compare

SQLITE_NAME = "vi"
POSTGRES_NAME = "vi-x-icu"


def register_sqlite(sender: Any = None, connection: Any = None, **kwargs: Any) -> None:
    """`connection_created` receiver: give a new SQLite connection the "vi" collation."""
    if connection is not None and connection.vendor == "sqlite":
        connection.connection.create_collation(SQLITE_NAME, vi_compare)


def _collation(connection: Any) -> str | None:
    if connection.vendor == "sqlite":
        return SQLITE_NAME
    if connection.vendor == "postgresql":
        known = getattr(connection, "_tinhso_vi_collation", None)
        if known is None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1 FROM pg_collation WHERE collname = %s", [POSTGRES_NAME])
                known = POSTGRES_NAME if cursor.fetchone() else ""
            connection._tinhso_vi_collation = known
        return known or None
    return None


class ViCollate(Func):
    """`expression COLLATE <the Vietnamese collation of this database>`."""

    def as_sql(  # type: ignore[override]
        self, compiler: Any, connection: Any, **extra_context: Any
    ) -> tuple[str, Any]:
        sql, params = compiler.compile(self.source_expressions[0])
        collation = _collation(connection)
        if not collation:
            return sql, params
        return f"{sql} COLLATE {connection.ops.quote_name(collation)}", params


def vi(field: str, *, descending: bool = False) -> OrderBy:
    """An ORDER BY term sorting `field` in Vietnamese order."""
    expression = ViCollate(F(field))
    return expression.desc() if descending else expression.asc()
