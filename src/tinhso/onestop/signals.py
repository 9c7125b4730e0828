"""Hooks other apps listen to (they never reach into onestop's models to write them).

counter_dossier_received(dossier, officer, queue_ticket)
    sent by the counter-reception page after a dossier was received, with the public id
    of the queue ticket the officer started the reception from (the service centre's
    `counter` app links the ticket to the dossier); "" when there was none.
"""

from django.dispatch import Signal

counter_dossier_received = Signal()
