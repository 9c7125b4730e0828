"""The data plane's client to providers (tinhso.gateway.upstream) against a provider that
speaks raw HTTP/1.1 on a socket: kept-alive connections reused, every way an answer may
be framed (length, chunks, the connection's end, HEAD), and every way a provider fails."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from tinhso.gateway import upstream

Reply = Callable[[bytes], bytes | None]  # request bytes -> raw answer (None: close)


class RawProvider:
    """Answers each request on a connection with `reply(request)`; counts connections."""

    def __init__(self, reply: Reply, *, close_after: bool = False) -> None:
        self.reply = reply
        self.close_after = close_after
        self.connections = 0
        self.requests: list[bytes] = []
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            buffer = b""
            while True:
                try:
                    data = conn.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                buffer += data
                while b"\r\n\r\n" in buffer:
                    head, _, rest = buffer.partition(b"\r\n\r\n")
                    length = 0
                    for line in head.split(b"\r\n")[1:]:
                        name, _, value = line.partition(b":")
                        if name.strip().lower() == b"content-length":
                            length = int(value)
                    if len(rest) < length:
                        break
                    request, buffer = head + b"\r\n\r\n" + rest[:length], rest[length:]
                    self.requests.append(request)
                    answer = self.reply(request)
                    if answer is None:
                        return
                    conn.sendall(answer)
                    if self.close_after:
                        return

    def close(self) -> None:
        self.sock.close()


def ok(body: bytes = b'{"ok":true}', extra: bytes = b"") -> bytes:
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\n"
        + extra
        + b"\r\n"
        + body
    )


def run_async(coroutine):
    """In a thread of its own: a browser test may leave an event loop running here."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


def call(pool: upstream.UpstreamPool, url: str, method: str = "GET", body: bytes = b"", **kw):
    options = {"timeout": 2.0, "max_body": 1024, **kw}
    return pool.request(method, url, [(b"X-Request-Id", b"r1")], body, **options)


@pytest.fixture
def provider():
    made: list[RawProvider] = []

    def make(reply: Reply, **kwargs) -> RawProvider:
        made.append(RawProvider(reply, **kwargs))
        return made[-1]

    yield make
    for p in made:
        p.close()


def test_answers_come_back_whole_over_one_kept_connection(provider):
    p = provider(lambda request: ok())

    async def run():
        pool = upstream.UpstreamPool()
        answers = [await call(pool, p.url + "/a?x=1") for _ in range(5)]
        pool.close()
        return answers

    answers = run_async(run())
    assert [(a.status, a.body) for a in answers] == [(200, b'{"ok":true}')] * 5
    assert p.connections == 1
    first = p.requests[0].split(b"\r\n")
    assert first[0] == b"GET /a?x=1 HTTP/1.1"
    assert first[1] == b"Host: " + p.url.removeprefix("http://").encode()
    assert b"X-Request-Id: r1" in first


def test_a_chunked_answer_is_joined_and_a_post_carries_its_body(provider):
    chunked = (
        b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    )
    p = provider(lambda request: chunked)
    answer = run_async(call(upstream.UpstreamPool(), p.url + "/", "POST", b'{"a":1}'))
    assert (answer.status, answer.body) == (201, b"hello world")
    assert p.requests[0].endswith(b'Content-Length: 7\r\n\r\n{"a":1}')


def test_a_body_without_a_length_ends_with_the_connection(provider):
    p = provider(lambda request: b"HTTP/1.0 200 OK\r\n\r\nuntil the end", close_after=True)
    answer = run_async(call(upstream.UpstreamPool(), p.url + "/"))
    assert (answer.status, answer.body) == (200, b"until the end")


def test_a_head_answer_has_no_body_whatever_its_length_says(provider):
    p = provider(lambda request: b"HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n")
    answer = run_async(call(upstream.UpstreamPool(), p.url + "/", "HEAD"))
    assert (answer.status, answer.body) == (200, b"")
    assert (b"Content-Length", b"500") in answer.headers


def test_an_interim_100_continue_is_skipped_for_the_answer_after_it(provider):
    p = provider(lambda request: b"HTTP/1.1 100 Continue\r\n\r\n" + ok(b'{"after":1}'))
    pool = upstream.UpstreamPool()
    answer = run_async(call(pool, p.url + "/", "POST", b"{}"))
    assert (answer.status, answer.body) == (200, b'{"after":1}')


def test_a_kept_connection_the_provider_closed_is_replaced(provider):
    p = provider(lambda request: ok(), close_after=True)  # closes after each answer

    async def run():
        pool = upstream.UpstreamPool()
        first = await call(pool, p.url + "/")
        await asyncio.sleep(0.1)  # the close reaches the client while the connection idles
        second = await call(pool, p.url + "/", "POST", b"x")
        return first, second

    first, second = run_async(run())
    assert first.status == second.status == 200
    assert p.connections == 2


def test_an_answer_over_the_limit_is_refused_announced_or_not(provider):
    announced = provider(lambda request: ok(b"x" * 2000))
    chunked = provider(
        lambda request: (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            + b"400\r\n"
            + b"y" * 1024
            + b"\r\n400\r\n"
            + b"y" * 1024
            + b"\r\n0\r\n\r\n"
        )
    )
    for p in (announced, chunked):
        with pytest.raises(upstream.TooLarge):
            run_async(call(upstream.UpstreamPool(), p.url + "/"))


def test_what_is_not_http_is_a_bad_response(provider):
    p = provider(lambda request: b"SSH-2.0-OpenSSH_9.2\r\n\r\n")
    with pytest.raises(upstream.BadResponse):
        run_async(call(upstream.UpstreamPool(), p.url + "/"))


def test_a_provider_that_hangs_up_mid_request_is_a_bad_response(provider):
    p = provider(lambda request: None)
    with pytest.raises(upstream.BadResponse):
        run_async(call(upstream.UpstreamPool(), p.url + "/", "POST", b"x"))


def test_a_silent_provider_times_out_and_a_closed_port_is_unavailable(provider):
    silent = provider(lambda request: b"")  # reads, never answers
    with pytest.raises(TimeoutError):
        run_async(call(upstream.UpstreamPool(), silent.url + "/", timeout=0.3))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    with pytest.raises(upstream.Unavailable):
        run_async(call(upstream.UpstreamPool(), closed + "/"))


def test_a_header_with_a_line_break_is_never_sent(provider):
    p = provider(lambda request: ok())
    pool = upstream.UpstreamPool()
    with pytest.raises(upstream.UpstreamError):
        run_async(
            pool.request(
                "GET",
                p.url + "/",
                [(b"X-Evil", b"a\r\nX-Injected: 1")],
                b"",
                timeout=2,
                max_body=10,
            )
        )
    assert p.requests == []


def test_a_get_cut_before_its_answer_on_a_reused_connection_is_sent_again_once(provider):
    seen = []

    def reply(request: bytes) -> bytes | None:
        seen.append(request)
        return None if len(seen) == 2 else ok()  # hangs up on the second request only

    p = provider(reply)

    async def run(method: str):
        pool = upstream.UpstreamPool()
        await call(pool, p.url + "/")
        return await call(pool, p.url + "/", method)

    assert run_async(run("GET")).status == 200
    assert len(seen) == 3 and p.connections == 2
    seen.clear()
    with pytest.raises(upstream.BadResponse):  # a POST may have been acted on: not repeated
        run_async(run("POST"))
    assert len(seen) == 2
