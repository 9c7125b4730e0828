"""How a package travels: the same contract for every channel.

`Transport.deliver(message)` returns when the receiver has kept the package (it answered
2xx: `accepted` or `duplicate`), or raises `DeliveryFailed` — `transient` (network, 5xx,
429: try again later) or not (4xx with a code: the receiver refused the package itself).

- `LocalTransport`: an agency of this instance: `services.receive_package` in-process,
  through exactly the checks a package from outside goes through (several at once:
  `services.receive_batch`).
- `InstanceTransport`: another tinhso instance: HTTP POST of the signed XML to its
  `/api/v1/exchange/packages` (optional mutual TLS: EXCHANGE_TLS_CERT / EXCHANGE_TLS_KEY,
  EXCHANGE_TLS_CA). Several packages for the same instance go in one request
  (`deliver_many`): a `multipart/mixed` body (RFC 2046) whose parts are the signed
  packages byte for byte, each with its own XML signature as QCVN 102 requires; the
  answer gives each package's outcome, in order. An instance that does not take such
  a request (an older version: 415) gets them one by one.
- `AxisTransport`: the national document axis (Government Office): through the LGSP
  gateway once the axis is published there (`gateway.connectors.docaxis`; every package
  in the message log), else by URL and credentials (EXCHANGE_AXIS_URL /
  EXCHANGE_AXIS_TOKEN or an address-book entry): the same contract — the axis's own API
  is adapted here, the rest of the app does not change.
"""

from __future__ import annotations

import secrets
from typing import Any

from tinhso.exchange import conf
from tinhso.exchange.errors import E, PackageRefused, PackageTooLarge
from tinhso.exchange.models import Endpoint, OutboxMessage

BATCH_MEDIA_TYPE = "multipart/mixed"


class DeliveryFailed(Exception):
    def __init__(self, message: str, *, transient: bool, code: str = "") -> None:
        super().__init__(message)
        self.transient = transient
        self.code = code or ("delivery_failed" if transient else "refused")


class Transport:
    #: sends over the network (may run in a sending thread: no database work)
    remote = True
    #: takes several packages in one request (`deliver_many`)
    batches = False

    def deliver(
        self, message: OutboxMessage, *, session: Any = None
    ) -> dict[str, Any]:  # pragma: no cover
        raise NotImplementedError


class LocalTransport(Transport):
    remote = False
    batches = True

    def deliver_many(
        self, messages: list[OutboxMessage], *, session: Any = None
    ) -> list[DeliveryFailed | None]:
        """Several packages kept in-process together (`services.receive_batch`)."""
        from tinhso.exchange.services import receive_batch

        outcomes = receive_batch([bytes(m.payload) for m in messages], channel="local")
        return [
            None
            if outcome.error is None
            else DeliveryFailed(
                f"{outcome.error.message} [{outcome.error.code}]",
                transient=False,
                code=str(outcome.error.code),
            )
            for outcome in outcomes
        ]

    def deliver(self, message: OutboxMessage, *, session: Any = None) -> dict[str, Any]:
        from tinhso.core.errors import DomainError
        from tinhso.exchange.services import receive_package

        try:
            return receive_package(bytes(message.payload), channel="local").as_dict()
        except DomainError as exc:
            raise DeliveryFailed(
                f"{exc.message} [{exc.code}]", transient=False, code=str(exc.code)
            ) from exc


