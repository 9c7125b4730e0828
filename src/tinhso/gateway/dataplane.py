"""The data plane: the gateway's logic per call, behind `/{provider}/{service}/{path}`
(served by `httpserver.HttpServer`, which hands it each whole request).

Per call, in order (X-Road's security server, `domain/gateway.md`): read the body within
the limit; authenticate the consumer (API key in `X-Api-Key` or `Authorization: Bearer`,
or a client certificate fingerprint set by the TLS terminator); find the service and
refuse it if not enabled (with the administrator's notice); match the endpoint; check
the access right (nothing is open by default); apply the consumer's rate limit and daily
quota; forward with the service's time-out and correlation headers (`X-Request-Id`,
`X-Tinhso-Client`, `X-Tinhso-Issue`); write the log record ahead, then answer.

Errors have one shape: `{"code", "message", "source": consumer|gateway|provider,
"request_id"}` plus the `X-Tinhso-Error` header.

Also served: `/health`, `/metrics` (Prometheus), `/listServices`, `/allowedServices`,
`/getOpenAPI?service=provider/service`.
"""

from __future__ import annotations

import asyncio
import bisect
import hashlib
import itertools
import json
import logging
import os
import re
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

from django.core.signals import setting_changed
from django.dispatch import receiver

from tinhso.core.middleware import caller_address
from tinhso.gateway import upstream
from tinhso.gateway.board import MetricsBoard
from tinhso.gateway.config import ServiceConf, Snapshot
from tinhso.gateway.errors import DATA_PLANE_ERRORS, GatewayErrorCode
from tinhso.gateway.httpserver import Answer, Request
from tinhso.gateway.limits import RateLimiter
from tinhso.gateway.messagelog import EMPTY_SHA256, WalWriter, wal_line

log = logging.getLogger("tinhso.gateway")

HOP_BY_HOP = {
    b"connection",
    b"keep-alive",
    b"proxy-authenticate",
    b"proxy-authorization",
    b"te",
    b"trailer",
    b"transfer-encoding",
    b"upgrade",
    b"host",
    b"content-length",
}
# (the gateway sends the provider the whole body at once: no `Expect: 100-continue`)
DROP_UP = HOP_BY_HOP | {
    b"x-api-key",
    b"x-tinhso-client",
    b"x-ssl-client-fingerprint",
    b"expect",
    b"x-forwarded-for",  # the provider gets the caller as the gateway established it
}
# the provider's Date and Server give way to the gateway's own, as nginx does
DROP_DOWN = HOP_BY_HOP | {b"date", b"server"}
REQUEST_ID_RE = re.compile(rb"[A-Za-z0-9._:-]{1,64}")  # whole value (fullmatch)
META_PATHS = frozenset(("/health", "/metrics", "/listServices", "/allowedServices", "/getOpenAPI"))
JSON_CONTENT = (b"content-type", b"application/json; charset=utf-8")
CODE_RE = re.compile(r"^[a-z][a-z0-9-]{1,39}$")
ISSUE_MAX = 100
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


_random = b""  # from os.urandom, 4 KiB at a time: one getrandom(2) per 256 ids, not per id
_random_at = 0


def _forget_random() -> None:
    global _random, _random_at
    _random, _random_at = b"", 0


os.register_at_fork(after_in_child=_forget_random)  # a child never repeats its parent's ids


def new_request_id() -> str:
    """A random (version 4) UUID in hex, as `uuid.uuid4().hex` without the UUID object."""
    global _random, _random_at
    at = _random_at
    if at + 16 > len(_random):
        _random, at = os.urandom(4096), 0
    _random_at = at + 16
    n = int.from_bytes(_random[at : at + 16], "big")
    n = (n & ~(0xF000 << 64) | (0x4000 << 64)) & ~(0xC000 << 48) | (0x8000 << 48)
    return f"{n:032x}"


_callers: dict[tuple[str, bytes | None], str] = {}


def caller_of(peer: str, forwarded: bytes | None) -> str:
    """`caller_address` of a call's peer and X-Forwarded-For, remembered: the same few
    peers (and proxies' headers) come back call after call, and reading addresses is
    dear (`ipaddress`). Forgotten when TRUSTED_PROXIES changes."""
    key = (peer, forwarded)
    found = _callers.get(key)
    if found is None:
        found = caller_address(peer, (forwarded or b"").decode("latin-1")) or ""
        if len(_callers) >= 4096:  # a client sending a new X-Forwarded-For each time
            _callers.clear()
        _callers[key] = found
    return found


