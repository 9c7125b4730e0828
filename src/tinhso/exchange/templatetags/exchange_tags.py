"""`{% exchange_status document %}`: each exchange receiver's state on the outgoing
document's page (documents app)."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("exchange/_document_status.html")
def exchange_status(document: Any) -> dict[str, Any]:
    from tinhso.exchange.selectors import transmissions_of

    return {"document": document, "transmissions": transmissions_of(document)}


@register.inclusion_tag("exchange/_incoming_notice.html")
def exchange_notice(document: Any) -> dict[str, Any]:
    """On an incoming document's page: the sender revoked it or replaced it (never
    silently deleted: the clerk sees it here, with the reason and the replacement)."""
    from tinhso.exchange.selectors import sender_changes_of

    return {"change": sender_changes_of(document)}
