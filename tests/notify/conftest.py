"""A tiny local HTTP gateway (127.0.0.1) standing in for an SMS / chat provider."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class Gateway:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.statuses: list[int] = []  # statuses to answer in turn; then 200

    def next_status(self) -> int:
        return self.statuses.pop(0) if self.statuses else 200


@pytest.fixture
def gateway(settings):
    state = Gateway()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length).decode())
            state.requests.append(
                {"path": self.path, "headers": dict(self.headers.items()), "json": body}
            )
            status = state.next_status()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"ok": true}' if status < 300 else b'{"error": "x"}')

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_port}/sms"
    settings.NOTIFY_SMS_URL = state.url
    settings.NOTIFY_SMS_TOKEN = "bi-mat-123"
    settings.NOTIFY_BACKOFF_SECONDS = 30
    settings.NOTIFY_MAX_ATTEMPTS = 3
    yield state
    server.shutdown()
    server.server_close()
