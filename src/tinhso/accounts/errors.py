"""The error codes of accounts (stable strings: clients compare them)."""

from __future__ import annotations

from enum import StrEnum


class AccountsErrorCode(StrEnum):
    # Login, second factor, throttling
    ACCOUNT_LOCKED = "account_locked"
    LOGIN_THROTTLED = "login_throttled"
    OTP_INVALID = "otp_invalid"
    OTP_NOT_ENROLLED = "otp_not_enrolled"
    UNLOCK_LINK_INVALID = "unlock_link_invalid"
    # Registration
    INVALID_CITIZEN_ID = "invalid_citizen_id"
    INVALID_TAX_CODE = "invalid_tax_code"
    REGISTRATION_LINK_INVALID = "registration_link_invalid"
    ALREADY_REGISTERED = "already_registered"
    PASSWORD_CHARACTER_CLASSES = "password_character_classes"
    # Roles
    UNKNOWN_ROLE = "unknown_role"
    UNKNOWN_USER = "unknown_user"
    NOT_AN_OFFICIAL = "not_an_official"
    PLATFORM_ADMIN_ONLY = "platform_admin_only"
    LAST_AGENCY_ADMIN = "last_agency_admin"
    AGENCY_NOT_MANAGED = "agency_not_managed"
    SELF_GRANT = "self_grant"
    # API tokens
    TOKEN_NOT_FOUND = "token_not_found"
    INVALID_TOKEN_DAYS = "invalid_token_days"
