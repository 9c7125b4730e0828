"""Write use-cases for official documents, one module per use-case group:

- `numbering`: registers and numbers (yearly, gapless, never reused)
- `incoming`: registering what arrived
- `assignments`: assigning and handling incoming documents
- `outgoing`: drafts, review, approval, the leader's signature
- `issuing`: the clerk numbers (stamping number and date into the PDF), seals, dispatches
- `work_records`: work records (hồ sơ công việc)
- `exchange`: hooks used by the document exchange
- `common`: files, input checks, notifications, read receipts

Each use-case runs in one transaction, checks permission, writes the audit trail and
enqueues notifications. Callers import from this package
(`from tinhso.documents.services import register_incoming`); the names below are its API.
"""

from tinhso.documents.services.assignments import (
    add_note,
    assign_incoming,
    finish_assignment,
    forward_assignment,
)
from tinhso.documents.services.common import local_today, mark_read, read_file_bytes
from tinhso.documents.services.exchange import (
    mark_exchange_sent,
    mark_exchange_sent_many,
    receive_external,
)
from tinhso.documents.services.incoming import (
    Duplicate,
    accept_incoming,
    find_duplicates,
    register_incoming,
)
from tinhso.documents.services.issuing import dispatch_outgoing, number_outgoing, seal_outgoing
from tinhso.documents.services.numbering import (
    agency_abbreviation,
    format_number_notation,
    notation_key,
    notation_suffix,
    register_for,
    series_for,
    take_number,
    unit_abbreviation,
)
from tinhso.documents.services.outgoing import (
    add_draft_version,
    approve_outgoing,
    create_draft,
    drafter_unit,
    parse_external,
    return_to_drafter,
    review_draft,
    sign_outgoing,
    submit_for_review,
)
from tinhso.documents.services.recipients import create_recipient_group
from tinhso.documents.services.work_records import (
    close_work_record,
    create_work_record,
    file_document,
)

__all__ = [
    "Duplicate",
    "accept_incoming",
    "add_draft_version",
    "add_note",
    "agency_abbreviation",
    "approve_outgoing",
    "assign_incoming",
    "close_work_record",
    "create_draft",
    "create_recipient_group",
    "create_work_record",
    "dispatch_outgoing",
    "drafter_unit",
    "file_document",
    "find_duplicates",
    "finish_assignment",
    "format_number_notation",
    "forward_assignment",
    "local_today",
    "mark_exchange_sent",
    "mark_exchange_sent_many",
    "mark_read",
    "notation_key",
    "notation_suffix",
    "parse_external",
    "number_outgoing",
    "read_file_bytes",
    "receive_external",
    "register_for",
    "register_incoming",
    "return_to_drafter",
    "review_draft",
    "seal_outgoing",
    "series_for",
    "sign_outgoing",
    "submit_for_review",
    "take_number",
    "unit_abbreviation",
]
