"""Signals apps send without depending on each other.

`security_event`: something the security monitoring centre should know about happened
(a permission denial, a broken audit chain, an invalid signature...). Send it with
`sender` the module, `kind` one of `tinhso.security.services.INTERNAL_KINDS` and any of
`user_name`, `ip`, `detail`, `event_id`; the security app records it (outside the
caller's transaction when that one rolls back). Sending never raises.
"""

from django.dispatch import Signal

security_event = Signal()
