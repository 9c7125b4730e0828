"""Fake national peers, each a separate local HTTP process implementing its connector's
contract (for tests and the demo; never part of a deployment):

    python -m tinhso.gateway.connectors.fakes portal --port 9101 --token secret
    python -m tinhso.gateway.connectors.fakes population --port 9102 --token secret
    python -m tinhso.gateway.connectors.fakes axis --port 9103 --token secret

`portal` acknowledges `POST /dossiers/{code}/events` (idempotent on event_key) and lists
what it received at `GET /received`; `population` answers `GET /citizens/{id}` for ids
ending in an even digit (others are unknown: 404); `axis` keeps `POST /packages` (an XML
document, `docaxis`'s contract: 202 accepted, 200 duplicate for the same bytes, 400 for
what is not XML) and lists them at `GET /received`. All refuse a wrong bearer token (401).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import threading
import xml.etree.ElementTree as ET  # noqa: S405 (our own test peer)
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    kind = "portal"
    token = ""
    received: dict[str, dict] = {}
    lock = threading.Lock()

    def log_message(self, *args):
        pass

    def _send(self, status: int, data) -> None:
        body = json.dumps(data, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _authorised(self) -> bool:
        if self.token and self.headers.get("Authorization") != f"Bearer {self.token}":
            self._send(401, {"error": "unauthorised"})
            return False
        return True

    def do_GET(self):
        if not self._authorised():
            return
        if self.kind in ("portal", "axis") and self.path == "/received":
            with self.lock:
                self._send(200, list(self.received.values()))
            return
        match = re.fullmatch(r"/citizens/(\d{12})", self.path)
        if self.kind == "population" and match:
            cid = match.group(1)
            if int(cid[-1]) % 2:
                self._send(404, {"error": "not found"})
                return
            self._send(
                200,
                {
                    "citizen_id": cid,
                    "full_name": "Nguyễn Văn Thử",
                    "birth_date": "1990-05-17",
                    "gender": "Nam",
                    "permanent_address": "Số 1 đường Thử Nghiệm, phường Hòa An",
                    "current_address": "Số 1 đường Thử Nghiệm, phường Hòa An",
                    "nationality": "Việt Nam",
                },
            )
            return
        self._send(404, {"error": "not found"})

    def do_POST(self):
        size = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(size) if size else b""
        if not self._authorised():
            return
        if self.kind == "axis":
            self._keep_package(raw)
            return
        match = re.fullmatch(r"/dossiers/([^/]+)/events", self.path)
        if self.kind != "portal" or not match:
            self._send(404, {"error": "not found"})
            return
        try:
            event = json.loads(raw)
            status = int(event["status"])
            key = str(event["event_key"])
        except (ValueError, KeyError, TypeError):
            self._send(400, {"error": "bad event"})
            return
        if not 1 <= status <= 10 or event.get("dossier_code") != match.group(1):
            self._send(422, {"error": "bad status or dossier"})
            return
        with self.lock:
            self.received[key] = event
        self._send(200, {"ack": True, "id": key})

    def _keep_package(self, raw: bytes) -> None:
        if self.path != "/packages":
            self._send(404, {"error": "not found"})
            return
        try:
            ET.fromstring(raw)  # noqa: S314 (our own test peer)
        except ET.ParseError:
            self._send(400, {"code": "malformed_package", "message": "not XML"})
            return
        key = hashlib.sha256(raw).hexdigest()
        with self.lock:
            seen = key in self.received
            self.received[key] = {
                "id": key,
                "document_id": self.headers.get("X-Tinhso-Issue", ""),
                "size": len(raw),
            }
        self._send(200 if seen else 202, {"result": "duplicate" if seen else "accepted", "id": key})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["portal", "population", "axis"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token", default="")
    args = parser.parse_args()
    Handler.kind, Handler.token = args.kind, args.token
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(f"fake {args.kind} on http://127.0.0.1:{args.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
