"""The data plane's HTTP/1.1 server: an asyncio protocol that parses requests with
httptools and hands each whole request to a handler (`Gateway.handle`).

The data plane used to be an ASGI application under uvicorn. A call through the gateway
is one whole request in and one whole answer out (the message log hashes both bodies), so
the ASGI machinery (a scope dict, receive/send message dicts, two writes per answer) was
most of its time per call. This server does only what the data plane needs:

- HTTP/1.1 connections kept alive (HTTP/1.0 ones when they ask, `Connection: close`
  honoured), closed after `keep_alive` seconds without a request;
- pipelined requests answered in order, one at a time per connection (reading pauses
  while too many wait);
- request bodies by `Content-Length` or in chunks, joined, within the handler's
  `max_body`: over it (announced or received), the handler still gets the request, marked
  `too_large` (it answers 413 and logs the call), the rest of the body is read and thrown
  away for a while, and the connection is closed after that answer;
- `Expect: 100-continue` answered before the body is read;
- what is not HTTP: 400 in the gateway's error shape, then the connection is closed;
- one write per answer, with the gateway's `Server` and a `Date` refreshed every second;
- write ahead, then answer: the answers ready in one turn of the event loop are sent
  together at the start of the next, right after one `handler.commit()` has written the
  records of all of them (one write of the message log per turn instead of one per call).
  If the commit fails, the calls that had a record are answered `handler.unlogged()`.

A client that goes away does not cancel the call in progress: it is answered to nobody
and logged (write ahead, then answer); the requests it had pipelined behind it are not
started.
"""

from __future__ import annotations

import asyncio
import email.utils
import http
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Protocol
from urllib.parse import unquote

import httptools

log = logging.getLogger("tinhso.gateway")

SERVER_HEADER = b"server: tinhso-gateway\r\n"
MAX_PIPELINED = 32  # requests waiting on one connection before reading pauses
LINGER_SECONDS = 5.0  # how long the rest of a refused body is read after the answer


class Request:
    """One whole request as the handler sees it. Header names are in lower case."""

    __slots__ = (
        "method",
        "path",
        "raw_path",
        "query",
        "headers",
        "body",
        "client",
        "too_large",
        "record_id",
    )

    def __init__(
        self,
        method: str,
        path: str,
        raw_path: bytes,
        query: bytes,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        client: str,
        too_large: bool = False,
    ) -> None:
        self.method = method
        self.path = path  # percent-decoded
        self.raw_path = raw_path  # as sent
        self.query = query  # as sent, without "?"
        self.headers = headers
        self.body = body
        self.client = client
        self.too_large = too_large
        self.record_id = ""  # set by the handler: the request id of the record it added


Answer = tuple[int, list[tuple[bytes, bytes]], bytes]  # status, headers, body


class Handler(Protocol):
    """What the server needs from the data plane (`Gateway` is one)."""

    max_body: int

    def handle(self, request: Request) -> Awaitable[Answer]: ...

    def bad_request(self) -> Answer:
        """The answer to what is not HTTP (nothing else is known about it)."""
        ...

    def commit(self) -> bool:
        """Write the records added since the last commit (before their answers are
        sent); False if they could not be written."""
        ...

    def unlogged(self, request: Request) -> Answer:
        """The answer instead of a call's own when its record could not be written."""
        ...


def _status_line(status: int) -> bytes:
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    return f"HTTP/1.1 {status} {phrase}\r\n".encode("latin-1")


STATUS_LINES = {status.value: _status_line(status.value) for status in http.HTTPStatus}


class _Drop(Exception):
    """Raised by a callback: stop parsing this connection's input (httptools gives it
    back as an HttpParserCallbackError; `stop_reading` is already set)."""


