"""Listeners of the documents app's hooks (documents.signals): they run inside the
documents use-case's transaction, so the exchange's outbox rows commit with it."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from tinhso.documents.signals import incoming_progressed, outgoing_dispatched

STATUS_OF_EVENT = {"assigned": "04", "processing": "05", "completed": "06"}


@receiver(outgoing_dispatched, dispatch_uid="exchange.send_dispatched")
def _dispatched(sender: Any, *, document: Any, recipients: list, actor: Any, **kwargs: Any) -> None:
    from tinhso.exchange import services

    outside = [r for r in recipients if r.external_code and not r.agency_id]
    if outside:
        services.send_document(actor=actor, document=document, recipients=outside)


@receiver(incoming_progressed, dispatch_uid="exchange.report_progress")
def _progressed(sender: Any, *, document: Any, event: str, actor: Any, **kwargs: Any) -> None:
    from tinhso.exchange import services

    code = STATUS_OF_EVENT.get(event)
    if code:
        services.report_progress(incoming=document, status_code=code, actor=actor)
