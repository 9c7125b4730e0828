"""What the kill -9 tests need around a real tinhso instance: the instance itself (a
gunicorn web server and a task worker on their own PostgreSQL database, from
`tests.exchange.instances`), `tinhso serve` as one process group, an SMS gateway that
records what it is sent, concurrent officers calling the API, and the checks that read
the database and the media directory afterwards."""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.exchange.instances import PY, ROOT, Instance, free_port

# ---------------------------------------------------------------------------------------
# The SMS provider: records every delivery (with its Idempotency-Key), a little slowly so
# that a worker killed at a random moment is often in the middle of one.


class Gateway:
    def __init__(self, delay: float = 0.02) -> None:
        self.received: list[str] = []  # Idempotency-Key of each accepted POST
        self.lock = threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                key = self.headers.get("Idempotency-Key", "")
                assert key == body.get("id"), (key, body)
                time.sleep(delay)
                with gateway.lock:
                    gateway.received.append(key)
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/sms"

    def counts(self) -> Counter[str]:
        with self.lock:
            return Counter(self.received)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# ---------------------------------------------------------------------------------------
# The instance


@dataclass
class FaultInstance(Instance):
    extra_env: dict[str, str] = field(default_factory=dict)
    serve: subprocess.Popen | None = None
    seeded: dict = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        return {**super().env(), **self.extra_env}

    @property
    def media(self) -> Path:
        return self.var / "media"

    def manage_out(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run(
            [PY, "-m", "tinhso", *args],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    # gunicorn's workers (the master's children)
    def web_workers(self) -> list[int]:
        return children(self.web.pid) if self.web else []

    def wait_web(self, workers: int = 2, timeout: float = 60) -> None:
        """Until the master has its `workers` again and a page answers."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.web_workers()) >= workers and answers(self.url):
                return
            time.sleep(0.2)
        raise AssertionError("the web server did not come back")

    # `tinhso serve`: web server, worker and the declared processes, one process group
    def start_serve(self, workers: int = 2) -> None:
        """`tinhso serve` on a port whose neighbours its side processes use (the gateway on
        port + 1, syslog on port + 14) are free too: serve stops when one of them dies."""
        if not all(bindable(self.port + n) for n in (0, 1, 14)):
            self.port = serve_port()
        self.serve = subprocess.Popen(
            [PY, "-m", "tinhso", "serve", "--port", str(self.port), "--workers", str(workers)],
            cwd=ROOT,
            env=self.env(),
            stdout=self._log("serve"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if answers(self.url):
                return
            assert self.serve.poll() is None, "tinhso serve exited"
            time.sleep(0.3)
        raise AssertionError("tinhso serve did not start")

    def kill_serve(self, sig: int = signal.SIGKILL) -> None:
        if self.serve is None:
            return
        group = self.serve.pid
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, sig)
        self.serve.wait(timeout=30)
        # gunicorn's workers may outlive the master for a moment: the group is ours
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.killpg(group, signal.SIGKILL if sig == signal.SIGKILL else 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        self.serve = None

    def stop(self) -> None:
        self.kill_serve(signal.SIGTERM)
        super().stop()


def bindable(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def serve_port() -> int:
    for _ in range(200):
        port = free_port()
        if port < 65000 and bindable(port + 1) and bindable(port + 14):
            return port
    raise RuntimeError("no free port for tinhso serve")


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/api/v1/onestop/fields/", timeout=5) as r:  # noqa: S310
            return r.status == 200
    except (OSError, urllib.error.URLError):
        return False


def wait_for(check: Callable[[], object], timeout: float, what: str, every: float = 0.3):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


# ---------------------------------------------------------------------------------------
# Calling the API as officers do


@dataclass
class Reply:
    status: int | None  # None: no answer (the process serving it was killed)
    body: dict


def call(
    base: str,
    path: str,
    token: str,
    *,
    data: dict | None = None,
    files: dict[str, tuple[str, bytes]] | None = None,
    timeout: float = 60,
) -> Reply:
    headers = {"Authorization": f"Token {token}"}
    if files is not None:
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in (data or {}).items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{value}\r\n".encode()
            )
        for name, (filename, content) in files.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: application/pdf\r\n\r\n'.encode()
                + content
                + b"\r\n"
            )
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
    else:
        body = json.dumps(data or {}).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(  # noqa: S310 (our own test server)
        f"{base}{path}", data=body, method="POST", headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return Reply(response.status, json.loads(response.read() or b"{}"))
    except urllib.error.HTTPError as exc:
        try:
            payload = json.loads(exc.read() or b"{}")
        except ValueError:
            payload = {}
        return Reply(exc.code, payload)
    except (OSError, http.client.HTTPException):  # URLError and timeouts are OSErrors
        return Reply(None, {})


def run_load(
    jobs: Iterable[Callable[[], None]],
    *,
    threads: int,
    kill_when: Callable[[], bool],
    kill: Callable[[], None],
) -> bool:
    """Run `jobs` on `threads` threads; call `kill` once, the first time `kill_when()`
    is true while jobs still run. Returns whether the kill happened."""
    done = threading.Event()
    killed = threading.Event()

    def watch() -> None:
        while not done.is_set():
            if kill_when():
                kill()
                killed.set()
                return
            time.sleep(0.005)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    with ThreadPoolExecutor(threads) as pool:
        for future in [pool.submit(job) for job in jobs]:
            future.result()
    done.set()
    watcher.join()
    return killed.is_set()


def kill_one_web_worker(inst: FaultInstance, rng) -> int:
    """SIGKILL one of gunicorn's workers a moment after the trigger, chosen (by `rng`)
    among those holding a caller's connection, so that it is inside a request (a sync
    worker closes each connection when it has answered); the master starts a new one."""
    time.sleep(rng.uniform(0.005, 0.04))
    deadline = time.monotonic() + 2
    while True:
        workers = sorted(inst.web_workers())
        busy = [pid for pid in workers if serving_connection(pid, inst.port)]
        if busy or time.monotonic() > deadline:
            break
        time.sleep(0.001)
    pid = rng.choice(busy or workers)
    os.kill(pid, signal.SIGKILL)
    return pid


def serving_connection(pid: int, port: int) -> bool:
    """Whether process `pid` holds an established TCP connection accepted on `port`."""
    established = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if fields[3] == "01" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                    established.add(f"socket:[{fields[9]}]")
    try:
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return False
    for fd in fds:
        with contextlib.suppress(OSError):
            if os.readlink(fd) in established:
                return True
    return False


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
