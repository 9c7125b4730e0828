"""Error codes of the feedback app (the `code` of a DomainError it raises).

The values are the strings clients already receive; never change one, only add.
"""

from __future__ import annotations

from enum import StrEnum


class FeedbackErrorCode(StrEnum):
    UNKNOWN_CATEGORY = "feedback_unknown_category"
    DESCRIPTION_REQUIRED = "feedback_description_required"
    DESCRIPTION_TOO_LONG = "feedback_description_too_long"
    HTML_NOT_ALLOWED = "feedback_html_not_allowed"
    PLACE_REQUIRED = "feedback_place_required"
    INVALID_COORDINATES = "feedback_invalid_coordinates"
    OUTSIDE_PROVINCE = "feedback_outside_province"
    ADDRESS_NOT_FOUND = "feedback_address_not_found"
    NOT_AN_IMAGE = "feedback_not_an_image"
    IMAGE_TOO_LARGE = "feedback_image_too_large"
    TOO_MANY_PHOTOS = "feedback_too_many_photos"
    NO_ROUTE = "feedback_no_route"
    NO_CENTRE = "feedback_no_centre"
    RATE_LIMITED = "feedback_rate_limited"
    REASON_REQUIRED = "feedback_reason_required"
    ANSWER_REQUIRED = "feedback_answer_required"
    DUPLICATE_TARGET = "feedback_duplicate_target"
    SAME_AGENCY = "feedback_same_agency"
    UNKNOWN_AGENCY = "feedback_unknown_agency"
    ASSIGNEE_OUTSIDE_AGENCY = "feedback_assignee_outside_agency"
    INVALID_RATING = "feedback_invalid_rating"
    ALREADY_RATED = "feedback_already_rated"
    REOPEN_WINDOW_PASSED = "feedback_reopen_window_passed"
    NOT_REPORTER = "feedback_not_reporter"
    UNKNOWN_PHOTO = "feedback_unknown_photo"
    INVALID_ATTRIBUTE = "feedback_invalid_attribute"
    INVALID_GEOJSON = "feedback_invalid_geojson"
    NOT_FOUND = "feedback_not_found"
