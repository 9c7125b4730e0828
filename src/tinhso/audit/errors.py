"""Error codes of the audit trail (the `code` of a DomainError it raises).

The values are the strings clients already receive; never change one, only add.
"""

from __future__ import annotations

from enum import StrEnum


class AuditErrorCode(StrEnum):
    INVALID_DATE = "invalid_date"
    INVALID_FILTER = "invalid_filter"
