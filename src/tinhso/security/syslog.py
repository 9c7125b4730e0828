"""The syslog listener (`tinhso security syslog`): UDP and TCP, RFC 5424 and RFC 3164,
with a JSON or CEF payload (Wazuh's `<syslog_output>` formats json and cef).

Two halves:
- the network half (an asyncio loop in its own thread) reads datagrams and TCP streams
  (RFC 6587 octet-counting or newline framing, decided per frame), applies each sender's
  rate limit (a token bucket: a flood from one sender is dropped and counted, the others
  go on) and puts frames in a bounded queue;
- the writer half takes frames off the queue in batches (flushed at `batch` frames, 500,
  or `linger` seconds after the batch's first frame arrived, 0.2 s), parses them, and
  hands them to `intake.ingest` (in `--writers` forked processes, 2 by default: one
  process parses about 1,800 events/s, short of a busy province's peak) — one transaction per batch and source (multi-row
  insert, rules in memory, alerts in bulk): an event is accepted when its batch commits,
  with its alerts. Each event's arrival is the moment its frame was read off the socket.

The queue is bounded (`queue_size`, 1,500 frames: three batches, under a second of work). When it is
full a TCP connection is simply not read any more, so the sender's TCP window closes and
the backlog stays with the sender (rsyslog's or Wazuh's own queue) instead of growing
here; a UDP datagram that finds the queue full is dropped and counted (`dropped_queue`).

Refused input (a malformed line, an oversize frame) is kept with its reason
(`RejectedInput`), never crashes the listener.

What a kill -9 can lose: syslog (RFC 5424/3164 over UDP, RFC 6587 over TCP) has no
application acknowledgement, so a sender considers a line delivered once its kernel took
it. Whatever was committed is kept (with its alerts); what the listener had read but not
yet committed (the queue plus the batches being collected, handed over and written: at
most `queue_size` + `batch` × (1 + 2 × writers) frames) and what sat in the kernel's socket buffers (the listener asks for a 256 KB
receive buffer; the sender's own send buffer comes on top) is lost. UDP is lossy by nature
(a full socket buffer, a network drop). Where every alert must arrive, use the HTTP
intake: it answers 202 only after the commit and replays are dropped by alert id.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import queue
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from django.db import close_old_connections, connection

from tinhso.security.errors import IntakeRefused, SecurityErrorCode
from tinhso.security.parsing import MAX_EVENT_BYTES, FramingError, from_syslog, split_frames

log = logging.getLogger("tinhso.security.syslog")


# (frame, peer, channel, arrival as time.time())
Frame = tuple[bytes, str, str, float]


@dataclass
class Stats:
    received: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    dropped_flood: int = 0
    dropped_queue: int = 0
    alerts: int = 0
    batches: int = 0
    last_batch_ms: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Bucket:
    rate: float
    burst: float
    tokens: float = 0.0
    at: float = field(default_factory=time.monotonic)

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class SyslogListener:
    def __init__(
        self,
        *,
        host: str = "0.0.0.0",  # noqa: S104 (a listener for sensors on the network)
        udp_port: int | None = 5514,
        tcp_port: int | None = 5514,
        rate_per_sender: float = 5_000.0,
        queue_size: int = 1_500,
        batch: int = 500,
        linger: float = 0.2,
        tcp_receive_buffer: int = 256 * 1024,
    ) -> None:
        self.host = host
        self.udp_port = udp_port
        self.tcp_port = tcp_port
        self.rate = rate_per_sender
        self.queue: queue.Queue[Frame] = queue.Queue(maxsize=queue_size)
        self.batch = batch
        self.linger = linger
        self.tcp_receive_buffer = tcp_receive_buffer
        self.stats = Stats()
        self.buckets: dict[str, Bucket] = {}
        self.ready = threading.Event()
        self.stopping = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._servers: list[Any] = []
        self._sources: dict[str, tuple[float, Any]] = {}
        self._pool: _WriterPool | None = None

    # -- network half ------------------------------------------------------------------

    def _offer(self, frame: bytes, peer: str, channel: str, arrived: float) -> None:
        self.stats.received += 1
        bucket = self.buckets.get(peer)
        if bucket is None:
            bucket = self.buckets[peer] = Bucket(self.rate, self.rate, self.rate)
        if not bucket.take():
            self.stats.dropped_flood += 1
            return
        try:
            self.queue.put_nowait((frame, peer, channel, arrived))
        except queue.Full:
            self.stats.dropped_queue += 1

    async def _room(self) -> None:
        """TCP back-pressure: stop reading while the writer is behind (only the loop
        thread puts, so once there is room the next put fits)."""
        while self.queue.full() and not self.stopping.is_set():
            await asyncio.sleep(0.005)

    async def _serve(self) -> None:
        loop = asyncio.get_running_loop()
        listener = self

        class Udp(asyncio.DatagramProtocol):
            def datagram_received(self, data: bytes, addr: Any) -> None:
                arrived = time.time()
                for line in data.split(b"\n"):
                    if line.strip():
                        listener._offer(line.rstrip(b"\r"), addr[0], "udp", arrived)

        async def tcp(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            peer = (writer.get_extra_info("peername") or ("?",))[0]
            buffer = bytearray()
            try:
                while not self.stopping.is_set():
                    await self._room()
                    chunk = await reader.read(65536)
                    if not chunk:
                        break
                    arrived = time.time()
                    buffer.extend(chunk)
                    try:
                        frames = split_frames(buffer)
                    except FramingError as exc:
                        self._refused_inline(peer, "tcp", str(exc))
                        break
                    for frame in frames:
                        if self.queue.full():
                            await self._room()
                        self._offer(frame, peer, "tcp", arrived)
                if buffer.strip():  # the last line without its newline
                    await self._room()
                    self._offer(bytes(buffer).rstrip(b"\r\n"), peer, "tcp", time.time())
            except (ConnectionError, asyncio.IncompleteReadError):
                pass
            finally:
                writer.close()

        if self.udp_port is not None:
            transport, _ = await loop.create_datagram_endpoint(
                Udp, local_addr=(self.host, self.udp_port)
            )
            self.udp_port = transport.get_extra_info("sockname")[1]
            self._servers.append(transport)
        if self.tcp_port is not None:
            server = await asyncio.start_server(
                tcp, self.host, self.tcp_port, limit=MAX_EVENT_BYTES * 4
            )
            self.tcp_port = server.sockets[0].getsockname()[1]
            for sock in server.sockets:  # accepted connections inherit it
                # A small kernel buffer: under back-pressure the backlog stays with the
                # sender, not in a buffer a kill -9 of this process throws away.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.tcp_receive_buffer)
            self._servers.append(server)
        self.ready.set()
        while not self.stopping.is_set():
            await asyncio.sleep(0.1)
        for item in self._servers:
            item.close()

    def _refused_inline(self, peer: str, channel: str, detail: str) -> None:
        # Recorded by the writer (database work stays in one thread).
        try:
            self.queue.put_nowait((b"\x00FRAMING " + detail.encode(), peer, channel, time.time()))
        except queue.Full:
            self.stats.dropped_queue += 1

    def start_network(self) -> None:
        def run() -> None:
            self._loop = asyncio.new_event_loop()
            self._loop.run_until_complete(self._serve())

        self._thread = threading.Thread(target=run, name="syslog-net", daemon=True)
        self._thread.start()
        if not self.ready.wait(10):
            raise RuntimeError("syslog listener did not start")

    def stop(self) -> None:
        self.stopping.set()
        if self._thread is not None:
            self._thread.join(5)

    # -- writer half -------------------------------------------------------------------

    def _source(self, peer: str):
        from tinhso.security.services import source_for_peer

        cached = self._sources.get(peer)
        if cached is None or time.monotonic() - cached[0] > 30:
            cached = (time.monotonic(), source_for_peer(peer))
            self._sources[peer] = cached
        return cached[1]

    def drain(self, *, wait: float | None = None) -> int:
        """Write one batch: up to `batch` frames, waiting at most `linger` for more."""
        items = self._collect(wait)
        if items:
            self.write(items)
        return len(items)

    def _collect(self, wait: float | None = None) -> list[Frame]:
        """Up to `batch` frames off the queue, waiting at most `linger` for more."""
        items: list[Frame] = []
        try:
            items.append(self.queue.get(timeout=self.linger if wait is None else wait))
        except queue.Empty:
            return items
        deadline = time.monotonic() + self.linger
        while len(items) < self.batch:
            remaining = deadline - time.monotonic()
            try:
                items.append(
                    self.queue.get(timeout=max(0.0, remaining))
                    if remaining > 0
                    else self.queue.get_nowait()
                )
            except queue.Empty:
                break
        return items

    def write(self, items: list[Frame]) -> None:
        """Parse the frames and ingest them, one transaction per source."""
        from tinhso.security import intake
        from tinhso.security.services import reject

        started = time.perf_counter()
        by_source: dict[int, tuple[Any, list, float]] = {}
        for frame, peer, channel, arrived in items:
            source = self._source(peer)
            try:
                if frame.startswith(b"\x00FRAMING"):
                    raise IntakeRefused(
                        "Khung TCP vượt quá kích thước cho phép; đã ngắt kết nối.",
                        code=SecurityErrorCode.EVENT_TOO_LARGE,
                    )
                text = frame.decode("utf-8", "replace")
                parsed = from_syslog(text)
                if not parsed.extra.get("agent_ip"):
                    parsed.extra["agent_ip"] = peer
            except IntakeRefused as err:
                self.stats.rejected += 1
                reject(
                    channel=channel,
                    code=err.code,
                    reason=err.message,
                    sample=frame,
                    peer=peer,
                    source=source,
                )
                continue
            held = by_source.get(source.pk)
            if held is None:
                by_source[source.pk] = (source, [parsed], arrived)
            else:
                held[1].append(parsed)
        for source, parsed_items, first_arrival in by_source.values():
            # The batch's events count from its oldest frame's arrival (conservative).
            received_at = dt.datetime.fromtimestamp(first_arrival, tz=dt.UTC)
            result = intake.ingest(source=source, items=parsed_items, received_at=received_at)
            self.stats.accepted += result.accepted
            self.stats.duplicates += result.duplicates
            self.stats.alerts += result.alerts_raised
        self.stats.batches += 1
        self.stats.last_batch_ms = (time.perf_counter() - started) * 1000

    def start_writers(self, writers: int) -> None:
        """With `writers` > 1, batches are parsed and ingested by that many forked
        processes (one core each: parsing and the rules are Python) while this process
        keeps the sockets, the batching and the housekeeping; a full hand-over queue stops
        the reading, as a full frame queue does. Called before `start_network`, so the
        writers hold no socket and no thread."""
        if writers > 1:
            self._pool = _WriterPool(self, writers)

    def run_writer(self, *, housekeeping_every: float = 300.0, report_every: float = 10.0) -> None:
        """Write batches until stopped and the queue is empty."""
        from tinhso.security.services import housekeeping

        pool = self._pool
        next_house = time.monotonic() + 5
        next_report = time.monotonic() + report_every
        try:
            while not (self.stopping.is_set() and self.queue.empty()):
                try:
                    if pool is None:
                        self.drain()
                    else:
                        pool.hand_over(self._collect())
                except Exception as exc:  # a database outage: keep the frames' loss visible
                    from tinhso.core.faults import log_failure

                    log_failure(log, "syslog: writing a batch failed", exc)
                    close_old_connections()
                    connection.close()
                    time.sleep(1)
                now = time.monotonic()
                if now >= next_report:
                    log.info("syslog stats %s", self.stats.as_dict())
                    next_report = now + report_every
                if housekeeping_every and now >= next_house:
                    try:
                        log.info("housekeeping %s", housekeeping())
                    except Exception:
                        log.exception("syslog: housekeeping failed")
                    next_house = now + housekeeping_every
        finally:
            if pool is not None:
                pool.close()


_COUNTED = ("accepted", "duplicates", "rejected", "alerts", "batches")


class _Writer:
    """One forked writer and its own two queues (a writer killed while holding a shared
    queue's lock would stall every other writer)."""

    def __init__(self, pool: _WriterPool, n: int) -> None:
        self.batches: Any = pool.context.Queue(maxsize=1)
        self.counts: Any = pool.context.Queue()
        self.process = pool.context.Process(
            target=_write_batches,
            args=(pool.listener, self.batches, self.counts, pool.parent),
            name=f"syslog-writer-{n}",
            daemon=True,
        )
        self.process.start()


class _WriterPool:
    """Forked writer processes, each fed batches through its own bounded queue and sending
    back what it counted, so the listener's stats stay whole. A writer that died (killed,
    out of memory) is replaced, losing at most the batch it held and the one waiting for
    it. A writer whose listener died (kill -9) finishes the batch in hand and exits: what
    it committed is kept."""

    def __init__(self, listener: SyslogListener, writers: int) -> None:
        import multiprocessing

        from django.db import connections

        self.listener = listener
        self.context = multiprocessing.get_context("fork")
        self.parent = os.getpid()
        connections.close_all()  # each child opens its own
        self.writers = [_Writer(self, n) for n in range(writers)]
        self._next = 0

    @property
    def processes(self) -> list[Any]:
        return [w.process for w in self.writers]

    def hand_over(self, items: list[Frame]) -> None:
        """Give the batch to the next writer with room, waiting (and so not reading the
        sockets) while all are busy."""
        while items:
            self._replace_dead()
            for step in range(len(self.writers)):
                k = (self._next + step) % len(self.writers)
                try:
                    self.writers[k].batches.put_nowait(items)
                except queue.Full:
                    continue
                self._next = k + 1
                items = []
                break
            else:
                self._gather()
                time.sleep(0.005)
        self._gather()

    def _replace_dead(self) -> None:
        for n, writer in enumerate(self.writers):
            if not writer.process.is_alive():
                log.error(
                    "syslog: writer %s exited (%s); starting another", n, writer.process.exitcode
                )
                self._gather_from(writer)
                self.writers[n] = _Writer(self, n)

    def _gather(self) -> None:
        for writer in self.writers:
            self._gather_from(writer)

    def _gather_from(self, writer: _Writer) -> None:
        stats = self.listener.stats
        while True:
            try:
                counted = writer.counts.get_nowait()
            except Exception:  # noqa: BLE001 - empty, or a dead writer's half-sent count
                return
            for name, value in zip(_COUNTED, counted[:-1], strict=True):
                setattr(stats, name, getattr(stats, name) + value)
            stats.last_batch_ms = counted[-1]

    def close(self) -> None:
        for writer in self.writers:
            # a writer stuck in its batch: join() below gives up on it too
            with contextlib.suppress(queue.Full):
                writer.batches.put(None, timeout=30)
        for writer in self.writers:
            writer.process.join(30)
        self._gather()


def _write_batches(listener: SyslogListener, batches: Any, counts: Any, parent: int) -> None:
    listener.stats = Stats()
    while True:
        try:
            items = batches.get(timeout=1.0)
        except queue.Empty:
            if os.getppid() != parent:
                return
            continue
        if items is None:
            return
        before = [getattr(listener.stats, name) for name in _COUNTED]
        try:
            listener.write(items)
        except Exception as exc:
            from tinhso.core.faults import log_failure

            log_failure(log, "syslog: writing a batch failed", exc)
            close_old_connections()
            connection.close()
            time.sleep(1)
        counts.put(
            [getattr(listener.stats, n) - b for n, b in zip(_COUNTED, before, strict=True)]
            + [listener.stats.last_batch_ms]
        )
