"""Putting messages in the outbox. Delivery is `tinhso.notify.tasks`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.template import Context, Template
from django.template.loader import get_template

from tinhso.notify.models import Message


def render(template: str, context: dict[str, Any]) -> tuple[str, str]:
    """Render `notify/<template>.txt`: first line 'Subject: ...', the rest is the body.

    Every template gets `site_url` (the configured public address) for its links."""
    from tinhso.core.site import site_url

    context = {"site_url": site_url(), **context}
    try:
        text = get_template(f"notify/{template}.txt").render(context)
    except Exception:  # template missing: a plain fallback keeps the outbox usable
        text = Template("{{ text }}").render(Context({"text": context.get("text", template)}))
    lines = text.strip().splitlines()
    subject = ""
    if lines and lines[0].lower().startswith("subject:"):
        subject = lines[0].split(":", 1)[1].strip()
        lines = lines[1:]
    return subject, "\n".join(lines).strip()


def enqueue(
    *,
    channel: str,
    address: str,
    template: str,
    context: dict[str, Any],
    recipient: Any = None,
    related_object: str = "",
) -> Message:
    """Write the message in the caller's transaction; deliver after commit."""
    return _write([(channel, address)], template, context, recipient, related_object)[0]


def notify_user(
    *, user: Any, template: str, context: dict[str, Any], related_object: str = ""
) -> list[Message]:
    """Send over every channel the user has an address for (e-mail, SMS)."""
    addresses = [
        (channel, address)
        for channel, address in (
            (Message.Channel.EMAIL, getattr(user, "email", "")),
            (Message.Channel.SMS, getattr(user, "phone", "")),
        )
        if address
    ]
    return _write(addresses, template, context, user, related_object) if addresses else []


def _write(
    addresses: Sequence[tuple[str, str]],
    template: str,
    context: dict[str, Any],
    recipient: Any,
    related_object: str,
) -> list[Message]:
    """One message per (channel, address), rendered once and written in one statement;
    their deliveries are enqueued together, in the caller's transaction when tasks are
    rows of the same database (one commit, and a rolled-back write leaves no task), else
    after the commit."""
    subject, body = render(template, context)
    messages = Message.objects.bulk_create(
        [
            Message(
                recipient=recipient,
                channel=channel,
                address=address,
                template=template,
                subject=subject,
                body=body,
                related_object=related_object,
            )
            for channel, address in addresses
        ]
    )
    from tinhso.notify.tasks import deliver_message, schedule_delivery

    ids = [m.pk for m in messages]
    if _tasks_are_rows_beside(Message):
        deliver_message.enqueue(*ids)
    else:
        transaction.on_commit(lambda: schedule_delivery(*ids))
    return messages


def _tasks_are_rows_beside(model: Any) -> bool:
    """Whether the delivery task is a row written to `model`'s database (the database
    tasks backend), so that writing it inside the transaction is safe."""
    from django.db import router
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    from tinhso.notify.tasks import deliver_message

    return isinstance(deliver_message.get_backend(), DatabaseBackend) and router.db_for_write(
        DBTaskResult
    ) == router.db_for_write(model)
