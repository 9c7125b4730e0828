"""The shared cache when no Redis is configured: Django's database cache, with an atomic
`incr` so that rate-limit counters shared by several web processes do not lose hits.

Django's DatabaseCache increments with a read then a write (two processes reading 5 both
write 6) and the write resets the entry's expiry to the default timeout. Here `incr`
locks the row (SELECT ... FOR UPDATE on PostgreSQL; SQLite's write transactions are
already exclusive) and updates the value in place, keeping the expiry.

Rate-limit counters do not go through the cache's entries at all: `count_hit` counts a
hit with one upsert in their own table (`core.RateCounter`), and reads the previous
window in the same round trip on PostgreSQL. The generic add/incr/get path costs up to
a dozen statements per hit on this backend.
"""

from __future__ import annotations

import base64
import pickle  # noqa: S403 (the same format as Django's DatabaseCache, our own values only)
import random
import time
from typing import Any

from django.core.cache.backends.db import DatabaseCache as DjangoDatabaseCache
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from django.db import connections, models, router, transaction
from django.utils.timezone import now as tz_now

_COUNTER = "tinhso_rate_counter"
_UPSERT = (
    f"INSERT INTO {_COUNTER} (name, count, expires) VALUES (%s, 1, %s) "  # noqa: S608
    "ON CONFLICT (name) DO UPDATE SET "
    f"count = CASE WHEN {_COUNTER}.expires < %s THEN 1 ELSE {_COUNTER}.count + 1 END, "
    f"expires = CASE WHEN {_COUNTER}.expires < %s THEN excluded.expires "
    f"ELSE {_COUNTER}.expires END RETURNING count"
)
_LIVE = f"SELECT count FROM {_COUNTER} WHERE name = %s AND expires >= %s"  # noqa: S608
# This statement's own transaction commits without waiting for the WAL flush.
_ASYNC_COMMIT = ", set_config('synchronous_commit', 'off', true)"


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

    # Rate-limit counters (tinhso.core.ratelimit)

    def _counter_db(self):
        from tinhso.core.models import RateCounter

        return connections[router.db_for_write(RateCounter)]

    def count_hit(self, key: str, previous_key: str, timeout: int) -> tuple[int, int]:
        """Count one hit under `key` (a fresh counter after `timeout` seconds) and read
        `previous_key`: (this window's count with the hit, the previous window's)."""
        now = int(time.time())
        connection = self._counter_db()
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # Outside a transaction the hit commits on its own: without waiting for the
                # WAL flush (a crash may lose the last few hits, which a counter can afford;
                # Redis keeps no more). Waiting held the counter's row lock through an fsync,
                # so one client's requests queued on it (public lookup 35 → 16 ms
                # in-process). Inside a use-case's transaction nothing changes.
                relaxed = "" if connection.in_atomic_block else _ASYNC_COMMIT
                cursor.execute(
                    f"WITH hit AS ({_UPSERT}) SELECT (SELECT count FROM hit), "  # noqa: S608
                    f"COALESCE(({_LIVE}), 0){relaxed}",
                    [key, now + timeout, now, now, previous_key, now],
                )
                current, previous = cursor.fetchone()[:2]
            else:
                cursor.execute(_UPSERT, [key, now + timeout, now, now])
                current = cursor.fetchone()[0]
                cursor.execute(_LIVE, [previous_key, now])
                row = cursor.fetchone()
                previous = row[0] if row else 0
            if random.random() < 0.001:  # noqa: S311 - sweeping expired windows now and then
                cursor.execute(f"DELETE FROM {_COUNTER} WHERE expires < %s", [now])  # noqa: S608
        return int(current), int(previous)

    def read_counts(self, keys: list[str]) -> dict[str, int]:
        # Plain SQL: read on every right answer of the public lookup (`ratelimit.peek`),
        # where building the ORM query cost more than running it.
        if not keys:
            return {}
        marks = ", ".join(["%s"] * len(keys))
        with self._counter_db().cursor() as cursor:
            cursor.execute(
                f"SELECT name, count FROM {_COUNTER} "  # noqa: S608
                f"WHERE name IN ({marks}) AND expires >= %s",
                [*keys, int(time.time())],
            )
            return dict(cursor.fetchall())

    def uncount(self, key: str) -> None:
        from tinhso.core.models import RateCounter

        RateCounter.objects.filter(name=key, count__gt=0, expires__gte=int(time.time())).update(
            count=models.F("count") - 1
        )

    def forget_counts(self, keys: list[str]) -> None:
        from tinhso.core.models import RateCounter

        RateCounter.objects.filter(name__in=keys).delete()

    def clear(self) -> None:
        from tinhso.core.models import RateCounter

        super().clear()
        RateCounter.objects.all().delete()


def create_cache_tables(sender=None, using: str = "default", **kwargs) -> None:
    """After `migrate`: the database cache's table (Django leaves it to createcachetable)."""
    from django.conf import settings
    from django.core.management import call_command

    if any("DatabaseCache" in c.get("BACKEND", "") for c in settings.CACHES.values()):
        call_command("createcachetable", database=using, verbosity=0)


class _RedisClients(RedisCacheClient):
    """Django's Redis cache builds a `redis.Redis` for every call (with its table of ~170
    response callbacks), a tenth of a millisecond on each signed-in page's session read.
    A client holds no connection of its own (each command borrows one from the pool and
    returns it), so one per pool serves every call."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            pool = self._get_connection_pool(write)
            client = self._clients[index] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    """Django's Redis cache, with one client per connection pool (above)."""

    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = _RedisClients