class HttpProtocol(asyncio.Protocol):
    def __init__(self, server: HttpServer) -> None:
        self.server = server
        self.handler = server.handler
        self.loop = server.loop
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.client = ""
        # requests to answer in order (None: what was not HTTP), and whether to keep alive
        self.queue: deque[tuple[Request | None, bool]] = deque()
        # one task answers the connection's requests for as long as it lives (a task per
        # request was a tenth of the time per call: asyncio registers each in a WeakSet)
        self.responder: asyncio.Task[None] | None = None
        self.idle: asyncio.Future[None] | None = None  # what the responder waits on
        self.busy = False  # the responder is answering a request
        self.ended = False  # the responder is done with this connection
        self.last_active = self.loop.time()
        self.closed = False
        self.stop_reading = False  # after a refused body or a bad request: answer, then close
        self.linger_until = 0.0
        self.reading_paused = False
        self.drained: asyncio.Future[None] | None = None
        # the request being read
        self.url = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.body: list[bytes] = []
        self.size = 0
        self.too_large = False
        self.headers_done = False
        self.dispatched = False

    # -- asyncio.Protocol ------------------------------------------------------------------

    def connection_made(self, transport) -> None:  # type: ignore[override]
        self.transport = transport
        peer = transport.get_extra_info("peername")
        self.client = peer[0] if isinstance(peer, tuple) else ""
        self.server.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.server.connections.discard(self)
        self.queue.clear()  # not started: nobody is there for the answers
        self._wake()
        if self.drained is not None and not self.drained.done():
            self.drained.set_result(None)

    def data_received(self, data: bytes) -> None:
        self.last_active = self.loop.time()
        if self.stop_reading:
            return  # the rest of a refused body, or what follows a bad request
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            # answered over HTTP/1.1 as if no upgrade had been asked; nothing more is read
            self.stop_reading = True
            if self.headers_done and not self.dispatched:
                self._dispatch(keep_alive=False)
        except httptools.HttpParserError:
            if self.stop_reading:
                return  # a body over the limit (_Drop): its request is already queued
            self.stop_reading = True
            self.queue.append((None, False))
            self._start_responder()

    def pause_writing(self) -> None:
        self.drained = self.loop.create_future()

    def resume_writing(self) -> None:
        if self.drained is not None and not self.drained.done():
            self.drained.set_result(None)
        self.drained = None

    # -- httptools callbacks ---------------------------------------------------------------

    def on_message_begin(self) -> None:
        self.url = b""
        self.headers = []
        self.body = []
        self.size = 0
        self.too_large = False
        self.headers_done = False
        self.dispatched = False

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name.lower(), value))

    def on_headers_complete(self) -> None:
        self.headers_done = True
        limit = self.handler.max_body
        expect = False
        for name, value in self.headers:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0  # the parser refuses it
                if declared > limit:
                    self._refuse_body()
                    raise _Drop
            elif name == b"expect" and value.lower() == b"100-continue":
                expect = True
        if expect and self.transport is not None:
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_body(self, body: bytes) -> None:
        if self.too_large:
            return
        self.size += len(body)
        if self.size > self.handler.max_body:
            self._refuse_body()
            raise _Drop
        self.body.append(body)

    def on_message_complete(self) -> None:
        if not self.dispatched:
            self._dispatch(keep_alive=self.parser.should_keep_alive())

    # -- requests and answers --------------------------------------------------------------

    def _refuse_body(self) -> None:
        """The body is over the limit: the request goes to the handler now (it answers
        413 and logs the call); what follows on this connection is read and dropped."""
        self.too_large = True
        self.body = []
        self._dispatch(keep_alive=False)
        self.stop_reading = True

    def _dispatch(self, *, keep_alive: bool) -> None:
        self.dispatched = True
        parsed = httptools.parse_url(self.url)
        raw_path = parsed.path or b"/"
        path = raw_path.decode("ascii")
        if "%" in path:
            path = unquote(path)
        request = Request(
            self.parser.get_method().decode("ascii"),
            path,
            raw_path,
            parsed.query or b"",
            self.headers,
            b"".join(self.body) if len(self.body) != 1 else self.body[0],
            self.client,
            self.too_large,
        )
        self.body = []
        self.queue.append((request, keep_alive))
        if len(self.queue) > MAX_PIPELINED and not self.reading_paused and self.transport:
            self.reading_paused = True
            self.transport.pause_reading()
        self._start_responder()

    def _start_responder(self) -> None:
        if self.responder is None:
            if not self.ended:
                self.responder = self.loop.create_task(self._respond())
        else:
            self._wake()

    def _wake(self) -> None:
        if self.idle is not None:
            idle, self.idle = self.idle, None
            idle.set_result(None)

    @property
    def working(self) -> bool:
        """A request is being answered or waits to be."""
        return self.responder is not None and (self.busy or bool(self.queue))

    async def _respond(self) -> None:
        """Answer the queued requests in order, one at a time (each answer goes to the
        server's outbox, which sends it after the commit of its record); between
        requests, wait for the next one."""
        transport = self.transport
        assert transport is not None
        keep_alive = True
        try:
            while keep_alive:
                if not self.queue:
                    self.busy = False
                    self.last_active = self.loop.time()
                    self.idle = self.loop.create_future()
                    await self.idle  # until a request comes or the connection goes
                    if self.closed:
                        return
                    continue
                self.busy = True
                if self.drained is not None:  # the client reads slower than we answer
                    await self.drained
                    if self.closed:
                        return
                request, keep_alive = self.queue.popleft()
                if self.reading_paused and len(self.queue) <= MAX_PIPELINED // 2:
                    self.reading_paused = False
                    transport.resume_reading()
                if request is None:  # a bad request: answered, then closed
                    self.server.send(self, None, self.handler.bad_request(), False)
                    break
                try:
                    answer = await self.handler.handle(request)
                except Exception:  # the handler answers its own failures; this is a bug
                    log.exception("the data plane's handler failed")
                    answer = (500, [], b"")
                    keep_alive = False
                # (sent even when the client has gone: the outbox commits its record)
                self.server.send(self, request, answer, keep_alive)
        finally:
            self.busy = False
            self.ended = True
            self.responder = None
            self.last_active = self.loop.time()

    def write_answer(self, request: Request | None, answer: Answer, keep_alive: bool) -> None:
        """Send one answer (the server's outbox, after the commit of its record)."""
        if self.closed:
            return
        assert self.transport is not None
        status, headers, body = answer
        head = self._head(status, headers, len(body), keep_alive=keep_alive)
        self.transport.write(
            head if request is not None and request.method == "HEAD" else head + body
        )
        if not keep_alive:
            self._finish()

    def _head(
        self, status: int, headers: list[tuple[bytes, bytes]], length: int, *, keep_alive: bool
    ) -> bytes:
        line = STATUS_LINES.get(status) or _status_line(status)
        parts = [line, SERVER_HEADER, self.server.date_header]
        for name, value in headers:
            parts += (name, b": ", value, b"\r\n")
        parts.append(b"content-length: %d\r\n" % length)
        if not keep_alive:
            parts.append(b"connection: close\r\n")
        parts.append(b"\r\n")
        return b"".join(parts)

    def _finish(self) -> None:
        """The last answer is written: close, reading for a while what the client may
        still be sending (closing on unread input would reset the connection and the
        client could lose the answer)."""
        assert self.transport is not None
        if self.stop_reading and self.transport.can_write_eof():
            self.linger_until = self.loop.time() + LINGER_SECONDS
            self.transport.write_eof()
            if self.reading_paused:
                self.reading_paused = False
                self.transport.resume_reading()
        else:
            self.transport.close()

    def idle_check(self, now: float, keep_alive: float) -> None:
        """Close the connection when it waits for nothing (the server's tick)."""
        if self.transport is None or self.closed or self.working:
            return
        if self.linger_until:
            if now >= self.linger_until:
                self.transport.close()
        elif now - self.last_active > keep_alive:
            self.transport.close()


