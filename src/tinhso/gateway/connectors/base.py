"""Calling a published service through the data plane with tinhso's own consumer key.

Settings: GATEWAY_URL (the data plane; default the web port + 1) and
GATEWAY_CONNECTOR_KEY (the key of tinhso's consumer system `tinhso-connectors`, issued by
`connectors.setup.connect_national`)."""

from __future__ import annotations

from typing import Any

import requests
from django.conf import settings

from tinhso.gateway.errors import ConnectorFailed, ConnectorNotConfigured


def gateway_base() -> str:
    from tinhso.gateway.views import gateway_url

    return gateway_url()


def call(
    method: str,
    provider: str,
    service: str,
    path: str,
    *,
    json: Any = None,
    issue: str = "",
    timeout: float = 15.0,
) -> requests.Response:
    key = getattr(settings, "GATEWAY_CONNECTOR_KEY", "")
    if not key:
        raise ConnectorNotConfigured()
    headers = {"X-Api-Key": key}
    if issue:
        headers["X-Tinhso-Issue"] = issue[:100]
    try:
        return requests.request(
            method,
            f"{gateway_base()}/{provider}/{service}{path}",
            json=json,
            headers=headers,
            timeout=timeout,
        )
    except requests.RequestException as exc:
        raise ConnectorFailed() from exc
