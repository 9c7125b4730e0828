"""Reads from a PostgreSQL streaming replica, for the read-heavy paths that opt in.

With `DATABASE_REPLICA_URL` set, settings add a second database alias, `replica`, this
module's router and its middleware. Nothing reads from the replica unless it asks:

- `@replica_reads` on a read-heavy selector (the 766 index, KPIs, statistics, document
  search, open-data search, the IOC) runs its ORM reads on the replica — decided once at
  the call, so one call sees one database — while every write, and every read inside a
  transaction the selector opens itself, stays on the primary. A query the replica fails
  (it went down, a recovery conflict cancelled it) is run again on the primary.
- raw SQL inside such a selector asks `current_alias()` for the connection to use;
  `read_alias()` is there for `.using(read_alias())` outside a decorated function.

Everything else — services, pages that are not in the list, the cache, the task queue —
reads and writes the primary, as without a replica.

The replica serves reads when it is reachable and its lag is at most
`REPLICA_MAX_LAG_SECONDS`. Lag is measured from the two servers' WAL positions: the
primary's `pg_current_wal_lsn()` is read first, then the replica's
`pg_last_wal_replay_lsn()`. When the replica has replayed that position, the lag is 0
(an idle primary is not "behind": `now() - pg_last_xact_replay_timestamp()` alone would
grow forever there). Otherwise the lag is the age of the last transaction the replica
replayed, `now() - pg_last_xact_replay_timestamp()` (an upper bound: what is missing was
committed after it). The measure is taken at most every `REPLICA_CHECK_SECONDS` (2) per
process; a replica that cannot be reached is tried again after `REPLICA_RETRY_SECONDS`
(10), and its connection attempt gives up after `REPLICA_CONNECT_TIMEOUT` (2 s).

Read your own writes: a request that is not GET/HEAD/OPTIONS reads only the primary,
and its response carries a cookie with the primary's WAL position after it. The next
requests of that browser — the page after the redirect first of all — read the primary
until the replica has replayed that position.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any, TypeVar, cast

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections
from django.db.models import QuerySet

log = logging.getLogger(__name__)

REPLICA = "replica"
COOKIE = "tinhso_wal"
COOKIE_SECONDS = 300
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Models never read from the replica: the database cache and the rate-limit counters are
# read-then-written state of the primary.
PRIMARY_ONLY_APPS = frozenset({"django_cache"})

F = TypeVar("F", bound=Callable[..., Any])


def configured() -> bool:
    return REPLICA in settings.DATABASES


def max_lag() -> float:
    return float(getattr(settings, "REPLICA_MAX_LAG_SECONDS", 30))


# ---------------------------------------------------------------------------------------
# The replica's state, measured at most every few seconds per process


@dataclass(frozen=True)
class ReplicaState:
    configured: bool
    reachable: bool = False
    lag_seconds: float | None = None
    serving_reads: bool = False
    replay_lsn: int | None = None  # None: unknown, or not a standby
    error: str = ""

    def as_health(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("replay_lsn")
        if data["lag_seconds"] is not None:
            data["lag_seconds"] = round(data["lag_seconds"], 3)
        data["max_lag_seconds"] = max_lag()
        return data


_lock = threading.Lock()
_state: ReplicaState | None = None
_checked_at = 0.0


def parse_lsn(text: Any) -> int | None:
    """'16/B374D848' → an integer that orders as the WAL does; None for anything else."""
    if not isinstance(text, str):
        return None
    high, sep, low = text.strip().partition("/")
    if not sep or not (0 < len(high) <= 8 and 0 < len(low) <= 8):
        return None
    try:
        return (int(high, 16) << 32) | int(low, 16)
    except ValueError:
        return None


def primary_lsn() -> str:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        return cursor.fetchone()[0]


def _measure() -> ReplicaState:
    try:
        position = primary_lsn()
    except Exception as err:  # noqa: BLE001 - reported, never raised into a page
        return ReplicaState(configured=True, error=f"primary: {type(err).__name__}")
    connection = connections[REPLICA]
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text, "
                "pg_wal_lsn_diff(%s::pg_lsn, pg_last_wal_replay_lsn()), "
                "EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())",
                [position],
            )
            standby, replayed, behind_bytes, age = cursor.fetchone()
    except Exception as err:  # noqa: BLE001
        with contextlib.suppress(Exception):
            connection.close()
        return ReplicaState(configured=True, error=f"{type(err).__name__}: {str(err)[:200]}")
    if not standby:
        # Not in recovery (pointed at a primary): nothing to wait for, no WAL to compare.
        lag: float | None = 0.0
    elif behind_bytes is not None and behind_bytes <= 0:
        lag = 0.0
    else:
        lag = float(age) if age is not None else None
    return ReplicaState(
        configured=True,
        reachable=True,
        lag_seconds=lag,
        serving_reads=lag is not None and lag <= max_lag(),
        replay_lsn=parse_lsn(replayed) if standby else None,
    )


def state(*, fresh: bool = False) -> ReplicaState:
    """The replica's state, measured again when the last measure is older than
    REPLICA_CHECK_SECONDS (REPLICA_RETRY_SECONDS after a failure)."""
    global _state, _checked_at
    if not configured():
        return ReplicaState(configured=False)
    with _lock:
        current = _state
        if current is not None and not fresh:
            ttl = float(
                getattr(settings, "REPLICA_CHECK_SECONDS", 2)
                if current.reachable
                else getattr(settings, "REPLICA_RETRY_SECONDS", 10)
            )
            if time.monotonic() - _checked_at < ttl:
                return current
        current = _measure()
        if _state is not None and _state.serving_reads != current.serving_reads:
            log.warning(
                "read replica %s (lag %s s, %s)",
                "serving reads" if current.serving_reads else "not serving reads",
                current.lag_seconds,
                current.error or "reachable",
            )
        _state, _checked_at = current, time.monotonic()
        return current


def forget() -> None:
    """Measure again at the next read (after the replica failed a query)."""
    global _state
    with _lock:
        if _state is not None:
            _state = ReplicaState(configured=True, error="failed a query")


# ---------------------------------------------------------------------------------------
# Choosing the database of a read


_wrote: contextvars.ContextVar[bool] = contextvars.ContextVar("replica_wrote", default=False)
_wait_for: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "replica_wait_for", default=None
)


@dataclass(frozen=True)
class _Block:
    alias: str
    depth: int  # the primary's open atomic blocks when the block started


_block: contextvars.ContextVar[_Block | None] = contextvars.ContextVar(
    "replica_block", default=None
)


def read_alias() -> str:
    """'replica' when it may serve a read-heavy query now, else 'default'."""
    if not configured() or _wrote.get():
        return DEFAULT_DB_ALIAS
    current = state()
    if not current.serving_reads:
        return DEFAULT_DB_ALIAS
    needed = _wait_for.get()
    if needed is not None and (current.replay_lsn is None or current.replay_lsn < needed):
        return DEFAULT_DB_ALIAS  # this browser wrote something the replica has not replayed
    return REPLICA


@contextlib.contextmanager
def primary_only() -> Iterator[None]:
    """Every read inside goes to the primary (as in a request that wrote)."""
    token = _wrote.set(True)
    try:
        yield
    finally:
        _wrote.reset(token)


def current_alias() -> str:
    """The database for raw SQL in the running selector: the replica inside a
    `@replica_reads` call that got it, outside any transaction opened in the call."""
    block = _block.get()
    if block is None:
        return DEFAULT_DB_ALIAS
    if len(connections[DEFAULT_DB_ALIAS].atomic_blocks) > block.depth:
        return DEFAULT_DB_ALIAS
    return block.alias


def replica_reads(function: F) -> F:
    """Run `function`'s reads on the replica when it serves reads (see the module)."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if _block.get() is not None or not configured():
            return function(*args, **kwargs)  # nested: the outer call decided
        alias = read_alias()
        if alias == DEFAULT_DB_ALIAS:
            return function(*args, **kwargs)
        depth = len(connections[DEFAULT_DB_ALIAS].atomic_blocks)
        token = _block.set(_Block(alias, depth))
        try:
            result = function(*args, **kwargs)
            if isinstance(result, QuerySet) and getattr(result, "_db", None) is None:
                result = result.using(alias)  # a lazy result reads where the call read
            return result
        except (OperationalError, InterfaceError) as err:
            log.warning("read replica failed %s (%s): reading the primary", function, err)
            with contextlib.suppress(Exception):
                connections[REPLICA].close()
            forget()
        finally:
            _block.reset(token)
        return function(*args, **kwargs)

    return cast(F, wrapper)