@receiver(setting_changed)
def _proxies_changed(*, setting: str, **kwargs: Any) -> None:
    if setting == "TRUSTED_PROXIES":
        _callers.clear()


_second = -1
_second_text = ""


def utc_now_text() -> str:
    """Now in the message log's text form (`messagelog.format_time`: UTC, microseconds);
    the part up to the second is formatted once a second."""
    global _second, _second_text
    seconds, nanos = divmod(time.time_ns(), 1_000_000_000)
    if seconds != _second:
        _second_text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
        _second = seconds
    return f"{_second_text}.{nanos // 1000:06d}Z"


def error_body(code: str, request_id: str, notice: str = "") -> tuple[int, bytes, str]:
    status, source, message = DATA_PLANE_ERRORS[code]
    body: dict[str, Any] = {
        "code": code,
        "message": message,
        "source": source,
        "request_id": request_id,
    }
    if notice:
        body["notice"] = notice
    return status, json.dumps(body, ensure_ascii=False).encode(), source


class Refusal(Exception):
    def __init__(self, code: str, notice: str = "") -> None:
        self.code = code
        self.notice = notice


class Metrics:
    """Prometheus counters of this process's calls. Each process of the data plane
    publishes its own (`state`, through the `MetricsBoard`), and `/metrics`, whichever
    process answers it, adds up every process's."""

    def __init__(self) -> None:
        self.calls: dict[tuple[str, str, str, str], int] = defaultdict(int)
        # per service: how many calls fell in each bucket (not cumulative: `render` adds up)
        self.latency: dict[str, list[int]] = {}
        self.latency_sum: dict[str, float] = defaultdict(float)
        self.started = time.time()

    def observe(self, service: str, consumer: str, result: str, source: str, seconds: float):
        self.calls[(service, consumer, result, source)] += 1
        counts = self.latency.get(service)
        if counts is None:
            counts = self.latency[service] = [0] * (len(LATENCY_BUCKETS) + 1)
        counts[bisect.bisect_left(LATENCY_BUCKETS, seconds)] += 1  # first bound >= seconds
        self.latency_sum[service] += seconds

    def state(self, written: int) -> dict[str, Any]:
        """This process's counts as JSON data (`written`: its log records)."""
        return {
            "calls": [[*key, n] for key, n in self.calls.items()],
            "latency": self.latency,
            "latency_sum": self.latency_sum,
            "written": written,
        }

    @staticmethod
    def render(health: dict[str, Any], states: list[dict[str, Any]]) -> bytes:
        """The exposition of the processes' `states` added up."""
        calls: Counter[tuple[str, ...]] = Counter()
        latency: dict[str, list[int]] = {}
        latency_sum: Counter[str] = Counter()
        for state in states:
            for *key, n in state["calls"]:
                calls[tuple(key)] += n
            for service, counts in state["latency"].items():
                total = latency.setdefault(service, [0] * len(counts))
                for i, n in enumerate(counts):
                    total[i] += n
            latency_sum.update(state["latency_sum"])
        out = [
            "# HELP tinhso_gateway_calls_total Calls through the gateway.",
            "# TYPE tinhso_gateway_calls_total counter",
        ]
        for (service, consumer, result, source), n in sorted(calls.items()):
            out.append(
                f'tinhso_gateway_calls_total{{service="{service}",consumer="{consumer}",'
                f'result="{result}",source="{source}"}} {n}'
            )
        out += [
            "# HELP tinhso_gateway_call_seconds Time from request to answer.",
            "# TYPE tinhso_gateway_call_seconds histogram",
        ]
        for service, counts in sorted(latency.items()):
            buckets = list(itertools.accumulate(counts))
            for bound, count in zip(LATENCY_BUCKETS, buckets, strict=False):
                out.append(
                    f'tinhso_gateway_call_seconds_bucket{{service="{service}",le="{bound}"}} {int(count)}'
                )
            out.append(
                f'tinhso_gateway_call_seconds_bucket{{service="{service}",le="+Inf"}} {int(buckets[-1])}'
            )
            out.append(
                f'tinhso_gateway_call_seconds_sum{{service="{service}"}} {latency_sum[service]:.6f}'
            )
            out.append(
                f'tinhso_gateway_call_seconds_count{{service="{service}"}} {int(buckets[-1])}'
            )
        out += [
            "# TYPE tinhso_gateway_config_stale gauge",
            f"tinhso_gateway_config_stale {1 if health['config']['stale'] else 0}",
            "# TYPE tinhso_gateway_processes gauge",
            f"tinhso_gateway_processes {len(states)}",
            "# TYPE tinhso_gateway_log_records_written counter",
            f"tinhso_gateway_log_records_written {sum(s['written'] for s in states)}",
        ]
        return ("\n".join(out) + "\n").encode()


