"""The data plane: an ASGI application that proxies `/{provider}/{service}/{path}`.

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

import datetime as dt
import hashlib
import json
import logging
import re
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from tinhso.gateway import upstream
from tinhso.gateway.config import ServiceConf, Snapshot
from tinhso.gateway.errors import DATA_PLANE_ERRORS, GatewayErrorCode
from tinhso.gateway.messagelog import EMPTY_SHA256, WalWriter, format_time

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
DROP_UP = HOP_BY_HOP | {b"x-api-key", b"x-tinhso-client", b"x-ssl-client-fingerprint"}
# the provider's Date and Server give way to the gateway's own, as nginx does
DROP_DOWN = HOP_BY_HOP | {b"date", b"server"}
REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
CODE_RE = re.compile(r"^[a-z][a-z0-9-]{1,39}$")
ISSUE_MAX = 100
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


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


class RateLimiter:
    """A token bucket per consumer (capacity = per-minute limit) and a daily counter."""

    def __init__(self) -> None:
        self.buckets: dict[str, tuple[float, float]] = {}
        self.day = ""
        self.used: dict[str, int] = defaultdict(int)

    def seed(self, counts: dict[str, int]) -> None:
        today = time.strftime("%Y-%m-%d")
        if self.day != today:
            self.day = today
            self.used = defaultdict(int, counts)

    def take(self, consumer: str, per_minute: int, per_day: int) -> str | None:
        today = time.strftime("%Y-%m-%d")
        if today != self.day:
            self.day, self.used = today, defaultdict(int)
        if self.used[consumer] >= per_day:
            return GatewayErrorCode.QUOTA_EXCEEDED
        now = time.monotonic()
        tokens, last = self.buckets.get(consumer, (float(per_minute), now))
        tokens = min(float(per_minute), tokens + (now - last) * per_minute / 60.0)
        if tokens < 1.0:
            self.buckets[consumer] = (tokens, now)
            return GatewayErrorCode.RATE_LIMITED
        self.buckets[consumer] = (tokens - 1.0, now)
        self.used[consumer] += 1
        return None


class Metrics:
    def __init__(self) -> None:
        self.calls: dict[tuple[str, str, str, str], int] = defaultdict(int)
        self.latency: dict[str, list[float]] = {}
        self.latency_sum: dict[str, float] = defaultdict(float)
        self.started = time.time()

    def observe(self, service: str, consumer: str, result: str, source: str, seconds: float):
        self.calls[(service, consumer, result, source)] += 1
        buckets = self.latency.setdefault(service, [0.0] * (len(LATENCY_BUCKETS) + 1))
        for i, bound in enumerate(LATENCY_BUCKETS):
            if seconds <= bound:
                buckets[i] += 1
        buckets[-1] += 1
        self.latency_sum[service] += seconds

    def render(self, health: dict[str, Any]) -> bytes:
        out = [
            "# HELP tinhso_gateway_calls_total Calls through the gateway.",
            "# TYPE tinhso_gateway_calls_total counter",
        ]
        for (service, consumer, result, source), n in sorted(self.calls.items()):
            out.append(
                f'tinhso_gateway_calls_total{{service="{service}",consumer="{consumer}",'
                f'result="{result}",source="{source}"}} {n}'
            )
        out += [
            "# HELP tinhso_gateway_call_seconds Time from request to answer.",
            "# TYPE tinhso_gateway_call_seconds histogram",
        ]
        for service, buckets in sorted(self.latency.items()):
            for bound, count in zip(LATENCY_BUCKETS, buckets, strict=False):
                out.append(
                    f'tinhso_gateway_call_seconds_bucket{{service="{service}",le="{bound}"}} {int(count)}'
                )
            out.append(
                f'tinhso_gateway_call_seconds_bucket{{service="{service}",le="+Inf"}} {int(buckets[-1])}'
            )
            out.append(
                f'tinhso_gateway_call_seconds_sum{{service="{service}"}} {self.latency_sum[service]:.6f}'
            )
            out.append(
                f'tinhso_gateway_call_seconds_count{{service="{service}"}} {int(buckets[-1])}'
            )
        out += [
            "# TYPE tinhso_gateway_config_stale gauge",
            f"tinhso_gateway_config_stale {1 if health['config']['stale'] else 0}",
            "# TYPE tinhso_gateway_log_records_written counter",
            f"tinhso_gateway_log_records_written {health['log']['written']}",
        ]
        return ("\n".join(out) + "\n").encode()


class Gateway:
    """The ASGI application. `loader` returns a fresh Snapshot (it reads the database)."""

    def __init__(
        self,
        *,
        loader: Callable[[], Snapshot],
        wal: WalWriter,
        max_body_bytes: int = 10 * 1024 * 1024,
        refresh_seconds: float = 2.0,
        version_reader: Callable[[], int] | None = None,
        ingest: Callable[[], Any] | None = None,
        ingest_seconds: float = 1.0,
        trusted_cert_header: bool = False,
    ) -> None:
        self.loader = loader
        self.wal = wal
        self.max_body = max_body_bytes
        self.refresh_seconds = refresh_seconds
        self.version_reader = version_reader
        self.ingest = ingest
        self.ingest_seconds = ingest_seconds
        self.trusted_cert_header = trusted_cert_header
        self.snapshot = Snapshot()
        self.config_error = ""
        self.config_checked_at = 0.0
        self.limiter = RateLimiter()
        self.metrics = Metrics()
        self.upstream: upstream.UpstreamPool | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.log_error = ""

    # -- configuration ------------------------------------------------------------------

    def reload(self) -> None:
        """Read a fresh snapshot now (in the calling thread)."""
        snapshot = self.loader()
        self.limiter.seed(snapshot.calls_today)
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

    def _ingest_loop(self) -> None:
        from django.db import close_old_connections

        while not self._stop.wait(self.ingest_seconds):
            try:
                close_old_connections()
                assert self.ingest is not None
                self.ingest()
                self.log_error = ""
            except Exception as exc:  # the write-ahead files keep the records
                self.log_error = f"{type(exc).__name__}: {exc}"[:300]
                log.warning("message-log ingestion failed: %s", self.log_error)

    def start_background(self) -> None:
        if self.refresh_seconds > 0:
            self._threads.append(threading.Thread(target=self._refresh_loop, daemon=True))
        if self.ingest is not None and self.ingest_seconds > 0:
            self._threads.append(threading.Thread(target=self._ingest_loop, daemon=True))
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
            "status": "degraded" if stale or self.log_error else "ok",
            "config": {
                "version": snap.version,
                "loaded_at": snap.loaded_at.isoformat() if snap.loaded_at else None,
                "stale": stale,
                "error": self.config_error,
                "services": len(snap.services),
                "consumers": len(snap.consumers),
            },
            "log": {"written": self.wal.written, "ingest_error": self.log_error},
            "uptime_s": round(time.time() - self.metrics.started, 1),
        }

    # -- ASGI ---------------------------------------------------------------------------

    async def __call__(self, scope, receive, send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await self._lifespan(receive, send)
        elif kind == "http":
            await self._http(scope, receive, send)

    async def _lifespan(self, receive, send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.upstream = upstream.UpstreamPool()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.upstream is not None:
                    self.upstream.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    @staticmethod
    async def _answer(send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]):
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _json(self, send, status: int, data: Any) -> None:
        await self._answer(
            send,
            status,
            json.dumps(data, ensure_ascii=False).encode(),
            [(b"content-type", b"application/json; charset=utf-8")],
        )

    async def _read_body(self, receive, declared: int | None) -> bytes:
        if declared is not None and declared > self.max_body:
            raise Refusal(GatewayErrorCode.BODY_TOO_LARGE)
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise Refusal(GatewayErrorCode.BAD_REQUEST)
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                raise Refusal(GatewayErrorCode.BODY_TOO_LARGE)
            chunks.append(chunk)
            if not message.get("more_body"):
                return b"".join(chunks)

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

    async def _http(self, scope, receive, send) -> None:
        t0 = time.perf_counter()
        started = dt.datetime.now(dt.UTC)
        method = scope["method"]
        path = scope["path"]
        headers = {k.lower(): v for k, v in scope["headers"]}
        sent_id = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = sent_id if REQUEST_ID_RE.match(sent_id) else uuid.uuid4().hex
        if path in ("/health", "/metrics", "/listServices", "/allowedServices", "/getOpenAPI"):
            await self._meta(path, scope, headers, send, request_id)
            return
        parts = path.split("/", 3)
        provider = parts[1] if len(parts) > 1 else ""
        service_code = parts[2] if len(parts) > 2 else ""
        rest = "/" + (parts[3] if len(parts) > 3 else "")
        issue = headers.get(b"x-tinhso-issue", b"").decode("utf-8", "replace")[:ISSUE_MAX]
        client = scope.get("client")
        entry: dict[str, Any] = {
            "request_id": request_id,
            "started_at": format_time(started),
            "consumer_code": "",
            "provider_code": provider[:40],
            "service_code": service_code[:40],
            "endpoint": "",
            "method": method[:10],
            "path": (
                path
                + ("?" + scope["query_string"].decode("latin-1") if scope["query_string"] else "")
            )[:1000],
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
            "client_ip": client[0] if client else "",
            "request_body": "",
            "response_body": "",
        }
        service: ServiceConf | None = None
        try:
            declared = headers.get(b"content-length")
            try:
                declared_size = int(declared) if declared is not None else None
            except ValueError as exc:
                raise Refusal(GatewayErrorCode.BAD_REQUEST) from exc
            body = await self._read_body(receive, declared_size)
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
                endpoint = service.match(method, rest)
                if endpoint is None:
                    raise Refusal(GatewayErrorCode.UNKNOWN_ENDPOINT)
                entry["endpoint"] = f"{endpoint.method} {endpoint.template}"
            if not snap.allowed(consumer_code, service, endpoint):
                raise Refusal(GatewayErrorCode.ACCESS_DENIED)
            consumer = snap.consumers[consumer_code]
            limited = self.limiter.take(
                consumer_code, consumer.rate_per_minute, consumer.quota_per_day
            )
            if limited:
                raise Refusal(limited)
            if service.log_bodies and body:
                entry["request_body"] = _encrypt(body)
            status, out_headers, out_body = await self._forward(
                scope, headers, body, service, rest, request_id, consumer_code, issue, entry
            )
        except Refusal as refusal:
            status, out_body, source = error_body(refusal.code, request_id, refusal.notice)
            out_headers = [
                (b"content-type", b"application/json; charset=utf-8"),
                (b"x-tinhso-error", refusal.code.encode()),
            ]
            entry["result"], entry["error_source"] = refusal.code, source
        except Exception:
            log.exception("gateway failure on %s", request_id)
            code = GatewayErrorCode.INTERNAL
            status, out_body, source = error_body(code, request_id)
            out_headers = [(b"content-type", b"application/json; charset=utf-8")]
            entry["result"], entry["error_source"] = code, source
        entry["status_code"] = status
        entry["response_size"] = len(out_body)
        entry["response_hash"] = hashlib.sha256(out_body).hexdigest()
        entry["duration_ms"] = round((time.perf_counter() - t0) * 1000, 3)
        try:
            self.wal.append(entry)  # write ahead, then answer
        except OSError:
            log.exception("write-ahead log failed")
            status, out_body, _ = error_body(GatewayErrorCode.LOG_UNAVAILABLE, request_id)
            out_headers = [(b"content-type", b"application/json; charset=utf-8")]
        out_headers.append((b"X-Request-Id", request_id.encode()))
        out_headers.append((b"x-tinhso-request-hash", entry["request_hash"].encode()))
        await self._answer(send, status, out_body, out_headers)
        self.metrics.observe(
            f"{provider}/{service_code}" if service else "-",
            entry["consumer_code"] or "-",
            entry["result"],
            entry["error_source"] or "-",
            entry["duration_ms"] / 1000,
        )

    async def _forward(
        self, scope, headers, body, service, rest, request_id, consumer_code, issue, entry
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        assert self.upstream is not None
        url = service.base_url + _sent_rest(scope, rest)
        if scope["query_string"]:
            url += "?" + scope["query_string"].decode("latin-1")
        uses_bearer = b"x-api-key" not in headers
        up = [
            (name, value)
            for name, value in scope["headers"]
            if name not in DROP_UP and not (uses_bearer and name == b"authorization")
        ]  # (the server gives the names in lower case)
        client = scope.get("client")
        up += [
            (b"X-Request-Id", request_id.encode()),
            (b"X-Tinhso-Client", consumer_code.encode()),
            (b"X-Forwarded-For", client[0].encode() if client else b""),
        ]
        if issue:
            up.append((b"X-Tinhso-Issue", issue.encode()))
        up += service.extra_headers
        t1 = time.perf_counter()
        try:
            answer = await self.upstream.request(
                scope["method"],
                url,
                up,
                body,
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
        out_headers.append((b"x-tinhso-service", f"{service.provider}/{service.code}".encode()))
        return status, out_headers, out_body

    async def _meta(self, path, scope, headers, send, request_id) -> None:
        if path == "/health":
            health = self.health()
            await self._json(send, 200 if health["status"] == "ok" else 503, health)
            return
        if path == "/metrics":
            await self._answer(
                send,
                200,
                self.metrics.render(self.health()),
                [(b"content-type", b"text/plain; version=0.0.4")],
            )
            return
        try:
            consumer = self._consumer(headers)
        except Refusal as refusal:
            status, body, _ = error_body(refusal.code, request_id)
            await self._answer(
                send, status, body, [(b"content-type", b"application/json; charset=utf-8")]
            )
            return
        snap = self.snapshot
        visible = [s for s in snap.services.values() if s.status != "draft"]
        if path == "/getOpenAPI":
            query = dict(
                p.split("=", 1) for p in scope["query_string"].decode().split("&") if "=" in p
            )
            wanted = tuple(query.get("service", "").replace("%2F", "/").split("/", 1))
            service = snap.services.get(wanted) if len(wanted) == 2 else None  # type: ignore[call-overload]
            if service is None or service.status == "draft" or not service.openapi_text:
                status, body, _ = error_body(GatewayErrorCode.UNKNOWN_SERVICE, request_id)
                await self._answer(
                    send, status, body, [(b"content-type", b"application/json; charset=utf-8")]
                )
                return
            await self._answer(
                send,
                200,
                service.openapi_text.encode(),
                [(b"content-type", b"application/json; charset=utf-8")],
            )
            return
        if path == "/allowedServices":
            rights = snap.rights
            visible = [s for s in visible if any(r[0] == consumer and r[1] == s.id for r in rights)]
        await self._json(
            send,
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


def _sent_rest(scope, rest: str) -> str:
    """The path after /provider/service as the consumer sent it (still percent-encoded),
    or `rest` encoded again when the server gives no raw path (it may, in ASGI)."""
    raw = scope.get("raw_path")
    if not raw:
        return quote(rest, safe="/:@!$&'()*+,;=-._~")
    parts = raw.split(b"/", 3)
    return "/" + (parts[3].decode("latin-1") if len(parts) > 3 else "")


def _encrypt(body: bytes) -> str:
    from tinhso.gateway.crypto import encrypt_body

    return encrypt_body(body)
