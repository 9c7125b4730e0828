"""The one-stop app's error codes (the `code` of every `DomainError` it raises).

One enum, so that the codes are a published contract (OpenAPI) and never strings built
at run time. The values are the strings clients already see: never rename one.
"""

from __future__ import annotations

from enum import StrEnum


class OnestopError(StrEnum):
    # dossiers and their state machine
    DOSSIER_NOT_FOUND = "dossier_not_found"
    DOSSIER_CHANGED = "dossier_changed"
    INVALID_TRANSITION = "invalid_transition"
    PERMISSION_DENIED = "permission_denied"
    NO_NEXT_STEP = "no_next_step"
    NO_PREVIOUS_STEP = "no_previous_step"
    NOT_AT_LAST_STEP = "not_at_last_step"
    INVALID_STEP = "invalid_step"
    ALREADY_EXTENDED = "already_extended"
    EXTENSION_TOO_LATE = "extension_too_late"
    EXTENSION_DATE_INVALID = "extension_date_invalid"
    SUPPLEMENT_WINDOW_PASSED = "supplement_window_passed"
    SUPPLEMENT_EMPTY = "supplement_empty"
    NO_OPEN_SUPPLEMENT = "no_open_supplement"
    ALREADY_RATED = "already_rated"
    # input
    APPLICANT_REQUIRED = "applicant_required"
    AGENCY_REQUIRED = "agency_required"
    AGENCY_MISMATCH = "agency_mismatch"
    AGENCY_NOT_FOUND = "agency_not_found"
    ASSIGNEE_REQUIRED = "assignee_required"
    ASSIGNEE_OUTSIDE_AGENCY = "assignee_outside_agency"
    USER_NOT_FOUND = "user_not_found"
    ITEMS_REQUIRED = "items_required"
    REASONS_REQUIRED = "reasons_required"
    INVALID_AMOUNT = "invalid_amount"
    INVALID_DATE = "invalid_date"
    INVALID_RETURN = "invalid_return"
    INVALID_CHANNEL = "invalid_channel"
    INVALID_SCORE = "invalid_score"
    RATING_INVALID = "rating_invalid"
    POSTAL_ADDRESS_REQUIRED = "postal_address_required"
    PROCEDURE_INACTIVE = "procedure_inactive"
    PROCEDURE_NOT_FOUND = "procedure_not_found"
    MISSING_PAPERS = "missing_papers"
    PAPER_NOT_IN_PROCEDURE = "paper_not_in_procedure"
    # counter reception: the checklist of papers handed in, the citizen look-up
    PAPER_COUNT_INVALID = "paper_count_invalid"
    PAPER_LISTED_TWICE = "paper_listed_twice"
    INVALID_CITIZEN_ID = "invalid_citizen_id"
    APPLICANT_ACCOUNT_MISMATCH = "applicant_account_mismatch"
    EFORM_INVALID = "eform_invalid"
    PARSE_ERROR = "parse_error"
    INVALID_INPUT = "invalid_input"
    # files and the wallet
    FILE_MISSING = "file_missing"
    FILE_REQUIRED = "file_required"
    WALLET_NOT_OWNER = "wallet_not_owner"
    WALLET_ITEM_NOT_FOUND = "wallet_item_not_found"
    WALLET_RESULT = "wallet_result"
    PENDING_UPLOAD_NOT_FOUND = "pending_upload_not_found"
    # results and their signatures
    RESULT_FILE_REQUIRED = "result_file_required"
    INVALID_SIGNING_METHOD = "invalid_signing_method"
    SIGNING_METHOD_UNAVAILABLE = "signing_method_unavailable"
    SEAL_UNAVAILABLE = "seal_unavailable"
    SIGNING_NOT_PREPARED = "signing_not_prepared"
    SIGNING_PENDING = "signing_pending"
    SIGNED_RESULT_MISMATCH = "signed_result_mismatch"
    # lookup and queues
    LOOKUP_NOT_FOUND = "lookup_not_found"
    QUEUE_NOT_FOUND = "queue_not_found"
    INVALID_CODE = "invalid_code"
    # payments
    NO_PENDING_PAYMENT = "no_pending_payment"
    PAYMENT_NOT_PENDING = "payment_not_pending"
    PAYMENT_PROVIDER_UNKNOWN = "payment_provider_unknown"
    # catalog administration
    INVALID_DAYS = "invalid_days"
    INVALID_FEE = "invalid_fee"
    INVALID_FORM_SCHEMA = "invalid_form_schema"
    INVALID_GROUP = "invalid_group"
    INVALID_LEVEL = "invalid_level"
    INVALID_ONLINE_TYPE = "invalid_online_type"
    INVALID_PAPERS = "invalid_papers"
    INVALID_PERIOD = "invalid_period"
    INVALID_ROLE = "invalid_role"
    INVALID_STEPS = "invalid_steps"
    PROCESS_BUDGET_MISMATCH = "process_budget_mismatch"
    PROCESS_EMPTY = "process_empty"
    STEP_NAME_REQUIRED = "step_name_required"
    UNKNOWN_FIELDS = "unknown_fields"
    CATALOG_INVALID = "catalog_invalid"


# Codes that mean "the input was wrong" (the action itself was allowed): what the page may
# still meet after offering an action (tests/onestop/test_workflow.py holds it to that).
INPUT_ERRORS = frozenset(
    {
        OnestopError.ASSIGNEE_REQUIRED,
        OnestopError.ASSIGNEE_OUTSIDE_AGENCY,
        OnestopError.ITEMS_REQUIRED,
        OnestopError.REASONS_REQUIRED,
        OnestopError.INVALID_AMOUNT,
        OnestopError.INVALID_DATE,
        OnestopError.INVALID_RETURN,
        OnestopError.INVALID_SCORE,
        OnestopError.INVALID_STEP,
        OnestopError.EXTENSION_DATE_INVALID,
        OnestopError.SUPPLEMENT_EMPTY,
        OnestopError.FILE_REQUIRED,
        OnestopError.FILE_MISSING,
        OnestopError.EFORM_INVALID,
        OnestopError.RESULT_FILE_REQUIRED,
        OnestopError.INVALID_SIGNING_METHOD,
        OnestopError.SIGNING_NOT_PREPARED,
        OnestopError.SIGNING_PENDING,
        OnestopError.INVALID_INPUT,
        # the files' checks (tinhso.core.files, tinhso.signing)
        "file_type_not_allowed",
        "file_too_large",
        "file_content_mismatch",
        "invalid_pdf",
        "encrypted_pdf",
    }
)
