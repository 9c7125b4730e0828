"""The data plane's HTTP/1.1 client to providers: kept-alive connections, nothing else.

A call through the gateway is one request to the provider and one answer back, in full
(the message log hashes both bodies). A general client (aiohttp) spends most of the data
plane's time per call on what this does not need: URL objects, header multidicts,
streaming readers, redirects, cookies, tracing. This one writes the request line and the
headers the data plane built, and parses the answer with httptools (the parser the data
plane's server uses for its own side), over connections kept per provider address.

What it guarantees, and the data plane maps to its error codes:
- `Unavailable`: no connection could be made (refused, no route, name unknown);
- `BadResponse`: the provider closed the connection or sent what is not HTTP;
- `TooLarge`: the answer's body is over the limit (announced or received);
- `TimeoutError`: no whole answer within the service's time-out.

A kept connection the provider has closed while it was idle is seen before it is used
(the transport reports the close), and a request that was cut before any byte of an
answer came back on a reused connection is sent again once on a new one, for the
methods that may be repeated (RFC 9110 §9.2.2).
"""

from __future__ import annotations

import asyncio
import functools
import math
import ssl
from collections import defaultdict, deque
from urllib.parse import urlsplit

import httptools

IDEMPOTENT = {b"GET", b"HEAD", b"PUT", b"DELETE", b"OPTIONS", b"TRACE"}


class UpstreamError(Exception):
    pass


class Unavailable(UpstreamError):
    pass


class BadResponse(UpstreamError):
    pass


class TooLarge(UpstreamError):
    pass


class _Cut(BadResponse):
    """The connection ended before any byte of the answer (may be sent again)."""


class Answer:
    __slots__ = ("status", "headers", "body")

    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body


