"""The data plane's HTTP/1.1 server (tinhso.gateway.httpserver) as a client on a raw
socket sees it: kept-alive and pipelined requests, bodies over the limit, chunked
bodies, `Expect: 100-continue`, what is not HTTP, idle connections."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time

from tinhso.gateway.httpserver import HttpServer, Request
from tinhso.gateway.models import MessageLog

from .conftest import ProviderHandler


class Answer:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)


def connect(gw) -> socket.socket:
    return socket.create_connection((gw.host, gw.port), timeout=5)


def read_answer(reader) -> Answer:
    status_line = reader.readline()
    assert status_line.startswith(b"HTTP/1.1 "), status_line
    status = int(status_line.split()[1])
    headers: dict[str, str] = {}
    while (line := reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    body = reader.read(int(headers.get("content-length", "0")))
    return Answer(status, headers, body)


def closed(sock: socket.socket) -> bool:
    """The server closed the connection (nothing more to read)."""
    sock.settimeout(5)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def get(path: str, key: str, *extra: str, version: str = "1.1") -> bytes:
    lines = [f"GET {path} HTTP/{version}", "Host: gw", f"X-Api-Key: {key}", *extra]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def test_a_kept_alive_connection_carries_several_calls(published, gateway):
    gateway.reload()
    with connect(gateway) as sock:
        reader = sock.makefile("rb")
        for i in range(3):
            sock.sendall(get(f"/datdai/parcels/parcels/{i}", published.key))
            answer = read_answer(reader)
            assert answer.status == 200 and answer.json()["path"] == f"/parcels/{i}"
            assert "connection" not in answer.headers
        sock.sendall(get("/datdai/parcels/parcels/9", published.key, "Connection: close"))
        answer = read_answer(reader)
        assert answer.status == 200 and answer.headers["connection"] == "close"
        assert closed(sock)
    with connect(gateway) as sock:  # HTTP/1.0 closes unless it asks to keep alive
        sock.sendall(get("/datdai/parcels/parcels/1", published.key, version="1.0"))
        reader = sock.makefile("rb")
        assert read_answer(reader).status == 200
        assert closed(sock)


def test_pipelined_requests_are_answered_in_order(published, gateway):
    gateway.reload()
    with connect(gateway) as sock:
        sock.sendall(
            b"".join(
                get(f"/datdai/parcels/parcels/{i}", published.key, f"X-Request-Id: pipe-{i}")
                for i in range(5)
            )
        )
        reader = sock.makefile("rb")
        answers = [read_answer(reader) for _ in range(5)]
    assert [a.headers["x-request-id"] for a in answers] == [f"pipe-{i}" for i in range(5)]
    assert [a.json()["path"] for a in answers] == [f"/parcels/{i}" for i in range(5)]
    assert gateway.ingest().records == 5


def test_a_chunked_body_reaches_the_provider_whole(published, gateway):
    gateway.reload()
    with connect(gateway) as sock:
        sock.sendall(
            b"POST /datdai/parcels/parcels HTTP/1.1\r\nHost: gw\r\n"
            + f"X-Api-Key: {published.key}\r\n".encode()
            + b"Transfer-Encoding: chunked\r\n\r\n"
            + b'4\r\n{"a"\r\n'
        )
        time.sleep(0.1)  # the rest comes later, in another packet
        sock.sendall(b"3\r\n:1}\r\n0\r\n\r\n")
        answer = read_answer(sock.makefile("rb"))
    assert answer.status == 201 and answer.json() == {"echo": '{"a":1}'}
    posted = [s for s in ProviderHandler.seen if s["method"] == "POST"][-1]
    assert posted["body"] == b'{"a":1}' and "Transfer-Encoding" not in posted["headers"]
    gateway.ingest()
    assert MessageLog.objects.get().request_size == 7


def test_a_body_over_the_limit_announced_or_chunked_is_refused_and_logged(published, gateway):
    gateway.app.max_body = 100
    gateway.reload()
    with connect(gateway) as sock:  # announced: refused before the body is read
        sock.sendall(
            b"POST /datdai/parcels/parcels HTTP/1.1\r\nHost: gw\r\n"
            + f"X-Api-Key: {published.key}\r\nContent-Length: 5000\r\n\r\n".encode()
            + b"x" * 1000
        )
        answer = read_answer(sock.makefile("rb"))
        assert answer.status == 413 and answer.headers["connection"] == "close"
        assert answer.json()["code"] == "gateway_body_too_large"
        assert answer.headers["x-tinhso-error"] == "gateway_body_too_large"
        sock.sendall(b"x" * 4000)  # the rest of the body is read and dropped, no reset
        assert closed(sock)
    with connect(gateway) as sock:  # in chunks: refused when the limit is passed
        sock.sendall(
            b"POST /datdai/parcels/parcels HTTP/1.1\r\nHost: gw\r\n"
            + f"X-Api-Key: {published.key}\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
            + b"64\r\n"
            + b"y" * 100
            + b"\r\n1\r\nz\r\n"
        )
        answer = read_answer(sock.makefile("rb"))
        assert answer.status == 413 and answer.json()["source"] == "consumer"
    assert not [s for s in ProviderHandler.seen if s["method"] == "POST"]
    assert gateway.ingest().records == 2
    assert set(MessageLog.objects.values_list("result", flat=True)) == {"gateway_body_too_large"}


def test_expect_100_continue_is_answered_before_the_body(published, gateway):
    gateway.reload()
    with connect(gateway) as sock:
        sock.sendall(
            b"POST /datdai/parcels/parcels HTTP/1.1\r\nHost: gw\r\n"
            + f"X-Api-Key: {published.key}\r\n".encode()
            + b"Content-Length: 2\r\nExpect: 100-continue\r\n\r\n"
        )
        reader = sock.makefile("rb")
        assert reader.readline() == b"HTTP/1.1 100 Continue\r\n"
        assert reader.readline() == b"\r\n"
        sock.sendall(b"{}")
        answer = read_answer(reader)
    assert answer.status == 201 and answer.json() == {"echo": "{}"}


def test_what_is_not_http_gets_the_error_shape_and_the_connection_closes(published, gateway):
    gateway.reload()
    with connect(gateway) as sock:
        sock.sendall(get("/datdai/parcels/parcels/1", published.key) + b"NOT HTTP AT ALL\r\n\r\n")
        reader = sock.makefile("rb")
        assert read_answer(reader).status == 200  # the call before it is answered first
        answer = read_answer(reader)
        assert answer.status == 400 and answer.headers["connection"] == "close"
        body = answer.json()
        assert body["code"] == "gateway_bad_request" and body["source"] == "consumer"
        assert body["message"] and body["request_id"] == answer.headers["x-request-id"]
        assert closed(sock)
    with connect(gateway) as sock:  # a header line without a colon
        sock.sendall(b"GET /datdai/parcels/parcels/1 HTTP/1.1\r\nHost gw\r\n\r\n")
        assert read_answer(sock.makefile("rb")).status == 400


def test_the_provider_down_answers_in_the_error_shape_on_a_kept_connection(org, published, gateway):
    from tinhso.gateway import services

    services.update_service(
        actor=org.provider_admin, service=published.service, base_url="http://127.0.0.1:9"
    )
    gateway.reload()
    with connect(gateway) as sock:
        reader = sock.makefile("rb")
        for _ in range(2):
            sock.sendall(get("/datdai/parcels/parcels/1", published.key))
            answer = read_answer(reader)
            assert answer.status == 502
            assert answer.json()["code"] == "gateway_provider_unavailable"
            assert answer.json()["source"] == "provider"


class Echo:
    """A handler of our own to drive the server alone."""

    max_body = 1024

    async def handle(self, request: Request):
        return 200, [(b"content-type", b"text/plain")], request.path.encode()

    def bad_request(self):
        return 400, [], b"bad"

    def commit(self):
        return True  # nothing is logged here

    def unlogged(self, request: Request):
        raise AssertionError("no call has a record here")


def test_an_idle_connection_is_closed_after_the_keep_alive_time():
    # the loop lives in a thread of its own (a browser test may leave one running here)
    loop = asyncio.new_event_loop()
    server = HttpServer(Echo(), host="127.0.0.1", port=0, keep_alive=1.0)
    started = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(server.start())
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert started.wait(5)
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            sock.sendall(b"GET /a%20b HTTP/1.1\r\nHost: x\r\n\r\n")
            answer = read_answer(sock.makefile("rb"))
            assert answer.status == 200 and answer.body == b"/a b"
            assert answer.headers["server"] == "tinhso-gateway" and answer.headers["date"]
            began = time.monotonic()
            assert closed(sock)
            assert 0.5 < time.monotonic() - began < 4
    finally:
        asyncio.run_coroutine_threadsafe(server.close(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()
