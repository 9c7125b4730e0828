"""`{% exchange_status document %}`: each exchange receiver's state on the outgoing
document's page (documents app)."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


# Bootstrap's own colours, so a state reads the same on any page that shows it (the
# documents app's pages carry no stylesheet of this app).
_STATE_CLASSES = {
    **dict.fromkeys(("01", "sent", "arrived", "pending", "sending"), "text-bg-primary"),
    **dict.fromkeys(
        ("03", "04", "05", "06", "accepted", "applied", "delivered"), "text-bg-success"
    ),
    **dict.fromkeys(("02", "refused", "dead", "revoked"), "text-bg-danger"),
    **dict.fromkeys(("replaced", "queued"), "text-bg-warning"),
}


@register.filter
def state_class(state: Any) -> str:
    return _STATE_CLASSES.get(str(state), "text-bg-secondary")


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
