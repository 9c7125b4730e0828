"""The national document axis (trục liên thông văn bản quốc gia) — seam only.

The `exchange` app (edXML packages, routing between agencies and instances) has not
landed yet; when it does, its delivery to another instance calls `send_package` here so
the package goes through the gateway and lands in the message log:

    POST /packages        (provider `truc-vbqg`, service `goi-tin-edxml`)
    body: the edXML package; header X-Tinhso-Issue: the DocumentId
    → 202 {"ack": true, "id": "..."}
"""

from __future__ import annotations

from tinhso.gateway.connectors.base import call

PROVIDER, SERVICE = "truc-vbqg", "goi-tin-edxml"


def send_package(*, package: bytes, document_id: str) -> bool:
    response = call(
        "POST", PROVIDER, SERVICE, "/packages", json={"edxml": package.decode()}, issue=document_id
    )
    return response.status_code in (200, 201, 202)