class _Connection(asyncio.Protocol):
    def __init__(self, max_body: int) -> None:
        self.max_body = max_body
        self.deadline = 0.0  # of the exchange in progress (the pool's clock, `_expire`)
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self._waiter: asyncio.Future[Answer] | None = None
        self._parser = httptools.HttpResponseParser(self)
        self._headers: list[tuple[bytes, bytes]] = []
        self._body: list[bytes] = []
        self._size = 0
        self._received = False
        self._head = False
        self._headers_done = False

    # asyncio.Protocol
    def connection_made(self, transport) -> None:
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._waiter is None or self._waiter.done():
            return
        if self._headers_done and self._delimited_by_close():
            self._finish(keep=False)  # a body without a length ends with the connection
            return
        error = BadResponse if self._received else _Cut
        self._waiter.set_exception(error("the provider closed the connection"))

    def data_received(self, data: bytes) -> None:
        if self._waiter is None or self._waiter.done():
            self.close()  # a provider that speaks out of turn: its next answer is unreadable
            return
        self._received = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            cause = exc.__context__
            self._fail(cause if isinstance(cause, TooLarge) else BadResponse(str(exc)))

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        if self._interim():
            return
        self._headers_done = True
        length = self._content_length()
        if length is not None and length > self.max_body:
            raise TooLarge("the provider's answer is over the limit")
        if self._head:  # no body follows, whatever Content-Length says
            self._finish(keep=False)

    def on_body(self, body: bytes) -> None:
        self._size += len(body)
        if self._size > self.max_body:
            raise TooLarge("the provider's answer is over the limit")
        self._body.append(body)

    def on_message_complete(self) -> None:
        if self._interim():  # "100 Continue" and the like: the answer follows
            self._headers, self._body, self._size = [], [], 0
            return
        if not self._head:
            self._finish(keep=self._parser.should_keep_alive())

    def _interim(self) -> bool:
        status = self._parser.get_status_code()
        return 100 <= status < 200 and status != 101

    # the request
    def exchange(
        self, request: bytes, *, head: bool, waiter: asyncio.Future[Answer]
    ) -> asyncio.Future[Answer]:
        """Send `request`; `waiter` gets the whole answer. (The pool keeps the time-out.)
        A kept connection's parser goes on to its next answer: the last one was read
        whole and nothing came since (what comes between answers closes the connection)."""
        assert self.transport is not None
        self._waiter = waiter
        self._headers, self._body, self._size = [], [], 0
        self._received, self._head, self._headers_done = False, head, False
        self.transport.write(request)
        return waiter

    def time_out(self) -> None:
        self._fail(TimeoutError("no whole answer within the time-out"))

    def _content_length(self) -> int | None:
        for name, value in self._headers:
            if name.lower() == b"content-length":
                try:
                    return int(value)
                except ValueError:
                    raise BadResponse("a wrong Content-Length") from None
        return None

    def _delimited_by_close(self) -> bool:
        names = {name.lower() for name, _ in self._headers}
        return b"content-length" not in names and b"transfer-encoding" not in names

    def _finish(self, *, keep: bool) -> None:
        if self._waiter is None or self._waiter.done():
            return
        status = self._parser.get_status_code()
        self._waiter.set_result(Answer(status, self._headers, b"".join(self._body)))
        if not keep:
            self.close()

    def _fail(self, exc: Exception) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(exc)
        self.close()

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class UpstreamPool:
    """Connections kept per provider address (scheme, host, port)."""

    def __init__(
        self, *, max_idle_per_host: int = 256, loop: asyncio.AbstractEventLoop | None = None
    ) -> None:
        self.max_idle = max_idle_per_host
        self._idle: defaultdict[tuple[str, str, int], deque[_Connection]] = defaultdict(deque)
        self._tls: ssl.SSLContext | None = None
        # (given by the data plane: `asyncio.get_running_loop()` asks the system for the
        # process id on every call, twice per call here)
        self._loop = loop
        # the time-outs: one timer at the earliest deadline of the exchanges in progress
        # instead of one per exchange (calls end long before their time-out: the timer
        # fires about once per time-out and finds nothing due)
        self._busy: set[_Connection] = set()
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = math.inf

    async def request(
        self,
        method: str,
        url: str,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        *,
        timeout: float,
        max_body: int,
    ) -> Answer:
        """One call to an absolute http(s) URL."""
        address, host_line, target = _split_url(url)
        return await self.send(
            method.encode("ascii"),
            address,
            host_line,
            target.encode("latin-1"),
            headers,
            body,
            timeout=timeout,
            max_body=max_body,
        )

    async def send(
        self,
        verb: bytes,
        address: tuple[str, str, int],
        host_line: bytes,
        target: bytes,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        *,
        timeout: float,
        max_body: int,
    ) -> Answer:
        """One call to `address` (`base_of` gives it and the Host line of a base URL):
        `verb target` with `headers` and `body`, the whole answer back."""
        request = _request_bytes(verb, target, host_line, headers, body)
        head = verb == b"HEAD"
        loop = self._loop or asyncio.get_running_loop()
        # one deadline for connecting, sending and the whole answer
        deadline = loop.time() + timeout
        connection = None
        try:
            connection, reused = await self._connection(address, max_body, deadline)
            try:
                answer = await self._exchange(loop, connection, request, head, deadline)
            except _Cut:
                if not (reused and verb in IDEMPOTENT):
                    raise
                connection, _ = await self._connection(address, max_body, deadline, fresh=True)
                answer = await self._exchange(loop, connection, request, head, deadline)
        except BaseException:  # failed, timed out or cancelled: the connection is spent
            if connection is not None:
                connection.close()
            raise
        self._release(address, connection)
        return answer

    async def _exchange(
        self,
        loop: asyncio.AbstractEventLoop,
        connection: _Connection,
        request: bytes,
        head: bool,
        deadline: float,
    ) -> Answer:
        connection.deadline = deadline
        self._busy.add(connection)
        if deadline < self._timer_at:
            if self._timer is not None:
                self._timer.cancel()
            self._timer, self._timer_at = loop.call_at(deadline, self._expire, loop), deadline
        try:
            return await connection.exchange(request, head=head, waiter=loop.create_future())
        finally:
            self._busy.discard(connection)

    def _expire(self, loop: asyncio.AbstractEventLoop) -> None:
        """The timer: time out the exchanges past their deadline, wait for the next one."""
        self._timer, self._timer_at = None, math.inf
        now = loop.time()
        soonest = math.inf
        for connection in list(self._busy):
            if connection.deadline <= now:
                connection.time_out()
            elif connection.deadline < soonest:
                soonest = connection.deadline
        if soonest < math.inf:
            self._timer, self._timer_at = loop.call_at(soonest, self._expire, loop), soonest

    async def _connection(
        self, address: tuple[str, str, int], max_body: int, deadline: float, *, fresh: bool = False
    ) -> tuple[_Connection, bool]:
        idle = self._idle[address]
        while idle and not fresh:
            connection = idle.pop()
            if not connection.closed and not connection.transport.is_closing():  # type: ignore[union-attr]
                connection.max_body = max_body
                return connection, True
        scheme, host, port = address
        loop = self._loop or asyncio.get_running_loop()
        try:
            _, connection = await asyncio.wait_for(
                loop.create_connection(
                    lambda: _Connection(max_body),
                    host,
                    port,
                    ssl=self._tls_context() if scheme == "https" else None,
                ),
                max(0.0, deadline - loop.time()),
            )
        except (OSError, ssl.SSLError) as exc:  # TimeoutError is an OSError too
            if isinstance(exc, TimeoutError) and loop.time() >= deadline:
                raise  # the service's time-out, not the system's
            raise Unavailable(str(exc)) from exc
        return connection, False

    def _release(self, address: tuple[str, str, int], connection: _Connection) -> None:
        idle = self._idle[address]
        if connection.closed or len(idle) >= self.max_idle:
            connection.close()
            return
        idle.append(connection)

    def _tls_context(self) -> ssl.SSLContext:
        if self._tls is None:
            self._tls = ssl.create_default_context()
        return self._tls

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer, self._timer_at = None, math.inf
        for idle in self._idle.values():
            while idle:
                idle.pop().close()


