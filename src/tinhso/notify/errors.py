"""Error codes of notifications (the `code` of a DomainError it raises).

Notifications are sent by the worker and raise nothing a client sees today; the enum
exists so that a code added later is published with the others.
"""

from __future__ import annotations

from enum import StrEnum


class NotifyErrorCode(StrEnum):
    """No member yet: add one here when notify raises its first DomainError."""