class Gateway:
    """The data plane's logic (`handle` per call) and its state: the configuration
    snapshot, the limits, the metrics, the write-ahead log. `loader` returns a fresh
    Snapshot (it reads the database)."""

    def __init__(
        self,
        *,
        loader: Callable[[], Snapshot],
        wal: WalWriter,
        max_body_bytes: int = 10 * 1024 * 1024,
        refresh_seconds: float = 2.0,
        version_reader: Callable[[], int] | None = None,
        trusted_cert_header: bool = False,
        limiter: RateLimiter | None = None,
        board: MetricsBoard | None = None,
    ) -> None:
        self.loader = loader
        self.wal = wal
        self.max_body = max_body_bytes
        self.refresh_seconds = refresh_seconds
        self.version_reader = version_reader
        self.trusted_cert_header = trusted_cert_header
        self.snapshot = Snapshot()
        self.config_error = ""
        self.config_checked_at = 0.0
        self.limiter = limiter or RateLimiter.create()
        self.board = board
        self.metrics = Metrics()
        self.upstream: upstream.UpstreamPool | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._publishing: asyncio.TimerHandle | None = None

    # -- configuration ------------------------------------------------------------------

    def reload(self) -> None:
        """Read a fresh snapshot now (in the calling thread)."""
        snapshot = self.loader()
        self.limiter.seed(
            {
                snapshot.consumers[code].id: n
                for code, n in snapshot.calls_today.items()
                if code in snapshot.consumers
            }
        )
        self.snapshot = snapshot
        self.config_error = ""
        self.config_checked_at = time.time()

    def _refresh_loop(self) -> None:
        from django.db import close_old_connections

        while not self._stop.wait(self.refresh_seconds):
            try:
                close_old_connections()
                if self.version_reader is None or self.version_reader() != self.snapshot.version:
                    self.reload()
                else:
                    self.config_error = ""
                    self.config_checked_at = time.time()
            except Exception as exc:  # keep serving with the last snapshot
                self.config_error = f"{type(exc).__name__}: {exc}"[:300]
                log.warning("configuration refresh failed: %s", self.config_error)

    def start_background(self) -> None:
        if self.refresh_seconds > 0:
            self._threads.append(threading.Thread(target=self._refresh_loop, daemon=True))
        for thread in self._threads:
            thread.start()

    def stop_background(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)

    def health(self) -> dict[str, Any]:
        snap = self.snapshot
        stale = bool(self.config_error) or snap.version < 0
        return {
            "status": "degraded" if stale else "ok",
            "config": {
                "version": snap.version,
                "loaded_at": snap.loaded_at.isoformat() if snap.loaded_at else None,
                "stale": stale,
                "error": self.config_error,
                "services": len(snap.services),
                "consumers": len(snap.consumers),
            },
            "log": {"written": self.wal.written},
            "process": self.board.process if self.board else 0,
            "processes": self.board.processes if self.board else 1,
            "uptime_s": round(time.time() - self.metrics.started, 1),
        }

    # -- serving ----------------------------------------------------------------------

    def start(self) -> None:
        """In the serving event loop, before the first call."""
        loop = asyncio.get_running_loop()
        self.upstream = upstream.UpstreamPool(loop=loop)
        if self.board is not None:
            self._publish_metrics(loop)

    def _publish_metrics(self, loop: asyncio.AbstractEventLoop) -> None:
        """Once a second, in the loop's thread (the one that counts)."""
        assert self.board is not None
        self.board.publish(self.metrics.state(self.wal.written))
        self._publishing = loop.call_later(1.0, self._publish_metrics, loop)

    def close(self) -> None:
        if self._publishing is not None:
            self._publishing.cancel()
        if self.upstream is not None:
            self.upstream.close()

    def bad_request(self) -> Answer:
        """The answer to what is not HTTP (the server closes the connection after it)."""
        request_id = new_request_id()
        status, body, _ = error_body(GatewayErrorCode.BAD_REQUEST, request_id)
        return status, _error_headers(GatewayErrorCode.BAD_REQUEST, request_id), body

    async def handle(self, request: Request) -> Answer:
        """One call: the status, headers and body to answer with (never raises)."""
        t0 = time.perf_counter()
        started_at = utc_now_text()
        headers = dict(request.headers)
        sent_id = headers.get(b"x-request-id")
        if sent_id is not None and REQUEST_ID_RE.fullmatch(sent_id):
            request_id = sent_id.decode("ascii")
        else:
            request_id = new_request_id()
        # behind nginx, the caller nginx names (from a trusted proxy only, as the web does)
        client = caller_of(request.client, headers.get(b"x-forwarded-for"))
        path = request.path
        if path in META_PATHS:
            return self._meta(path, request, headers, request_id)
        parts = path.split("/", 3)
        provider = parts[1] if len(parts) > 1 else ""
        service_code = parts[2] if len(parts) > 2 else ""
        rest = "/" + (parts[3] if len(parts) > 3 else "")
        issue = headers.get(b"x-tinhso-issue", b"").decode("utf-8", "replace")[:ISSUE_MAX]
        full_path = path + "?" + request.query.decode("latin-1") if request.query else path
        entry: dict[str, Any] = {
            "request_id": request_id,
            "started_at": started_at,
            "consumer_code": "",
            "provider_code": provider[:40],
            "service_code": service_code[:40],
            "endpoint": "",
            "method": request.method[:10],
            "path": full_path[:1000],
            "issue": issue,
            "status_code": 0,
            "result": "ok",
            "error_source": "",
            "request_size": 0,
            "response_size": 0,
            "request_hash": EMPTY_SHA256,
            "response_hash": EMPTY_SHA256,
            "duration_ms": 0.0,
            "provider_ms": None,
            "client_ip": client,
            "request_body": "",
            "response_body": "",
        }
        service: ServiceConf | None = None
        out_headers: list[tuple[bytes, bytes]]
        try:
            if request.too_large:
                raise Refusal(GatewayErrorCode.BODY_TOO_LARGE)
            body = request.body
            if body:
                entry["request_size"] = len(body)
                entry["request_hash"] = hashlib.sha256(body).hexdigest()
            consumer_code = self._consumer(headers)
            entry["consumer_code"] = consumer_code
            snap = self.snapshot
            service = snap.services.get((provider, service_code))
            if service is None or service.status == "draft":
                raise Refusal(GatewayErrorCode.UNKNOWN_SERVICE)
            if service.status != "enabled":
                raise Refusal(GatewayErrorCode.SERVICE_DISABLED, service.notice)
            endpoint = None
            if service.endpoints:
                endpoint = service.match(request.method, rest)
                if endpoint is None:
                    raise Refusal(GatewayErrorCode.UNKNOWN_ENDPOINT)
                entry["endpoint"] = f"{endpoint.method} {endpoint.template}"
            if not snap.allowed(consumer_code, service, endpoint):
                raise Refusal(GatewayErrorCode.ACCESS_DENIED)
            consumer = snap.consumers[consumer_code]
            limited = self.limiter.take(
                consumer.id, consumer.rate_per_minute, consumer.quota_per_day
            )
            if limited:
                raise Refusal(limited)
            if service.log_bodies and body:
                entry["request_body"] = _encrypt(body)
            status, out_headers, out_body = await self._forward(
                request, headers, service, request_id, consumer_code, issue, entry
            )
        except Refusal as refusal:
            status, out_body, source = error_body(refusal.code, request_id, refusal.notice)
            out_headers = _error_headers(refusal.code)
            entry["result"], entry["error_source"] = refusal.code, source
        except Exception:
            log.exception("gateway failure on %s", request_id)
            code = GatewayErrorCode.INTERNAL
            status, out_body, source = error_body(code, request_id)
            out_headers = [JSON_CONTENT]
            entry["result"], entry["error_source"] = code, source
        entry["status_code"] = status
        if out_body:
            entry["response_size"] = len(out_body)
            entry["response_hash"] = hashlib.sha256(out_body).hexdigest()
        seconds = time.perf_counter() - t0
        entry["duration_ms"] = round(seconds * 1000, 3)
        # write ahead, then answer: the server sends this answer only after `commit`
        self.wal.add(wal_line(entry))
        request.record_id = request_id
        out_headers.append((b"X-Request-Id", request_id.encode()))
        out_headers.append((b"x-tinhso-request-hash", entry["request_hash"].encode()))
        self.metrics.observe(
            service.label if service else "-",
            entry["consumer_code"] or "-",
            entry["result"],
            entry["error_source"] or "-",
            seconds,
        )
        return status, out_headers, out_body

    def commit(self) -> bool:
        """Write the records of the calls about to be answered (the server calls it once
        per turn of its event loop, before it sends their answers)."""
        try:
            self.wal.flush()
        except OSError:
            log.exception("write-ahead log failed")
            return False
        return True

    def unlogged(self, request: Request) -> Answer:
        """The answer to a call whose record could not be written (instead of its own)."""
        code = GatewayErrorCode.LOG_UNAVAILABLE
        status, body, _ = error_body(code, request.record_id)
        return status, _error_headers(code, request.record_id), body

    def _consumer(self, headers: dict[bytes, bytes]) -> str:
        snap = self.snapshot
        key = headers.get(b"x-api-key")
        if key is None:
            auth = headers.get(b"authorization", b"")
            if auth[:7].lower() == b"bearer ":
                key = auth[7:].strip()
        if key:
            found = snap.keys.get(hashlib.sha256(key).hexdigest())
            if found is None:
                raise Refusal(GatewayErrorCode.INVALID_KEY)
            code, expires = found
            if expires is not None and expires <= time.time():
                raise Refusal(GatewayErrorCode.EXPIRED_KEY)
        elif self.trusted_cert_header and headers.get(b"x-ssl-client-fingerprint"):
            fingerprint = headers[b"x-ssl-client-fingerprint"].decode("latin-1")
            fingerprint = fingerprint.replace(":", "").strip().lower()
            code = snap.certificates.get(fingerprint, "")
            if not code:
                raise Refusal(GatewayErrorCode.INVALID_KEY)
        else:
            raise Refusal(GatewayErrorCode.MISSING_CREDENTIALS)
        consumer = snap.consumers.get(code)
        if consumer is None or not consumer.active:
            raise Refusal(GatewayErrorCode.CONSUMER_INACTIVE)
        return code

    async def _forward(
        self, request: Request, headers, service, request_id, consumer_code, issue, entry
    ) -> Answer:
        assert self.upstream is not None
        uses_bearer = b"x-api-key" not in headers
        up = [
            (name, value)
            for name, value in request.headers
            if name not in DROP_UP and not (uses_bearer and name == b"authorization")
        ]  # (the server gives the names in lower case)
        up += [
            (b"X-Request-Id", request_id.encode()),
            (b"X-Tinhso-Client", consumer_code.encode()),
            (b"X-Forwarded-For", entry["client_ip"].encode()),
        ]
        if issue:
            up.append((b"X-Tinhso-Issue", issue.encode()))
        up += service.extra_headers
        t1 = time.perf_counter()
        try:
            base = upstream.base_of(service.base_url)
            if base is None:  # a base URL with a query: the whole URL read per call
                url = service.base_url + _sent_rest(request.raw_path)
                if request.query:
                    url += "?" + request.query.decode("latin-1")
                answer = await self.upstream.request(
                    request.method,
                    url,
                    up,
                    request.body,
                    timeout=service.timeout_s,
                    max_body=self.max_body,
                )
            else:
                address, host_line, prefix = base
                target = prefix + _sent_rest_bytes(request.raw_path)
                if request.query:
                    target += b"?" + request.query
                answer = await self.upstream.send(
                    request.method.encode("ascii"),
                    address,
                    host_line,
                    target,
                    up,
                    request.body,
                    timeout=service.timeout_s,
                    max_body=self.max_body,
                )
        except TimeoutError as exc:
            raise Refusal(GatewayErrorCode.PROVIDER_TIMEOUT) from exc
        except upstream.TooLarge as exc:
            raise Refusal(GatewayErrorCode.PROVIDER_RESPONSE_TOO_LARGE) from exc
        except upstream.Unavailable as exc:
            raise Refusal(GatewayErrorCode.PROVIDER_UNAVAILABLE) from exc
        except upstream.UpstreamError as exc:
            raise Refusal(GatewayErrorCode.PROVIDER_BAD_RESPONSE) from exc
        finally:
            entry["provider_ms"] = round((time.perf_counter() - t1) * 1000, 3)
        status, out_body = answer.status, answer.body
        out_headers = [(k, v) for k, v in answer.headers if k.lower() not in DROP_DOWN]
        if status >= 500:
            entry["result"], entry["error_source"] = f"http_{status}", "provider"
        if service.log_bodies and out_body:
            entry["response_body"] = _encrypt(out_body)
        out_headers.append(service.header)
        return status, out_headers, out_body

    def _meta(self, path: str, request: Request, headers, request_id: str) -> Answer:
        if path == "/health":
            health = self.health()
            return _json(200 if health["status"] == "ok" else 503, health)
        if path == "/metrics":
            states = [self.metrics.state(self.wal.written)]
            if self.board is not None:
                states += self.board.others()
            body = Metrics.render(self.health(), states)
            return 200, [(b"content-type", b"text/plain; version=0.0.4")], body
        try:
            consumer = self._consumer(headers)
        except Refusal as refusal:
            status, body, _ = error_body(refusal.code, request_id)
            return status, [JSON_CONTENT], body
        snap = self.snapshot
        visible = [s for s in snap.services.values() if s.status != "draft"]
        if path == "/getOpenAPI":
            query = dict(p.split("=", 1) for p in request.query.decode().split("&") if "=" in p)
            wanted = tuple(query.get("service", "").replace("%2F", "/").split("/", 1))
            service = snap.services.get(wanted) if len(wanted) == 2 else None  # type: ignore[call-overload]
            if service is None or service.status == "draft" or not service.openapi_text:
                status, body, _ = error_body(GatewayErrorCode.UNKNOWN_SERVICE, request_id)
                return status, [JSON_CONTENT], body
            return 200, [JSON_CONTENT], service.openapi_text.encode()
        if path == "/allowedServices":
            rights = snap.rights
            visible = [s for s in visible if any(r[0] == consumer and r[1] == s.id for r in rights)]
        return _json(
            200,
            {
                "consumer": consumer,
                "services": [
                    {
                        "provider": s.provider,
                        "service": s.code,
                        "title": s.title,
                        "version": s.version,
                        "status": s.status,
                        "endpoints": [f"{e.method} {e.template}" for e in s.endpoints],
                    }
                    for s in sorted(visible, key=lambda s: (s.provider, s.code))
                ],
            },
        )


def _json(status: int, data: Any) -> Answer:
    return status, [JSON_CONTENT], json.dumps(data, ensure_ascii=False).encode()


def _error_headers(code: str, request_id: str | None = None) -> list[tuple[bytes, bytes]]:
    headers = [JSON_CONTENT, (b"x-tinhso-error", code.encode())]
    if request_id is not None:
        headers.append((b"X-Request-Id", request_id.encode()))
    return headers


def _sent_rest(raw_path: bytes) -> str:
    """The path after /provider/service as the consumer sent it (still percent-encoded)."""
    parts = raw_path.split(b"/", 3)
    return "/" + (parts[3].decode("latin-1") if len(parts) > 3 else "")


def _sent_rest_bytes(raw_path: bytes) -> bytes:
    """`_sent_rest` as bytes: the provider gets the bytes the consumer sent."""
    parts = raw_path.split(b"/", 3)
    return b"/" + parts[3] if len(parts) > 3 else b"/"


def _encrypt(body: bytes) -> str:
    from tinhso.gateway.crypto import encrypt_body

    return encrypt_body(body)