class ReplicaRouter:
    """Reads go to the replica only inside a `@replica_reads` call; writes always to the
    primary (an object read from the replica is saved to the primary)."""

    def db_for_read(self, model: Any, **hints: Any) -> str:
        if model._meta.app_label in PRIMARY_ONLY_APPS:
            return DEFAULT_DB_ALIAS
        return current_alias()

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        aliases = {DEFAULT_DB_ALIAS, REPLICA}
        if obj1._state.db in aliases and obj2._state.db in aliases:
            return True  # the same database, one of its copies
        return None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return False if db == REPLICA else None


class ReplicaMiddleware:
    """A request that may write reads the primary; its browser too until the replica has
    replayed what it wrote (a cookie holds the primary's WAL position)."""

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        if not configured():
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        wrote = request.method not in SAFE_METHODS
        tokens = (_wrote.set(wrote), _wait_for.set(parse_lsn(request.COOKIES.get(COOKIE))))
        try:
            response = self.get_response(request)
        finally:
            _wrote.reset(tokens[0])
            _wait_for.reset(tokens[1])
        if wrote:
            try:
                position = primary_lsn()
            except Exception:  # noqa: BLE001 - the answer stands; the cookie is a hint
                log.exception("could not read the primary's WAL position")
            else:
                response.set_cookie(
                    COOKIE,
                    position,
                    max_age=COOKIE_SECONDS,
                    httponly=True,
                    samesite="Lax",
                    secure=settings.SESSION_COOKIE_SECURE,
                )
        return response
