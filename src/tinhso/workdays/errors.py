"""Error codes of the working-day calendar (the `code` of a DomainError it raises).

The values are the strings clients already receive; never change one, only add.
"""

from __future__ import annotations

from enum import StrEnum


class WorkdaysErrorCode(StrEnum):
    CALENDAR_NO_WORKING_DAY = "calendar_no_working_day"
    EXCEPTION_NOT_FOUND = "exception_not_found"
    INVALID_DATE = "invalid_date"
    INVALID_DAYS = "invalid_days"
    INVALID_KIND = "invalid_kind"
    REASON_REQUIRED = "reason_required"
