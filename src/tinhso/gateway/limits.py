"""The consumers' rate limits and daily quotas, shared by every data-plane process.

The data plane runs as several processes on one port (`supervisor`); a consumer's calls
land on any of them, and its limits are the province's, not each process's. The counts
live in one anonymous shared mapping, made before the processes are forked:

- a row per consumer (its id modulo `ROWS`), a column per process plus one for the
  count of the day read from the message log at start (`seed`);
- each process writes only its own column, and reads the whole row: no lock, so a
  process killed at any instruction leaves nothing held (a torn read of a neighbour's
  cell is a count off by one call, never a stuck gateway).

The rate is a sliding minute (Cloudflare's two-window estimate): the calls of this
minute plus the previous minute's weighted by how much of it still lies within the last
60 s. The quota counts the calls of the local calendar day.
"""

from __future__ import annotations

import mmap
import struct
import time

from tinhso.gateway.errors import GatewayErrorCode

ROWS = 1 << 16  # consumers whose ids share a row take turns in a process's cell
# per cell: consumer id + 1 (0: empty), minute, calls this minute, calls the minute
# before, day (yyyymmdd), calls that day
CELL = struct.Struct("<6q")


class RateLimiter:
    """One process's view of the shared counts (`process` is its column)."""

    def __init__(self, table: mmap.mmap, columns: int, process: int) -> None:
        self.table = table
        self.columns = columns  # the seed's, then one per process
        self.column = 1 + process
        self.row = struct.Struct(f"<{6 * columns}q")
        self._day_span = (0.0, 0.0)  # [start, end) of the day `_today` last named
        self._day = 0

    @classmethod
    def create(cls, processes: int = 1) -> RateLimiter:
        """A new table for `processes` processes (this one is process 0); the others get
        theirs with `for_process` after the fork."""
        columns = 1 + processes
        # anonymous and shared: forked children see the same pages; untouched rows cost
        # no memory
        table = mmap.mmap(-1, ROWS * columns * CELL.size)
        return cls(table, columns, 0)

    def for_process(self, process: int) -> RateLimiter:
        return RateLimiter(self.table, self.columns, process)

    def _today(self) -> int:
        now = time.time()
        start, end = self._day_span
        if start <= now < end:
            return self._day
        local = time.localtime(now)
        y, m, d = local.tm_year, local.tm_mon, local.tm_mday
        self._day = y * 10000 + m * 100 + d
        self._day_span = (
            time.mktime((y, m, d, 0, 0, 0, 0, 0, -1)),
            time.mktime((y, m, d + 1, 0, 0, 0, 0, 0, -1)),
        )
        return self._day

    def _offset(self, consumer_id: int, column: int = 0) -> int:
        return ((consumer_id % ROWS) * self.columns + column) * CELL.size

    def seed(self, counts: dict[int, int]) -> None:
        """The calls each consumer made today before this gateway started (read from the
        message log), counted once: only while the seed column is still empty."""
        today = self._today()
        for consumer_id, used in counts.items():
            at = self._offset(consumer_id)
            if CELL.unpack_from(self.table, at)[0] == 0:
                CELL.pack_into(self.table, at, consumer_id + 1, 0, 0, 0, today, used)

    def take(self, consumer_id: int, per_minute: int, per_day: int) -> str | None:
        """Count one call, or say which limit refuses it (then nothing is counted)."""
        now = time.time()
        minute, into = divmod(now, 60.0)
        this_minute = int(minute)
        today = self._today()
        key = consumer_id + 1
        start = self._offset(consumer_id)
        cells = self.row.unpack_from(self.table, start)
        recent = earlier = day_used = 0
        own = None
        for column in range(self.columns):
            at = column * 6
            if cells[at] != key:
                continue
            _, cell_minute, current, previous, day, used = cells[at : at + 6]
            if cell_minute == this_minute:
                recent += current
                earlier += previous
            elif cell_minute == this_minute - 1:
                earlier += current
            if day == today:
                day_used += used
            if column == self.column:
                own = (cell_minute, current, previous, day, used)
        if day_used >= per_day:
            return GatewayErrorCode.QUOTA_EXCEEDED
        if recent + earlier * (60.0 - into) / 60.0 >= per_minute:
            return GatewayErrorCode.RATE_LIMITED
        if own is None:  # this process's first call of the consumer (or of a row-mate)
            own = (this_minute, 0, 0, today, 0)
        cell_minute, current, previous, day, used = own
        if cell_minute != this_minute:
            previous = current if cell_minute == this_minute - 1 else 0
            current = 0
        if day != today:
            used = 0
        CELL.pack_into(
            self.table,
            start + self.column * CELL.size,
            key,
            this_minute,
            current + 1,
            previous,
            today,
            used + 1,
        )
        return None
