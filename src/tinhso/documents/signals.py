"""Hooks other apps listen to (the document exchange): sent inside the use-case's
transaction, so a listener's writes commit or roll back with it."""

from django.dispatch import Signal

# dispatch_outgoing: document=OutgoingDocument, recipients=list[Recipient], actor
outgoing_dispatched = Signal()
# assign / handle / finish of an incoming document: document=IncomingDocument,
# event="assigned" | "processing" | "completed", actor
incoming_progressed = Signal()