class InstanceTransport(Transport):
    def __init__(self, url: str, token: str = "") -> None:
        self.url = url
        self.token = token

    def headers(self, message: OutboxMessage | None = None) -> dict[str, str]:
        """For one package (`message`) or a batch (None)."""
        return {
            "Content-Type": "application/xml",
            "Accept": "application/json",
            **self.credentials(message),
        }

    def credentials(self, message: OutboxMessage | None) -> dict[str, str]:
        return {"Authorization": f"Token {self.token}"} if self.token else {}

    def deliver(self, message: OutboxMessage, *, session: Any = None) -> dict[str, Any]:
        """POST the package; `session`: a keep-alive `requests.Session` (one
        connection reused for many packages)."""
        import requests

        try:
            response = (session or requests).post(
                self.url,
                data=bytes(message.payload),
                headers=self.headers(message),
                timeout=(5, conf.http_timeout()),
                cert=conf.tls_client_cert(),
                verify=conf.tls_ca_bundle(),
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise DeliveryFailed(
                f"Không kết nối được {self.url}: {type(exc).__name__}", transient=True
            ) from exc
        try:
            body = response.json()
        except ValueError:
            body = {}
        if 200 <= response.status_code < 300:
            return body if isinstance(body, dict) else {}
        raise _failure(response, body)

    #: takes several packages in one request (`deliver_many`)
    batches = True

    def deliver_many(
        self, messages: list[OutboxMessage], *, session: Any = None
    ) -> list[DeliveryFailed | None]:
        """POST several packages in one request: each one's outcome (None: kept).

        A failure of the request itself (network, 5xx) is every package's; a receiver
        that cannot take a batch (415, or any other 4xx for the request as a whole)
        gets the packages one by one."""
        import requests

        if len(messages) == 1 or self.url in _NO_BATCH:
            return [self._one(m, session) for m in messages]
        content_type, body = encode_batch([bytes(m.payload) for m in messages])
        try:
            response = (session or requests).post(
                self.url,
                data=body,
                headers={**self.headers(), "Content-Type": content_type},
                timeout=(5, conf.http_timeout() * 2),
                cert=conf.tls_client_cert(),
                verify=conf.tls_ca_bundle(),
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            failure = DeliveryFailed(
                f"Không kết nối được {self.url}: {type(exc).__name__}", transient=True
            )
            return [failure] * len(messages)
        if response.status_code >= 500 or response.status_code in (408, 429):
            failure = _failure(response, {})
            return [failure] * len(messages)
        try:
            body_json = response.json()
            results = body_json["results"] if 200 <= response.status_code < 300 else None
        except (ValueError, KeyError, TypeError):
            results = None
        if not isinstance(results, list) or len(results) != len(messages):
            if response.status_code == 415:
                _NO_BATCH.add(self.url)
            return [self._one(m, session) for m in messages]
        return [_outcome(result) for result in results]

    def _one(self, message: OutboxMessage, session: Any) -> DeliveryFailed | None:
        try:
            self.deliver(message, session=session)
        except DeliveryFailed as exc:
            return exc
        return None


# Receivers (URLs) that answered 415 to a batch: one package per request to them.
_NO_BATCH: set[str] = set()


def _failure(response: Any, body: Any) -> DeliveryFailed:
    code = str(body.get("code", "")) if isinstance(body, dict) else ""
    text = str(body.get("message", "")) if isinstance(body, dict) else ""
    detail = f"HTTP {response.status_code}: {text or response.reason} [{code}]"
    transient = response.status_code >= 500 or response.status_code in (408, 429)
    return DeliveryFailed(detail, transient=transient, code=code or f"http_{response.status_code}")


def _outcome(result: Any) -> DeliveryFailed | None:
    """One package's answer in a batch: None when kept (`accepted`, `duplicate`)."""
    if not isinstance(result, dict):
        return DeliveryFailed("Câu trả lời không đọc được.", transient=True)
    if result.get("result") in ("accepted", "duplicate"):
        return None
    status = result.get("status")
    status = status if isinstance(status, int) else 400
    code = str(result.get("code", "") or f"http_{status}")
    text = str(result.get("message", ""))
    transient = status >= 500 or status in (408, 429)
    return DeliveryFailed(f"HTTP {status}: {text} [{code}]", transient=transient, code=code)


def encode_batch(payloads: list[bytes]) -> tuple[str, bytes]:
    """(Content-Type, body) of a `multipart/mixed` request carrying `payloads` as they
    are (each part `application/xml`), with a boundary found in none of them."""
    while True:
        boundary = secrets.token_hex(16)
        marker = boundary.encode()
        if not any(marker in payload for payload in payloads):
            break
    parts = [
        b"--" + marker + b"\r\nContent-Type: application/xml\r\n\r\n" + payload + b"\r\n"
        for payload in payloads
    ]
    body = b"".join(parts) + b"--" + marker + b"--\r\n"
    return f'{BATCH_MEDIA_TYPE}; boundary="{boundary}"', body


def decode_batch(content_type: str, data: bytes) -> list[bytes]:
    """The packages of a `multipart/mixed` body, byte for byte (`encode_batch`), or a
    refusal (`malformed_batch`, `package_too_large`): strict, no preamble or nesting."""
    boundary = _boundary(content_type)
    opening = b"--" + boundary + b"\r\n"
    closing = b"\r\n--" + boundary + b"--"
    if not data.startswith(opening) or closing not in data:
        raise PackageRefused(
            "Yêu cầu nhiều gói tin không đúng dạng multipart/mixed.", code=E.MALFORMED_BATCH
        )
    inner = data[len(opening) : data.rindex(closing)]
    packages = []
    for part in inner.split(b"\r\n--" + boundary + b"\r\n"):
        head, sep, payload = part.partition(b"\r\n\r\n")
        if not sep:
            raise PackageRefused(
                "Một phần của yêu cầu nhiều gói tin không có nội dung.", code=E.MALFORMED_BATCH
            )
        if len(payload) > conf.max_bytes():
            raise PackageTooLarge(f"Gói tin vượt quá {conf.max_bytes() // (1024 * 1024)} MB.")
        packages.append(payload)
    if len(packages) > conf.batch_max_packages():
        raise PackageRefused(
            f"Một yêu cầu chỉ được mang tối đa {conf.batch_max_packages()} gói tin.",
            code=E.MALFORMED_BATCH,
        )
    return packages


def _boundary(content_type: str) -> bytes:
    for param in content_type.split(";")[1:]:
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "boundary":
            value = value.strip().strip('"')
            if 0 < len(value) <= 70 and value.isascii():
                return value.encode()
    raise PackageRefused("Yêu cầu nhiều gói tin thiếu boundary.", code=E.MALFORMED_BATCH)


class AxisTransport(InstanceTransport):
    """The national axis: same semantics; one package per request (its API takes no
    batch). Through the gateway (`conf.axis_route`), the credential is tinhso's consumer
    key and the DocumentId goes with the call into the message log; the gateway's own
    refusals (a key, a right, a limit: our side's configuration) are tried again later,
    never taken as the axis refusing the package."""

    batches = False

    def __init__(self, url: str, token: str = "", *, through_gateway: bool = False) -> None:
        super().__init__(url, token)
        self.through_gateway = through_gateway

    def credentials(self, message: OutboxMessage | None) -> dict[str, str]:
        if not self.through_gateway:
            return super().credentials(message)
        found = {"X-Api-Key": self.token}
        if message is not None and message.document_id:
            found["X-Tinhso-Issue"] = message.document_id[:100]
        return found

    def deliver(self, message: OutboxMessage, *, session: Any = None) -> dict[str, Any]:
        try:
            return super().deliver(message, session=session)
        except DeliveryFailed as exc:
            if self.through_gateway and exc.code.startswith("gateway_"):
                raise DeliveryFailed(str(exc), transient=True, code=exc.code) from exc
            raise


def transport_for(message: OutboxMessage) -> Transport:
    endpoint = message.endpoint
    if message.channel == Endpoint.Kind.LOCAL:
        return LocalTransport()
    if message.channel == Endpoint.Kind.AXIS:
        if endpoint is not None:
            return AxisTransport(endpoint.url, endpoint.token)
        axis = conf.axis_route()
        if axis is None:
            raise DeliveryFailed(
                "Trục liên thông văn bản quốc gia chưa được cấu hình.",
                transient=True,
                code="axis_not_configured",
            )
        return AxisTransport(axis.url, axis.credential, through_gateway=axis.through_gateway)
    if endpoint is None or not endpoint.url:
        raise_missing(message)
    assert endpoint is not None
    return InstanceTransport(endpoint.url, endpoint.token)


def raise_missing(message: OutboxMessage) -> None:
    raise DeliveryFailed(
        f"Địa chỉ liên thông của {message.receiver_code} không còn trong danh bạ.",
        transient=False,
        code="unknown_agency",
    )
