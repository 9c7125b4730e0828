"""The shared cache when no Redis is configured: Django's database cache, with an atomic
`incr` so that rate-limit counters shared by several web processes do not lose hits.

Django's DatabaseCache increments with a read then a write (two processes reading 5 both
write 6) and the write resets the entry's expiry to the default timeout. Here `incr`
locks the row (SELECT ... FOR UPDATE on PostgreSQL; SQLite's write transactions are
already exclusive) and updates the value in place, keeping the expiry.
"""

from __future__ import annotations

import base64
import pickle  # noqa: S403 (the same format as Django's DatabaseCache, our own values only)

from django.core.cache.backends.db import DatabaseCache as DjangoDatabaseCache
from django.db import connections, models, router, transaction
from django.utils.timezone import now as tz_now


class DatabaseCache(DjangoDatabaseCache):
    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version=version)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        quote = connection.ops.quote_name
        table = quote(self._table)
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        with transaction.atomic(using=db), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {quote('value')}, {quote('expires')} FROM {table} "  # noqa: S608
                f"WHERE {quote('cache_key')} = %s{lock}",
                [key],
            )
            row = cursor.fetchone()
            if row is not None:
                expression = models.Expression(output_field=models.DateTimeField())
                converters = connection.ops.get_db_converters(
                    expression
                ) + expression.get_db_converters(connection)
                expires = row[1]
                for converter in converters:
                    expires = converter(expires, expression, connection)
                if expires < tz_now():
                    row = None
            if row is None:
                raise ValueError(f"Key '{key}' not found")
            raw = connection.ops.process_clob(row[0])
            value = pickle.loads(base64.b64decode(raw.encode()))  # noqa: S301
            new_value = value + delta
            encoded = base64.b64encode(pickle.dumps(new_value, self.pickle_protocol))
            cursor.execute(
                f"UPDATE {table} SET {quote('value')} = %s "  # noqa: S608
                f"WHERE {quote('cache_key')} = %s",
                [encoded.decode("latin1"), key],
            )
        return new_value


def create_cache_tables(sender=None, using: str = "default", **kwargs) -> None:
    """After `migrate`: the database cache's table (Django leaves it to createcachetable)."""
    from django.conf import settings
    from django.core.management import call_command

    if any("DatabaseCache" in c.get("BACKEND", "") for c in settings.CACHES.values()):
        call_command("createcachetable", database=using, verbosity=0)
