"""How a package travels: the same contract for every channel.

`Transport.deliver(message)` returns when the receiver has kept the package (it answered
2xx: `accepted` or `duplicate`), or raises `DeliveryFailed` — `transient` (network, 5xx,
429: try again later) or not (4xx with a code: the receiver refused the package itself).

- `LocalTransport`: an agency of this instance: `services.receive_package` in-process,
  through exactly the checks a package from outside goes through.
- `InstanceTransport`: another tinhso instance: HTTP POST of the signed XML to its
  `/api/v1/exchange/packages` (optional mutual TLS: EXCHANGE_TLS_CERT / EXCHANGE_TLS_KEY,
  EXCHANGE_TLS_CA).
- `AxisTransport`: the national document axis (Government Office), configured by URL
  and credentials (EXCHANGE_AXIS_URL / EXCHANGE_AXIS_TOKEN or an address-book entry):
  the same contract — the axis's own API is adapted here, the rest of the app does not
  change.
"""

from __future__ import annotations

from typing import Any

from tinhso.exchange import conf
from tinhso.exchange.models import Endpoint, OutboxMessage


class DeliveryFailed(Exception):
    def __init__(self, message: str, *, transient: bool, code: str = "") -> None:
        super().__init__(message)
        self.transient = transient
        self.code = code or ("delivery_failed" if transient else "refused")


class Transport:
    #: sends over the network (may run in a sending thread: no database work)
    remote = True

    def deliver(
        self, message: OutboxMessage, *, session: Any = None
    ) -> dict[str, Any]:  # pragma: no cover
        raise NotImplementedError


class LocalTransport(Transport):
    remote = False

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

    def headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/xml", "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Token {self.token}"
        return headers

    def deliver(self, message: OutboxMessage, *, session: Any = None) -> dict[str, Any]:
        """POST the package; `session`: a keep-alive `requests.Session` (one
        connection reused for many packages)."""
        import requests

        try:
            response = (session or requests).post(
                self.url,
                data=bytes(message.payload),
                headers=self.headers(),
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
        code = str(body.get("code", "")) if isinstance(body, dict) else ""
        text = str(body.get("message", "")) if isinstance(body, dict) else ""
        detail = f"HTTP {response.status_code}: {text or response.reason} [{code}]"
        transient = response.status_code >= 500 or response.status_code in (408, 429)
        raise DeliveryFailed(
            detail, transient=transient, code=code or f"http_{response.status_code}"
        )


class AxisTransport(InstanceTransport):
    """The national axis: same semantics; credentials as a token header."""


def transport_for(message: OutboxMessage) -> Transport:
    endpoint = message.endpoint
    if message.channel == Endpoint.Kind.LOCAL:
        return LocalTransport()
    if message.channel == Endpoint.Kind.AXIS:
        if endpoint is not None:
            return AxisTransport(endpoint.url, endpoint.token)
        return AxisTransport(conf.axis_url(), conf.axis_token())
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
