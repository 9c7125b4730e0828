"""What a web process keeps in memory, and how a change made elsewhere reaches it.

Some data is read far more often than it changes: the catalogue's public pages, a field
report's category, the routing table, the calendar's exceptions. A process keeps it and
must drop it when it changes:

- a change made in this process (`Stamp.changed()`, called by the models' signals or the
  service that made it) is seen at once, in its own transaction too;
- a change made by another process on this machine is seen at that process's commit,
  through a stamp file in var/cache whose modification time is the moment of the last
  change (set explicitly: the file system's clock is coarse). Told before the commit,
  the others could read the data from before it again and keep it;
- processes on other machines see it when what they keep expires (each user of a stamp
  says how long: `Kept(seconds=...)`, PUBLIC_PAGE_SECONDS for the pages);
- nothing is kept that was read inside the transaction that changed it: that transaction
  may still roll back (`Stamp.unsettled()`).

`Kept` is the common case: one value loaded from the database, kept while its stamp has
not moved and for at most `seconds`.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Generic, TypeVar

from django.conf import settings
from django.core.signals import setting_changed
from django.db import connection, transaction

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)
_ALL: list[Stamp] = []


class Stamp:
    """The moment of the last change of one kind of data, shared through a file."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.generation = 0  # this process's changes
        self._seen = 0  # the last change on this machine, as this process last saw it
        self._listeners: list[Callable[[], None]] = []
        self._open_change: object = None  # the transaction a change was made in
        self._path: str | None = None
        self._lock = threading.Lock()
        setting_changed.connect(self._setting_changed, weak=False)
        _ALL.append(self)

    def path(self) -> str:
        if self._path is None:  # asked at every read: built once (VAR_DIR changes in tests)
            self._path = str(Path(settings.VAR_DIR) / "cache" / f"{self.name}.stamp")
        return self._path

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call `listener` (drop what is kept) whenever a change is seen."""
        self._listeners.append(listener)

    def current(self) -> tuple[int, int]:
        """(this process's changes, the machine's last change): kept data older than the
        value it was kept under is stale. A stat() per call, no query."""
        try:
            seen = os.stat(self.path()).st_mtime_ns
        except OSError:
            seen = 0
        if seen != self._seen:
            self._seen = seen
            self._forget()
        return self.generation, seen

    def changed(self) -> None:
        """The data changed in the current transaction (or just now, outside one)."""
        self._forget()
        self._open_change = _outermost_block()
        transaction.on_commit(self._publish)

    def unsettled(self) -> bool:
        """Whether this process is inside a transaction that changed the data: what it
        reads now may never be committed, so it must not be kept."""
        block = self._open_change
        if block is None:
            return False
        if connection.in_atomic_block and any(b is block for b in connection.atomic_blocks):
            return True
        self._open_change = None  # that transaction ended (committed or rolled back)
        return False

    def _forget(self) -> None:
        with self._lock:
            self.generation += 1  # a value being loaded now is not kept under the new key
        for listener in self._listeners:
            listener()

    def _publish(self) -> None:
        self._forget()
        path = Path(self.path())
        now = time.time_ns()
        try:
            try:
                os.utime(path, ns=(now, now))
            except FileNotFoundError:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.touch()
                os.utime(path, ns=(now, now))
        except OSError:  # a read-only var/: the others wait for what they keep to expire
            pass

    def _setting_changed(self, **_kwargs) -> None:  # tests only (VAR_DIR, a page's setting)
        self._path = None
        self._forget()


def _outermost_block() -> object:
    """The transaction the current code runs in, or None outside one. The blocks a test
    case wraps each test in do not count (Django marks them): in a test they stand for
    the committed database, as its own on-commit handling treats them."""
    if not connection.in_atomic_block:
        return None
    return next(
        (b for b in connection.atomic_blocks if not getattr(b, "_from_testcase", False)), None
    )


def forget_all() -> None:
    """Drop everything kept. For tests: the rollback that ends a test case undoes what it
    wrote without telling anyone, which a real transaction never does (see `unsettled`)."""
    for stamp in _ALL:
        stamp._forget()


class Kept(Generic[T]):
    """One value loaded by `load()`, kept while `stamp` has not moved, at most `seconds`."""

    def __init__(self, stamp: Stamp, load: Callable[[], T], seconds: float = 10) -> None:
        self._each: KeptEach[None, T] = KeptEach(stamp, lambda _key: load(), seconds, size=1)

    def get(self) -> T:
        return self._each.get(None)

    def forget(self) -> None:
        self._each.forget()


class KeptEach(Generic[K, T]):
    """`Kept` for a family of values: `load(key)` for each key, each kept while `stamp`
    has not moved, at most `seconds`; past `size` keys, everything kept is dropped."""

    def __init__(
        self, stamp: Stamp, load: Callable[[K], T], seconds: float = 10, size: int = 1000
    ) -> None:
        self.stamp = stamp
        self.load = load
        self.seconds = seconds
        self.size = size
        self._values: dict[K, tuple[tuple[int, int], float, T]] = {}
        stamp.on_change(self.forget)

    def get(self, key: K) -> T:
        version = self.stamp.current()
        kept = self._values.get(key)
        now = time.monotonic()
        if kept is not None and kept[0] == version and kept[1] > now:
            return kept[2]
        value = self.load(key)
        if self.stamp.current() == version and not self.stamp.unsettled():
            if len(self._values) >= self.size:
                self._values = {}
            self._values[key] = (version, now + self.seconds, value)
        return value

    def forget(self) -> None:
        self._values = {}
