"""Tunables of the exchange (settings `EXCHANGE_*`, or the environment)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from django.conf import settings


def _get(name: str, default: str) -> str:
    return str(getattr(settings, name, None) or os.environ.get(name) or default)


def max_bytes() -> int:
    """Largest package accepted (bytes)."""
    return int(_get("EXCHANGE_MAX_PACKAGE_BYTES", str(30 * 1024 * 1024)))


def max_attempts() -> int:
    """Deliveries tried before a package goes to the dead-letter queue."""
    return int(_get("EXCHANGE_MAX_ATTEMPTS", "8"))


def backoff_seconds() -> float:
    """First retry delay; doubled at each failed attempt, up to `backoff_max_seconds`."""
    return float(_get("EXCHANGE_BACKOFF_SECONDS", "30"))


def backoff_max_seconds() -> float:
    """Ceiling of the retry delay: a receiver that comes back after a long outage is
    tried again within this time (with the defaults, 8 attempts still span about an
    hour before the dead-letter queue, as before the ceiling)."""
    return float(_get("EXCHANGE_BACKOFF_MAX_SECONDS", "1800"))


def sending_timeout() -> int:
    """Lease of a claimed delivery: after it, the sweep takes the package back."""
    return int(_get("EXCHANGE_SENDING_TIMEOUT", "120"))


def http_timeout() -> float:
    return float(_get("EXCHANGE_HTTP_TIMEOUT", "60"))


def axis_url() -> str:
    """The national document axis (Government Office): packages for agencies in no
    address-book entry and not on this instance go there when it is set."""
    return _get("EXCHANGE_AXIS_URL", "")


def axis_token() -> str:
    return _get("EXCHANGE_AXIS_TOKEN", "")


@dataclass(frozen=True)
class AxisRoute:
    url: str
    credential: str
    through_gateway: bool


def axis_route() -> AxisRoute | None:
    """How packages reach the national axis: through the LGSP gateway once the axis is
    published there (`gateway.connectors.docaxis`: every package in the message log),
    else EXCHANGE_AXIS_URL directly; None when neither is configured."""
    from tinhso.gateway.connectors import docaxis

    via = docaxis.gateway_route()
    if via is not None:
        return AxisRoute(url=via[0], credential=via[1], through_gateway=True)
    if axis_url():
        return AxisRoute(url=axis_url(), credential=axis_token(), through_gateway=False)
    return None


def tls_client_cert() -> tuple[str, str] | None:
    """Optional mutual TLS towards other instances: (certificate file, key file)."""
    cert, key = _get("EXCHANGE_TLS_CERT", ""), _get("EXCHANGE_TLS_KEY", "")
    return (cert, key) if cert and key else None


def tls_ca_bundle() -> str | bool:
    return _get("EXCHANGE_TLS_CA", "") or True


def batch_size() -> int:
    """Packages a delivery task claims at once (SELECT ... FOR UPDATE SKIP LOCKED)."""
    return max(1, int(_get("EXCHANGE_BATCH_SIZE", "32")))


def send_concurrency() -> int:
    """Packages a delivery task sends over HTTP at the same time (one keep-alive
    session per sending thread)."""
    return max(1, int(_get("EXCHANGE_SEND_CONCURRENCY", "2")))


def drain_seconds() -> float:
    """How long one delivery task keeps draining the outbox before handing over."""
    return float(_get("EXCHANGE_DRAIN_SECONDS", "30"))


def wire_batch_packages() -> int:
    """Packages for the same tinhso instance sent in one HTTP request at most (1: one
    request per package, as to the national axis)."""
    return max(1, int(_get("EXCHANGE_WIRE_BATCH_PACKAGES", "16")))


def wire_batch_bytes() -> int:
    """Bytes of packages sent in one HTTP request at most (a larger package goes alone)."""
    return max(1, int(_get("EXCHANGE_WIRE_BATCH_BYTES", str(8 * 1024 * 1024))))


def batch_max_packages() -> int:
    """Packages one request may carry, at the receiving end."""
    return max(1, int(_get("EXCHANGE_BATCH_MAX_PACKAGES", "100")))


def batch_max_bytes() -> int:
    """Largest request carrying several packages, at the receiving end (bytes)."""
    return int(_get("EXCHANGE_BATCH_MAX_BYTES", str(64 * 1024 * 1024)))
