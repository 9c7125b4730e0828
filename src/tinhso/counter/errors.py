"""Error codes of the counter app (the `code` of a DomainError it raises).

The values are the strings clients receive; never change one, only add.
"""

from __future__ import annotations

from enum import StrEnum


class CounterErrorCode(StrEnum):
    UNKNOWN_CENTRE = "counter_unknown_centre"
    UNKNOWN_GROUP = "counter_unknown_group"
    UNKNOWN_TICKET = "counter_unknown_ticket"
    UNKNOWN_DESK = "counter_unknown_desk"
    INVALID_ID_NUMBER = "counter_invalid_id_number"
    INVALID_DOSSIER_CODE = "counter_invalid_dossier_code"
    INVALID_PRIORITY = "counter_invalid_priority"
    INVALID_PURPOSE = "counter_invalid_purpose"
    NO_GROUP_CHOSEN = "counter_no_group_chosen"
    DESK_CLOSED = "counter_desk_closed"
    DESK_TAKEN = "counter_desk_taken"
    DESK_BUSY = "counter_desk_busy"
    DESK_WAITING_TICKETS = "counter_desk_waiting_tickets"
    QUEUE_EMPTY = "counter_queue_empty"
    NO_CURRENT_TICKET = "counter_no_current_ticket"
    TICKET_NOT_HERE = "counter_ticket_not_here"
    TICKET_STATE = "counter_ticket_state"
    TRANSFER_TO_SELF = "counter_transfer_to_self"
    ALREADY_RATED = "counter_already_rated"
    RATING_NOT_ALLOWED = "counter_rating_not_allowed"
    INVALID_RATING = "counter_invalid_rating"
    INVALID_SLOT = "counter_invalid_slot"
    NOT_WORKING_DAY = "counter_not_working_day"
    SLOT_IN_PAST = "counter_slot_in_past"
    SLOT_TOO_FAR = "counter_slot_too_far"
    SLOT_FULL = "counter_slot_full"
    APPOINTMENT_STATE = "counter_appointment_state"
    UNKNOWN_APPOINTMENT = "counter_unknown_appointment"
    INVALID_NAME = "counter_invalid_name"
    INVALID_PHONE = "counter_invalid_phone"
    INVALID_PHOTO = "counter_invalid_photo"
