"""Two `tinhso` web processes behind nginx (round robin, no sticky sessions) and two task
workers, as real processes on one PostgreSQL database — the shape a province runs:

- a user logs in through one process and the other one answers the next pages;
- a file uploaded through one process is downloaded through the other;
- tasks enqueued once run once, although two workers poll the queue;
- rate limits count across the processes: the database cache, then Redis;
- X-Forwarded-For and X-Forwarded-Proto are believed from the trusted proxy only.

nginx (the system package, started by the test on a free port with its own configuration
in a temporary directory, never the system service) terminates TLS with a throw-away
certificate and adds the header `X-Upstream: $upstream_addr`, so every answer says which
web process gave it. It connects to the web processes from 127.0.0.3, the only address in
TRUSTED_PROXIES: the test itself, on 127.0.0.1 (and other loopback addresses standing for
other clients), is never a trusted proxy.

The processes use a copy of the migrated test database (tests.pristine), dropped at the end.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import http.client
import io
import ipaddress
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyotp
import pytest
import requests

from tests.exchange.instances import PY, ROOT, Instance, free_port

# django_db: pytest-django creates the test database (the template copied) only for a
# session holding a test marked so; the tests themselves read through the processes.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

NGINX = "/usr/sbin/nginx"
PROXY = "127.0.0.3"  # nginx's address towards the web processes: the trusted proxy
LOOKUP_LIMIT = 5  # ONESTOP_LOOKUP_RATE for these processes
REDIS_URL = os.environ.get("TWO_WEB_REDIS_URL", "redis://127.0.0.1:6379/13")  # nobody's db
PASSWORD = "Mat-khau-2026"
FULL_NAME = "Cán bộ Hai Tiến Trình"
TASKS = 30


# ---------------------------------------------------------------------------------------
# The pieces: web processes, an SMS provider that counts deliveries, nginx


@dataclass
class WebProcess(Instance):
    """`tests.exchange.instances.Instance` with the environment of this deployment."""

    extra_env: dict[str, str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        return {**super().env(), **self.extra_env}

    @property
    def upstream(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start_web(self, workers: int = 1) -> None:
        self.spawn_web(workers)
        self.wait_web()

    def spawn_web(self, workers: int = 1) -> None:
        """`tinhso serve --web-only`: gunicorn without a worker or the other processes."""
        self.web = subprocess.Popen(
            [PY, "-m", "tinhso", "serve", "--web-only"]
            + ["--port", str(self.port), "--workers", str(workers)],
            cwd=ROOT,
            env=self.env(),
            stdout=self._log("serve"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # `_kill` signals the whole group
        )

    def wait_web(self) -> None:
        web = self.web
        assert web is not None
        _wait(lambda: _answers(self.port) or web.poll() is not None, 120, f"{self.name} to listen")
        assert web.poll() is None, (self.var / "serve.log").read_text()[-3000:]


class SmsProvider:
    """The SMS gateway the workers deliver to: counts each delivery by Idempotency-Key
    (the message's UUID), a little slowly so that both workers are busy at once."""

    def __init__(self, delay: float = 0.05) -> None:
        self.received: Counter[str] = Counter()
        self.lock = threading.Lock()
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                time.sleep(delay)
                with provider.lock:
                    provider.received[self.headers.get("Idempotency-Key", "")] += 1
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.server.daemon_threads = True
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/sms"

    def counts(self) -> Counter[str]:
        with self.lock:
            return Counter(self.received)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def nginx_conf(directory: Path, port: int, upstreams: list[str]) -> str:
    """The test's nginx: the production shape of docs/nginx/tinhso.conf (TLS, round robin,
    forwarded headers), everything inside `directory`, plus `X-Upstream`."""
    servers = "\n".join(f"        server {u};" for u in upstreams)
    temp = "\n".join(
        f"    {kind}_temp_path {directory / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    # As root, nginx's workers would switch to `nobody`, who cannot enter pytest's
    # private temporary directory (uploads are buffered in client_body_temp_path).
    user = "user root;\n" if os.geteuid() == 0 else ""
    return f"""{user}worker_processes 1;
events {{ worker_connections 256; }}
http {{
    access_log {directory / "access.log"};
{temp}
    upstream tinhso_web {{
        # round robin (nginx's default): no ip_hash, no sticky cookie
{servers}
    }}
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {directory / "cert.pem"};
        ssl_certificate_key {directory / "key.pem"};
        ssl_protocols TLSv1.2 TLSv1.3;
        client_max_body_size 12m;
        location / {{
            proxy_pass http://tinhso_web;
            proxy_bind {PROXY};
            proxy_next_upstream off;  # one answer, one process: X-Upstream says which
            proxy_set_header Host $http_host;
            # appended, not replaced as in the documented configuration: the client's
            # own header reaches the web processes, which must not believe it
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            add_header X-Upstream $upstream_addr always;
        }}
    }}
}}
"""


def self_signed_certificate(directory: Path) -> Path:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    (directory / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path = directory / "cert.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


def _stop_all(webs: list[WebProcess]) -> None:
    """SIGTERM to every process group at once, then wait (SIGKILL after 20 s)."""
    procs = [p for w in webs for p in (w.web, w.worker, *getattr(w, "extra_workers", []))]
    procs = [p for p in procs if p is not None and p.poll() is None]
    for proc in procs:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    for web in webs:
        web.web = web.worker = None


def _answers(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
        return True
    return False


def _wait(check, timeout: float, what: str, every: float = 0.2):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


# ---------------------------------------------------------------------------------------
# The deployment


@dataclass
class Deployment:
    base: str  # https://127.0.0.1:<nginx port>
    nginx_port: int
    cert: Path
    webs: list[WebProcess]
    sms: SmsProvider
    media: Path
    official: dict

    def session(self) -> requests.Session:
        s = requests.Session()
        s.trust_env = False  # no proxy, no CA bundle from the environment: nginx, our cert
        s.verify = str(self.cert)
        return s

    def sql(self, query: str, *params: object) -> list[tuple]:
        return self.webs[0].sql(query, *params)

    @property
    def upstreams(self) -> set[str]:
        return {w.upstream for w in self.webs}

    def step(self, *args: str) -> dict:
        done = subprocess.run(
            [PY, "-m", "tests.core.two_web_steps", *args],
            cwd=ROOT,
            env=self.webs[0].env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads(done.stdout.strip().splitlines()[-1])

    def request(
        self, path: str, *, source: str, headers: dict[str, str] | None = None
    ) -> tuple[int, str]:
        """GET through nginx from the loopback address `source` (another client)."""
        context = ssl.create_default_context(cafile=str(self.cert))
        conn = http.client.HTTPSConnection(
            "127.0.0.1", self.nginx_port, source_address=(source, 0), context=context, timeout=30
        )
        try:
            conn.request("GET", path, headers=headers or {})
            response = conn.getresponse()
            response.read()
            return response.status, response.getheader("X-Upstream", "")
        finally:
            conn.close()


@pytest.fixture(scope="module")
def deployment(migrated, tmp_path_factory):
    if not os.access(NGINX, os.X_OK):
        pytest.fail("nginx is missing: run scripts/ensure-system-packages")
    tmp = tmp_path_factory.mktemp("two-web")
    nginx_dir = tmp / "nginx"
    nginx_dir.mkdir()
    cert = self_signed_certificate(nginx_dir)
    media = tmp / "media"  # the shared file store (an S3 bucket or NFS in production)
    static = tmp / "static"  # STATIC_ROOT, collected once per release
    sms = SmsProvider()
    nginx_port = free_port()
    base = f"https://127.0.0.1:{nginx_port}"
    env = {
        "SECRET_KEY": "two-web-processes-test-" + "s" * 40,  # the same for every process
        "TINHSO_SITE_URL": base,
        "MEDIA_ROOT": str(media),
        "STATIC_ROOT": str(static),
        "TRUSTED_PROXIES": PROXY,
        "FORWARDED_ALLOW_IPS": PROXY,  # gunicorn's own setting, the same proxy
        "SECURE_COOKIES": "1",
        "SECURE_SSL_REDIRECT": "1",
        "SECURE_HSTS_SECONDS": "0",
        "ONESTOP_LOOKUP_RATE": f"{LOOKUP_LIMIT}/min",
        "NOTIFY_SMS_URL": sms.url,
        "NOTIFY_HTTP_TIMEOUT": "5",
        "NOTIFY_BACKOFF_SECONDS": "0.5",
        "DB_CONN_MAX_AGE": "0",
    }
    nginx = None
    webs: list[WebProcess] = []
    with migrated.database(f"two_web_{os.getpid()}", tmp) as url:
        try:
            for name in ("web-a", "web-b"):
                var = tmp / name  # each process its own var/ (logs): files are in `media`
                var.mkdir()
                webs.append(
                    WebProcess(
                        name=name,
                        province="H99",
                        var=var,
                        database_url=url,
                        extra_env=dict(env),
                    )
                )
            # As a release does, but linked and without hashing and compressing (which
            # take minutes): pages need the files to be there to name them.
            webs[0].manage("collectstatic", "--noinput", "--link", "--no-post-process")
            for web in webs:
                web.spawn_web()
                web.start_worker()  # two workers in all, one beside each web process
            for web in webs:
                web.wait_web()
            conf = nginx_dir / "nginx.conf"
            conf.write_text(nginx_conf(nginx_dir, nginx_port, [w.upstream for w in webs]))
            nginx = subprocess.Popen(
                [NGINX, "-p", str(nginx_dir), "-e", str(nginx_dir / "error.log"), "-c", str(conf)]
                + ["-g", f"daemon off; pid {nginx_dir / 'nginx.pid'};"],
                stdout=open(nginx_dir / "stdout.log", "ab"),  # noqa: SIM115 (nginx keeps it)
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            _wait(lambda: _answers(nginx_port) or nginx.poll() is not None, 20, "nginx to listen")
            assert nginx.poll() is None, (nginx_dir / "error.log").read_text()
            deployment = Deployment(
                base=base,
                nginx_port=nginx_port,
                cert=cert,
                webs=webs,
                sms=sms,
                media=media,
                official={},
            )
            deployment.official = deployment.step("official", "canbo.haitientrinh", PASSWORD)
            yield deployment
        finally:
            if nginx is not None and nginx.poll() is None:
                nginx.send_signal(signal.SIGTERM)  # nginx's fast shutdown
                try:
                    nginx.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(nginx.pid, signal.SIGKILL)
                    nginx.wait(timeout=10)
            _stop_all(webs)
            sms.close()


def _csrf(session: requests.Session) -> str:
    return session.cookies["csrftoken"]


def _post(d: Deployment, s: requests.Session, path: str, data: dict, **kwargs):
    return s.post(
        d.base + path,
        data={"csrfmiddlewaretoken": _csrf(s), **data},
        headers={"Referer": d.base + path},  # Django's CSRF check over HTTPS
        allow_redirects=False,
        timeout=60,
        **kwargs,
    )


def _login(d: Deployment, s: requests.Session) -> list[str]:
    """Password, then the one-time code, as the official types them; the upstream of each
    answer, in order."""
    seen = []
    r = s.get(d.base + "/accounts/login/", timeout=60)
    assert r.status_code == 200
    seen.append(r.headers["X-Upstream"])
    r = _post(
        d,
        s,
        "/accounts/login/",
        {"username": d.official["username"], "password": PASSWORD},
    )
    assert r.status_code == 302 and "/accounts/otp/" in r.headers["Location"], r.text[:2000]
    seen.append(r.headers["X-Upstream"])
    code = pyotp.TOTP(d.official["secret"]).now()
    r = _post(d, s, "/accounts/otp/", {"code": code})
    assert r.status_code == 302 and "/accounts/otp" not in r.headers["Location"], r.text[:2000]
    seen.append(r.headers["X-Upstream"])
    return seen


@pytest.fixture(scope="module")
def signed_in(deployment) -> tuple[requests.Session, list[str]]:
    s = deployment.session()
    return s, _login(deployment, s)


# ---------------------------------------------------------------------------------------
# The tests


def test_nginx_spreads_requests_round_robin_over_both_web_processes(deployment):
    s = deployment.session()
    served = [s.get(deployment.base + "/healthz", timeout=30) for _ in range(4)]
    assert all(r.status_code == 200 for r in served)
    upstreams = [r.headers["X-Upstream"] for r in served]
    assert set(upstreams) == deployment.upstreams
    assert upstreams[0] != upstreams[1] and upstreams[1] != upstreams[2]  # alternating


def _group(pgid: int) -> list[str]:
    """Command lines of the processes in process group `pgid`."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid:
                found.append((stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode())
    return found


def test_serve_web_only_runs_the_web_server_without_worker_gateway_or_syslog(deployment):
    for web in deployment.webs:
        assert web.web is not None
        group = _group(web.web.pid)  # `tinhso serve --web-only` and its gunicorn
        assert any("gunicorn" in c for c in group), group
        assert not [c for c in group if re.search(r"tinhso (worker|gateway|security)", c)]


def test_a_user_signed_in_through_one_process_is_signed_in_on_the_other(deployment, signed_in):
    s, login_upstreams = signed_in
    assert set(login_upstreams) == deployment.upstreams  # the login itself crossed over
    signed_in_by = login_upstreams[-1]  # the process that accepted the one-time code
    pages = [s.get(deployment.base + "/accounts/tokens/", timeout=60) for _ in range(4)]
    for page in pages:
        assert page.status_code == 200 and page.url.endswith("/accounts/tokens/"), page.url
        assert FULL_NAME in page.text
    served = {p.headers["X-Upstream"] for p in pages}
    assert served == deployment.upstreams
    assert served - {signed_in_by}  # the other process knew the session too
    # the session cookie is only sent over HTTPS: the processes saw nginx's https
    cookie = next(c for c in s.cookies if c.name == "sessionid")
    assert cookie.secure


def _png(size: int = 96) -> bytes:
    from PIL import Image

    image = Image.frombytes("RGB", (size, size), os.urandom(size * size * 3))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_a_file_uploaded_through_one_process_is_downloaded_through_the_other(deployment, signed_in):
    s, _ = signed_in
    content = _png()  # ~28 KB of noise: nginx buffers it to a temporary file
    s.get(deployment.base + "/onestop/kho-giay-to/", timeout=60)
    r = _post(
        deployment,
        s,
        "/onestop/kho-giay-to/",
        {"name": "Giấy tờ thử hai tiến trình"},
        files={"file": ("giay-to.png", content, "image/png")},
    )
    assert r.status_code == 302, r.text[:2000]
    uploaded_by = r.headers["X-Upstream"]
    digest = hashlib.sha256(content).hexdigest()
    [(uid, stored)] = deployment.sql(
        "select uid, file from onestop_walletitem where sha256 = ?", digest
    )
    assert (deployment.media / stored).read_bytes() == content  # in the shared store
    for _ in range(4):  # round robin: the next request goes to the other process
        download = s.get(f"{deployment.base}/onestop/kho-giay-to/{uid}/", timeout=60)
        if download.headers["X-Upstream"] != uploaded_by:
            break
    assert download.headers["X-Upstream"] in deployment.upstreams - {uploaded_by}
    assert download.status_code == 200
    assert download.content == content
    assert download.headers["Content-Disposition"].startswith("attachment")


def test_each_task_runs_once_although_two_workers_poll_the_queue(deployment):
    uids = deployment.step("notify", str(TASKS))["messages"]
    assert len(uids) == TASKS

    def delivered() -> bool:
        counts = deployment.sms.counts()
        return all(counts[u] >= 1 for u in uids)

    _wait(delivered, 90, "the SMS deliveries")
    _wait(
        lambda: (
            deployment.sql(
                "select count(*) from notify_message where uid::text = any(?) and status = 'sent'",
                uids,
            )[0][0]
            == TASKS
        ),
        30,
        "the messages marked sent",
    )
    time.sleep(1.5)  # room for a second delivery, were there one
    counts = deployment.sms.counts()
    assert {u: counts[u] for u in uids} == dict.fromkeys(uids, 1)
    assert deployment.sql(
        "select count(*) from notify_sentmessage s join notify_message m on m.id = s.message_id"
        " where m.uid::text = any(?)",
        uids,
    ) == [(TASKS,)]
    results = deployment.sql(
        "select status, worker_ids from django_tasks_database_dbtaskresult where task_path = ?",
        "tinhso.notify.tasks.deliver_message",
    )
    assert len(results) >= TASKS
    assert all(status == "SUCCESSFUL" for status, _ in results)
    assert all(len(workers) == 1 for _, workers in results)  # each task claimed once
    assert len({w for _, workers in results for w in workers}) == 2  # both workers took some


def _database_counters(deployment: Deployment) -> int:
    """Rows counting lookups in the database: the database cache's counter table (or its
    cache table, where a cache without its own counters would keep them)."""
    found = 0
    for table, column in (("tinhso_rate_counter", "name"), ("tinhso_cache", "cache_key")):
        if deployment.sql("select to_regclass(?)", table)[0][0] is not None:
            found += deployment.sql(
                f"select count(*) from {table} where {column} like ?", "%rl:onestop_lookup:%"
            )[0][0]
    return found


def _lookup_until_limited(deployment: Deployment, source: str, headers=None):
    """Public dossier lookups from one client, each for another code; (status, upstream)."""
    answers = []
    for i in range(LOOKUP_LIMIT + 3):
        path = f"/api/v1/onestop/lookup/?code=TD-000000-{uuid.uuid4().hex[:6].upper()}&secret=1234"
        answers.append(deployment.request(path, source=source, headers=headers and headers(i)))
    return answers


def _assert_trips_at_the_limit_overall(answers, upstreams: set[str]) -> None:
    allowed, refused = answers[:LOOKUP_LIMIT], answers[LOOKUP_LIMIT:]
    assert all(status != 429 for status, _ in allowed), answers
    assert all(status == 429 for status, _ in refused), answers
    # both processes counted: neither saw the limit's worth of attempts on its own
    assert {u for _, u in allowed} == upstreams
    assert {u for _, u in refused} == upstreams


def test_rate_limits_are_shared_by_the_web_processes_through_the_database_cache(deployment):
    answers = _lookup_until_limited(deployment, source="127.0.0.7")
    _assert_trips_at_the_limit_overall(answers, deployment.upstreams)
    assert _database_counters(deployment) >= 1  # the counters are rows of the database


def test_x_forwarded_for_sent_by_a_client_does_not_change_its_rate_limit_key(deployment):
    # The client writes a new address in X-Forwarded-For on every request; nginx appends
    # the address it saw, and the web processes believe only what their trusted proxy
    # added: every attempt counts for 127.0.0.4.
    answers = _lookup_until_limited(
        deployment,
        source="127.0.0.4",
        headers=lambda i: {"X-Forwarded-For": f"203.0.113.{i + 1}"},
    )
    _assert_trips_at_the_limit_overall(answers, deployment.upstreams)
    # ...while the address nginx reports is believed: another client has its own count
    status, _ = deployment.request(
        "/api/v1/onestop/lookup/?code=TD-000000-ZZZZZZ&secret=1234", source="127.0.0.5"
    )
    assert status != 429


def test_x_forwarded_proto_is_believed_from_the_trusted_proxy_only(deployment):
    # through nginx (TLS, X-Forwarded-Proto: https from the trusted proxy): no redirect
    s = deployment.session()
    r = s.get(deployment.base + "/accounts/login/", allow_redirects=False, timeout=30)
    assert r.status_code == 200
    # straight to a web process over plain http, claiming https: redirected to https
    web = deployment.webs[0]
    conn = http.client.HTTPConnection("127.0.0.1", web.port, timeout=30)
    try:
        conn.request("GET", "/accounts/login/", headers={"X-Forwarded-Proto": "https"})
        response = conn.getresponse()
        response.read()
    finally:
        conn.close()
    assert response.status == 301
    assert re.match(r"https://", response.getheader("Location", ""))


def test_rate_limits_are_shared_by_the_web_processes_through_redis(deployment):
    import redis

    store = redis.Redis.from_url(REDIS_URL)
    try:
        store.ping()
    except redis.ConnectionError:
        pytest.fail(f"no Redis at {REDIS_URL} (set TWO_WEB_REDIS_URL)")
    store.flushdb()
    try:
        # The web processes again, now with REDIS_URL (the last test of the module: they
        # stay so until the end; restarting them costs half a minute on a loaded machine).
        for web in deployment.webs:
            web._kill(web.web, signal.SIGTERM)
            web.extra_env["REDIS_URL"] = REDIS_URL
            web.spawn_web()
        for web in deployment.webs:
            web.wait_web()
        answers = _lookup_until_limited(deployment, source="127.0.0.8")
        _assert_trips_at_the_limit_overall(answers, deployment.upstreams)
        assert store.keys("*rl:onestop_lookup:*")  # the counters live in Redis
    finally:
        store.flushdb()
