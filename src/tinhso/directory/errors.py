"""Error codes of the directory app (the `code` of a DomainError it raises).

The values are the strings clients already receive; never change one, only add.
"""

from __future__ import annotations

from enum import StrEnum


class DirectoryErrorCode(StrEnum):
    ADMIN_UNIT_CODE_TAKEN = "admin_unit_code_taken"
    AGENCY_CODE_TAKEN = "agency_code_taken"
    AGENCY_HAS_ACTIVE_CHILDREN = "agency_has_active_children"
    AGENCY_MOVE_CYCLE = "agency_move_cycle"
    AGENCY_NAME_REQUIRED = "agency_name_required"
    AGENCY_NAME_TOO_LONG = "agency_name_too_long"
    AGENCY_NOT_ACTIVE = "agency_not_active"
    AGENCY_NOT_FOUND = "agency_not_found"
    DISTRICT_WITHOUT_PROVINCE = "district_without_province"
    FIELD_NOT_UPDATABLE = "field_not_updatable"
    FULL_NAME_REQUIRED = "full_name_required"
    INVALID_ADMIN_UNIT_CODE = "invalid_admin_unit_code"
    INVALID_AGENCY_CODE = "invalid_agency_code"
    INVALID_AGENCY_KIND = "invalid_agency_kind"
    INVALID_CSV = "invalid_csv"
    INVALID_EMAIL = "invalid_email"
    INVALID_LEVEL = "invalid_level"
    INVALID_WEBSITE = "invalid_website"
    MERGE_INTO_DESCENDANT = "merge_into_descendant"
    MERGE_INTO_ITSELF = "merge_into_itself"
    NO_NAMESAKE_PROVINCE = "no_namesake_province"
    NOT_AN_OFFICIAL = "not_an_official"
    NOTHING_TO_MERGE = "nothing_to_merge"
    ORG_UNIT_EXISTS = "org_unit_exists"
    ORG_UNIT_NAME_REQUIRED = "org_unit_name_required"
    ORG_UNIT_WRONG_AGENCY = "org_unit_wrong_agency"
    POSITION_NAME_REQUIRED = "position_name_required"
    ROLE_NOT_GRANTABLE = "role_not_grantable"
    SUCCESSOR_IN_SUBTREE = "successor_in_subtree"
    SUCCESSOR_REQUIRED = "successor_required"
    TARGET_REQUIRED = "target_required"
    USERNAME_REQUIRED = "username_required"
    USERNAME_TAKEN = "username_taken"
