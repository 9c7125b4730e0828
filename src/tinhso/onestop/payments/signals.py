"""The hook between payments and dossiers: payments never import the dossier services.

`payment_confirmed` is sent inside the transaction that marks a payment paid (online
callback or cash at the counter), with `payment` and `actor` (None for a provider's
callback). The dossier services connect the one receiver that applies it to the dossier
(onestop/services/fees.py: the transition with the version, the event, the audit entry);
an exception there rolls the payment back too.
"""

from django.dispatch import Signal

payment_confirmed = Signal()