class HttpServer:
    """Listens on host:port and serves `handler` until `close()`."""

    def __init__(
        self,
        handler: Handler,
        *,
        host: str,
        port: int,
        keep_alive: float = 30.0,
        backlog: int = 2048,
        reuse_port: bool = False,
    ) -> None:
        self.handler = handler
        self.reuse_port = reuse_port  # several processes listen on the port
        self.host, self.port = host, port
        self.keep_alive = keep_alive
        self.backlog = backlog
        self.connections: set[HttpProtocol] = set()
        self.date_header = b""
        # answers ready in this turn of the loop, sent by `_flush` after the commit
        self.outbox: list[tuple[HttpProtocol, Request | None, Answer, bool]] = []
        self._server: asyncio.base_events.Server | None = None
        self._tick: asyncio.TimerHandle | None = None
        self.loop: asyncio.AbstractEventLoop = None  # type: ignore[assignment]

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._on_tick()
        factory: Callable[[], HttpProtocol] = lambda: HttpProtocol(self)  # noqa: E731
        self._server = await self.loop.create_server(
            factory,
            self.host,
            self.port,
            backlog=self.backlog,
            reuse_address=True,
            reuse_port=self.reuse_port,
        )
        if self.port == 0:
            self.port = self._server.sockets[0].getsockname()[1]

    def send(
        self, connection: HttpProtocol, request: Request | None, answer: Answer, keep_alive: bool
    ) -> None:
        """Queue an answer; the first of a turn schedules `_flush` for the next one."""
        self.outbox.append((connection, request, answer, keep_alive))
        if len(self.outbox) == 1:
            self.loop.call_soon(self._flush)

    def _flush(self) -> None:
        """Write ahead, then answer: one commit of the records of every queued answer,
        then the answers, each on its connection in the order it was queued."""
        outbox, self.outbox = self.outbox, []
        handler = self.handler
        logged = handler.commit()
        for connection, request, answer, keep_alive in outbox:
            if not logged and request is not None and request.record_id:
                answer = handler.unlogged(request)
            try:
                connection.write_answer(request, answer, keep_alive)
            except Exception:  # one connection's failure is not the others'
                log.exception("an answer could not be sent")
                if connection.transport is not None:
                    connection.transport.abort()

    def _on_tick(self) -> None:
        """Once a second: the Date header, and idle connections closed."""
        now = time.time()
        self.date_header = b"date: " + email.utils.formatdate(now, usegmt=True).encode() + b"\r\n"
        mono = self.loop.time()
        for connection in list(self.connections):
            connection.idle_check(mono, self.keep_alive)
        self._tick = self.loop.call_at(mono + 1.0 - (now % 1.0), self._on_tick)

    async def close(self, *, grace: float = 10.0) -> None:
        """Stop listening, let the calls in progress be answered, close the connections."""
        if self._server is not None:
            self._server.close()
        deadline = self.loop.time() + grace
        while any(c.working for c in self.connections):
            if self.loop.time() > deadline:
                break
            await asyncio.sleep(0.05)
        self._flush()  # what the last calls answered, before the connections close
        if self._tick is not None:
            self._tick.cancel()
        responders = [c.responder for c in self.connections if c.responder is not None]
        for connection in list(self.connections):
            if connection.transport is not None:
                connection.transport.close()
        if responders:  # woken by the close, they end (none is left pending on the loop)
            await asyncio.wait(responders, timeout=1.0)
        if self._server is not None:
            await self._server.wait_closed()
