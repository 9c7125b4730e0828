"""Error codes of the documents app (the `code` of a DomainError it raises).

The values are the strings clients already receive; never change one, only add.
"""

from __future__ import annotations

from enum import StrEnum


class DocumentErrorCode(StrEnum):
    # input
    VALIDATION_FAILED = "validation_failed"
    SENDER_REQUIRED = "sender_required"
    NUMBER_NOTATION_REQUIRED = "number_notation_required"
    SUBJECT_REQUIRED = "subject_required"
    TITLE_REQUIRED = "title_required"
    PDF_REQUIRED = "pdf_required"
    FILE_TOO_LARGE = "file_too_large"
    INVALID_PDF = "invalid_pdf"
    ENCRYPTED_PDF = "encrypted_pdf"
    INVALID_DOC_TYPE = "invalid_doc_type"
    INVALID_URGENCY = "invalid_urgency"
    INVALID_CONFIDENTIALITY = "invalid_confidentiality"
    INVALID_SOURCE = "invalid_source"
    INVALID_KIND = "invalid_kind"
    INVALID_RANGE = "invalid_range"
    ISSUED_AFTER_ARRIVAL = "issued_after_arrival"
    DEADLINE_IN_PAST = "deadline_in_past"
    POSSIBLE_DUPLICATE = "possible_duplicate"
    UNKNOWN_USER = "unknown_user"
    UNKNOWN_UNIT = "unknown_unit"
    UNKNOWN_AGENCY = "unknown_agency"
    NO_ACCESS = "documents_no_access"
    # incoming and assignments
    ALREADY_REGISTERED = "already_registered"
    NOT_REGISTERED = "not_registered"
    ALREADY_DONE = "already_done"
    ALREADY_ASSIGNED = "already_assigned"
    ASSIGNEE_REQUIRED = "assignee_required"
    ASSIGNEE_OUTSIDE_AGENCY = "assignee_outside_agency"
    ASSIGNEE_REPEATED = "assignee_repeated"
    ASSIGNMENT_CLOSED = "assignment_closed"
    NOTE_EMPTY = "note_empty"
    FORWARD_TO_SELF = "forward_to_self"
    # outgoing
    UNIT_OUTSIDE_AGENCY = "unit_outside_agency"
    DRAFTING_UNIT_REQUIRED = "drafting_unit_required"
    REPLY_OUTSIDE_AGENCY = "reply_outside_agency"
    GROUP_NAME_REQUIRED = "group_name_required"
    GROUP_EXISTS = "group_exists"
    CONFIRMATION_REQUIRED = "confirmation_required"
    NOT_A_DRAFT = "not_a_draft"
    SIGNER_NOT_LEADER = "signer_not_leader"
    REVIEWER_REPEATED = "reviewer_repeated"
    REVIEWER_OUTSIDE_AGENCY = "reviewer_outside_agency"
    NOT_IN_REVIEW = "not_in_review"
    COMMENT_REQUIRED = "comment_required"
    NOT_AWAITING_APPROVAL = "not_awaiting_approval"
    NOT_AWAITING_SIGNATURE = "not_awaiting_signature"
    SIGNING_UNAVAILABLE = "signing_unavailable"
    NO_FILE = "no_file"
    # issuing (numbering, seal, dispatch)
    NOT_SIGNED = "not_signed"
    ALREADY_NUMBERED = "already_numbered"
    NOT_NUMBERED = "not_numbered"
    NOT_ISSUED = "not_issued"
    NO_RECIPIENTS = "no_recipients"
    RECIPIENT_REPEATED = "recipient_repeated"
    RECIPIENT_IS_SENDER = "recipient_is_sender"
    RECIPIENT_INACTIVE = "recipient_inactive"
    NO_NAME = "no_name"
    NOT_AN_EXCHANGE_RECIPIENT = "not_an_exchange_recipient"
    # work records
    WORK_RECORD_CLOSED = "work_record_closed"
    DOCUMENT_REQUIRED = "document_required"
    DOCUMENT_OUTSIDE_AGENCY = "document_outside_agency"
