"""Gateway tests: two agencies (a provider, a consumer), their administrators, a real
provider HTTP server and the real data plane (its own HTTP server) in threads."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests

from tinhso.accounts.models import Role
from tinhso.accounts.services import create_official, grant_role
from tinhso.directory import services as directory
from tinhso.gateway import services
from tinhso.gateway.server import ThreadedGateway

OPENAPI = {
    "openapi": "3.0.3",
    "info": {"title": "Tra cứu hồ sơ đất đai", "version": "1.0", "description": "Thử nghiệm"},
    "paths": {
        "/parcels/{id}": {"get": {"operationId": "getParcel", "summary": "Một thửa đất"}},
        "/parcels": {
            "get": {"operationId": "listParcels", "summary": "Danh sách"},
            "post": {"operationId": "createParcel", "summary": "Thêm"},
        },
        "/slow": {"get": {"operationId": "slow"}},
        "/garbage": {"get": {"operationId": "garbage"}},
        "/broken": {"get": {"operationId": "broken"}},
    },
}


class ProviderHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: list[dict] = []

    def log_message(self, *args):  # keep the test output quiet
        pass

    def _body(self) -> bytes:
        size = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(size) if size else b""

    def _send(self, status: int, data: dict) -> None:
        body = json.dumps(data, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _record(self, body: bytes) -> None:
        ProviderHandler.seen.append(
            {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
        )

    def do_GET(self):
        self._record(b"")
        if self.path == "/openapi.json":
            self._send(200, self.server.openapi)  # type: ignore[attr-defined]
        elif self.path.startswith("/slow"):
            time.sleep(1.5)
            self._send(200, {"slow": True})
        elif self.path.startswith("/garbage"):
            self.wfile.write(b"this is not HTTP at all\r\n\r\n")
            self.wfile.flush()
            self.close_connection = True
        elif self.path.startswith("/broken"):
            self._send(500, {"error": "provider bug"})
        elif self.path.endswith("/refused"):
            self._send(403, {"error": "not for you"})
        else:
            self._send(200, {"path": self.path, "client": self.headers.get("X-Tinhso-Client")})

    def do_POST(self):
        body = self._body()
        self._record(body)
        self._send(201, {"echo": body.decode()})


@pytest.fixture
def provider_server():
    ProviderHandler.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), ProviderHandler)
    server.openapi = OPENAPI  # type: ignore[attr-defined]
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}"  # type: ignore[attr-defined]
    yield server
    server.shutdown()
    server.server_close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_data_plane(tmp_path, *, processes: int, port: int = 0, wait: bool = True, **env: str):
    """`tinhso gateway serve` as a program of its own on `port` (a free one by default),
    without a database configuration (every call is refused, and logged), once it answers
    `/health` unless not `wait`: (the process, its port, its write-ahead directory)."""
    wal_dir = tmp_path / "wal"
    wal_dir.mkdir(exist_ok=True)
    port = port or free_port()
    environment = {
        **os.environ,
        "GATEWAY_WAL_DIR": str(wal_dir),
        "GATEWAY_LOG_KEY_FILE": str(tmp_path / "k.pem"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'absent.sqlite3'}",
        "GATEWAY_INGEST_SECONDS": "0.2",
        "GATEWAY_PROCESSES": str(processes),
        **env,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "tinhso", "gateway", "serve", "--port", str(port)],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 60  # a busy machine starts Django slowly
    while wait and time.time() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/health", timeout=1)
            break
        except requests.ConnectionError:
            time.sleep(0.1)
    return proc, port, wal_dir


def children_of(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def gone(pid: int, timeout: float = 10) -> bool:
    """The process ended (or is a zombie waiting for its parent) within `timeout`."""
    status = Path(f"/proc/{pid}/status")
    deadline = time.time() + timeout
    while time.time() < deadline:
        if not status.exists() or "State:\tZ" in status.read_text():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def org(db):
    ubnd = directory.create_agency(
        actor=None, code="H57", name="Ủy ban nhân dân tỉnh Thử Nghiệm", kind="peoples_committee"
    )
    stnmt = directory.create_agency(
        actor=None,
        code="H57.20",
        name="Sở Tài nguyên và Môi trường",
        kind="department",
        parent=ubnd,
    )
    stc = directory.create_agency(
        actor=None, code="H57.03", name="Sở Tài chính", kind="department", parent=ubnd
    )
    platform = create_official(username="nentang", full_name="Quản Trị Nền Tảng")
    grant_role(user=platform, agency=ubnd, role=Role.PLATFORM_ADMIN)
    provider_admin = create_official(
        username="qt.stnmt", full_name="Quản trị STNMT", email="stnmt@example.vn"
    )
    grant_role(user=provider_admin, agency=stnmt, role=Role.AGENCY_ADMIN)
    consumer_admin = create_official(
        username="qt.stc", full_name="Quản trị STC", email="stc@example.vn"
    )
    grant_role(user=consumer_admin, agency=stc, role=Role.AGENCY_ADMIN)
    specialist = create_official(username="cv.stc", full_name="Chuyên viên STC")
    grant_role(user=specialist, agency=stc, role=Role.SPECIALIST)
    return SimpleNamespace(
        ubnd=ubnd,
        stnmt=stnmt,
        stc=stc,
        platform=platform,
        provider_admin=provider_admin,
        consumer_admin=consumer_admin,
        specialist=specialist,
    )


@pytest.fixture
def published(org, provider_server):
    """A provider system with one enabled service from an OpenAPI description; two
    consumers (one with a right to the whole service), each with a key."""
    provider = services.create_provider(
        actor=org.provider_admin,
        code="datdai",
        name="Hệ thống thông tin đất đai",
        agency=org.stnmt,
        contact_name="Nguyễn Đầu Mối",
        contact_email="daumoi@example.vn",
    )
    service = services.publish_service(
        actor=org.provider_admin,
        provider=provider,
        code="parcels",
        openapi_url=provider_server.url + "/openapi.json",
        base_url=provider_server.url,
        timeout_ms=500,
    )
    services.enable_service(actor=org.provider_admin, service=service)
    allowed = services.create_consumer(
        actor=org.consumer_admin,
        code="ketoan",
        name="Phần mềm kế toán",
        agency=org.stc,
        contact_name="Lê Kế Toán",
        contact_email="ketoan@example.vn",
    )
    other = services.create_consumer(
        actor=org.consumer_admin,
        code="khac",
        name="Hệ thống khác",
        agency=org.stc,
        contact_name="Trần Khác",
    )
    _, key = services.issue_key(actor=org.consumer_admin, consumer=allowed, name="chính")
    _, other_key = services.issue_key(actor=org.consumer_admin, consumer=other)
    services.grant_right(actor=org.provider_admin, service=service, consumer=allowed)
    return SimpleNamespace(
        provider=provider,
        service=service,
        consumer=allowed,
        other=other,
        key=key,
        other_key=other_key,
    )


@pytest.fixture
def gateway(db, tmp_path, settings):
    settings.GATEWAY_LOG_KEY_FILE = str(tmp_path / "log-key.pem")
    gw = ThreadedGateway(directory=tmp_path / "wal").start()
    yield gw
    gw.stop()


def login(client, user):
    from tinhso.accounts.middleware import SESSION_KEY

    client.force_login(user)
    session = client.session
    session[SESSION_KEY] = True
    session.save()
    return client
