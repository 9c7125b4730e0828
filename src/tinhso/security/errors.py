"""Error codes of the security app (the `code` of a DomainError it raises, and the reason
an intake refuses an event). The values are stable: never change one, only add."""

from __future__ import annotations

from enum import StrEnum

from tinhso.core.errors import DomainError


class SecurityErrorCode(StrEnum):
    # intake
    INTAKE_TOKEN_INVALID = "security_intake_token_invalid"
    INTAKE_RATE_LIMITED = "security_intake_rate_limited"
    EVENT_TOO_LARGE = "security_event_too_large"
    BODY_TOO_LARGE = "security_body_too_large"
    MALFORMED_JSON = "security_malformed_json"
    UNKNOWN_SHAPE = "security_unknown_shape"
    MALFORMED_SYSLOG = "security_malformed_syslog"
    MALFORMED_CEF = "security_malformed_cef"
    EMPTY_BATCH = "security_empty_batch"
    TOO_MANY_EVENTS = "security_too_many_events"
    # rules, registry, incidents
    INVALID_RULE = "security_invalid_rule"
    INVALID_LEVEL = "security_invalid_level"
    SYSTEM_CODE_TAKEN = "security_system_code_taken"
    ALERT_ALREADY_IN_INCIDENT = "security_alert_already_in_incident"
    ASSIGNEE_NOT_ANALYST = "security_assignee_not_analyst"
    EVIDENCE_REQUIRED = "security_evidence_required"
    RESOLUTION_REQUIRED = "security_resolution_required"
    FILE_TOO_LARGE = "security_file_too_large"
    INVALID_PERIOD = "security_invalid_period"
    UNKNOWN_ADAPTER = "security_unknown_adapter"


class IntakeRefused(DomainError):
    """An event (or a whole request) the intake does not store, with the reason."""

    code = SecurityErrorCode.MALFORMED_JSON
    message = "Sự kiện không hợp lệ."


class SecurityError(DomainError):
    code = SecurityErrorCode.INVALID_RULE
    message = "Dữ liệu không hợp lệ."
