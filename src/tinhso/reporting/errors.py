"""Error codes of the reporting app (the `code` of every DomainError it raises).

The values are a published contract (OpenAPI): never rename one, only add.
"""

from __future__ import annotations

from enum import StrEnum


class ReportingError(StrEnum):
    # definitions and templates
    DEFINITION_NOT_FOUND = "report_definition_not_found"
    DUPLICATE_CODE = "report_code_exists"
    INVALID_DEFINITION = "invalid_report_definition"
    INVALID_FREQUENCY = "invalid_frequency"
    INVALID_PERIOD = "invalid_report_period"
    TEMPLATE_EMPTY = "template_empty"
    TEMPLATE_IN_USE = "template_in_use"
    TEMPLATE_NOT_AT_PERIOD_START = "template_not_at_period_start"
    NO_TEMPLATE = "no_template_for_period"
    INVALID_INDICATOR = "invalid_indicator"
    # submissions
    UNKNOWN_INDICATOR = "unknown_indicator"
    VALUE_NOT_A_NUMBER = "value_not_a_number"
    VALUE_NOT_INTEGER = "value_not_integer"
    VALUE_OUT_OF_RANGE = "value_out_of_range"
    VALUE_REQUIRED = "value_required"
    NOT_A_REPORTER = "agency_not_a_reporter"
    PERIOD_LOCKED = "period_locked"
    PERIOD_NOT_STARTED = "period_not_started"
    SUBMISSION_CHANGED = "submission_changed"
    REASON_REQUIRED = "reason_required"
    # the 766 index
    UNKNOWN_766_INDICATOR = "unknown_766_indicator"
    UNKNOWN_KPI = "unknown_kpi"
    UNKNOWN_AGENCY = "unknown_agency"
