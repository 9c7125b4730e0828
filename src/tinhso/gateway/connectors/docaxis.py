"""The national document axis (trục liên thông văn bản quốc gia), reached through the
gateway so that every package sent to it is in the message log with its DocumentId.

The axis's own API is not public; this is the contract the `exchange` app's axis channel
speaks (`exchange.transport.AxisTransport`), and `fakes.py` implements it:

    POST /packages   (provider `truc-vbqg`, service `goi-tin-edxml`)
        Content-Type: application/xml — the signed edXML package, byte for byte
        X-Tinhso-Issue: the package's DocumentId (the gateway logs it with the call)
    → 2xx {"result": "accepted" | "duplicate", "id": "..."}   the axis keeps it
    → 4xx {"code", "message"}    the axis refused the package itself (not sent again)
    → 5xx, 429                   try again later

`connectors.setup.connect_national(axis_url=...)` publishes the service; once it is
enabled and GATEWAY_CONNECTOR_KEY is set, the exchange sends its axis packages here
instead of to EXCHANGE_AXIS_URL directly (`exchange.conf.axis_route`).
"""

from __future__ import annotations

from django.conf import settings

PROVIDER, SERVICE = "truc-vbqg", "goi-tin-edxml"


def gateway_route() -> tuple[str, str] | None:
    """(the packages' URL on the gateway, tinhso's consumer key), or None when the axis
    is not connected through the gateway."""
    from tinhso.gateway.connectors.base import gateway_base
    from tinhso.gateway.models import Service

    key = getattr(settings, "GATEWAY_CONNECTOR_KEY", "")
    if not key:
        return None
    connected = Service.objects.filter(
        provider__code=PROVIDER, code=SERVICE, status=Service.Status.ENABLED
    ).exists()
    if not connected:
        return None
    return f"{gateway_base()}/{PROVIDER}/{SERVICE}/packages", key