def _split_url(url: str) -> tuple[tuple[str, str, int], bytes, str]:
    """(address to connect to, Host header line, request target) of an http(s) URL; the
    part before the path is read once per provider address (`_origin`)."""
    start = url.find("://")
    if start > 0 and url.isprintable() and url[0] != " " and url[-1] != " ":
        end = start + 3
        while end < len(url) and url[end] not in "/?#":
            end += 1
        address, host_line = _origin(url[:end])
        target = url[end:].partition("#")[0]
        if target.endswith("?") and target.count("?") == 1:
            target = target[:-1]  # an empty query is no query
        return address, host_line, target if target.startswith("/") else "/" + target
    parts = urlsplit(url)  # what the quick reading above leaves to the standard one
    address, host_line = _origin(f"{parts.scheme}://{parts.netloc}")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return address, host_line, target


@functools.lru_cache(maxsize=1024)
def _origin(origin: str) -> tuple[tuple[str, str, int], bytes]:
    parts = urlsplit(origin)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise Unavailable(f"not an http(s) address: {origin!r}")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as exc:
        raise Unavailable(f"not an http(s) address: {origin!r}") from exc
    host = parts.netloc.rpartition("@")[2]
    return (scheme, parts.hostname, port), b"Host: " + host.encode("idna")


@functools.lru_cache(maxsize=1024)
def base_of(base_url: str) -> tuple[tuple[str, str, int], bytes, bytes] | None:
    """(address, Host line, path) of a provider's base URL, read once per URL, for
    `send`; None when the base URL holds a query or a fragment (`request` then reads the
    whole URL of each call)."""
    if "?" in base_url or "#" in base_url:
        return None
    address, host_line, target = _split_url(base_url)
    return address, host_line, target.rstrip("/").encode("latin-1")


def _request_bytes(
    verb: bytes, target: bytes, host_line: bytes, headers: list[tuple[bytes, bytes]], body: bytes
) -> bytes:
    lines = [verb + b" " + target + b" HTTP/1.1", host_line]
    for name, value in headers:
        lines += (name + b": " + value,)
    head = b"\r\n".join(lines)
    breaks = len(lines) - 1  # the line ends put there above; any other is in a header
    if head.count(b"\n") != breaks or head.count(b"\r") != breaks:
        for name, value in headers:
            if b"\r" in name + value or b"\n" in name + value:
                raise UpstreamError(f"header {name!r} holds a line break")
        raise UpstreamError("the request line holds a line break")
    if body or verb in (b"POST", b"PUT", b"PATCH"):
        return b"%s\r\nContent-Length: %d\r\n\r\n%s" % (head, len(body), body)
    return head + b"\r\n\r\n"
