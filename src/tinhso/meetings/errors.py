"""Error codes of the meetings app (the `code` of a DomainError it raises).

The values are the strings clients receive; never change one, only add.
"""

from __future__ import annotations

from enum import StrEnum


class MeetingErrorCode(StrEnum):
    TITLE_REQUIRED = "meeting_title_required"
    CHAIR_NOT_MEMBER = "chair_not_member"
    NO_MEMBERS = "meeting_no_members"
    PERSON_REPEATED = "meeting_person_repeated"
    INVALID_TIME = "meeting_invalid_time"
    INVALID_LINK = "meeting_invalid_link"
    NOT_A_PARTICIPANT = "not_a_participant"
    MEETING_CLOSED = "meeting_closed"
    MEETING_NOT_STARTED = "meeting_not_started"
    INVALID_DURATION = "agenda_invalid_duration"
    PAPER_SECRET = "paper_secret"
    PAPER_NO_FILE = "paper_no_file"
    PAPER_NOT_DRAFT = "paper_not_draft"
    TEXT_REQUIRED = "meeting_text_required"
    INVALID_RESPONSE = "invalid_response"
    DELEGATE_REQUIRED = "delegate_required"
    DELEGATE_INVALID = "delegate_invalid"
    GUEST_CANNOT_DELEGATE = "guest_cannot_delegate"
    CHECKIN_INVALID = "checkin_invalid"
    SPEAKER_ALREADY_WAITING = "speaker_already_waiting"
    # votes
    VOTE_QUESTION_REQUIRED = "vote_question_required"
    VOTE_INVALID_KIND = "vote_invalid_kind"
    VOTE_INVALID_METHOD = "vote_invalid_method"
    VOTE_OPTIONS_REQUIRED = "vote_options_required"
    VOTE_RULE_INVALID = "vote_rule_invalid"
    VOTE_NOT_OPEN = "vote_not_open"
    VOTE_ALREADY_OPEN = "vote_already_open"
    VOTE_CLOSED = "vote_closed"
    VOTE_NOT_ENTITLED = "vote_not_entitled"
    VOTE_TWICE = "vote_twice"
    VOTE_UNKNOWN_OPTION = "vote_unknown_option"
    NO_QUORUM = "no_quorum"
    # documents produced by the meeting
    DOCUMENT_EXISTS = "meeting_document_exists"
    DOCUMENT_MISSING = "meeting_document_missing"
    DOCUMENT_NOT_SIGNED = "meeting_document_not_signed"
    MINUTES_EMPTY = "minutes_empty"
    # opinions, tasks
    DEADLINE_IN_PAST = "opinion_deadline_in_past"
    OPINION_CLOSED = "opinion_closed"
    OPINION_INVALID_ANSWER = "opinion_invalid_answer"
    OPINION_COMMENT_REQUIRED = "opinion_comment_required"
    TASK_DEADLINE_REQUIRED = "task_deadline_required"
    TASK_DONE = "task_already_done"
    UNKNOWN_USER = "meeting_unknown_user"
