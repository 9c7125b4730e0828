"""Error codes of backup and restore (the `code` of a BackupError).

The values are what operators' scripts match on; never change one, only add.
"""

from __future__ import annotations

from enum import StrEnum


class BackupErrorCode(StrEnum):
    # writing an archive
    DESTINATION_EXISTS = "backup_destination_exists"
    DUMP_FAILED = "backup_dump_failed"
    TOOL_MISSING = "backup_tool_missing"
    UNSUPPORTED_DATABASE = "backup_unsupported_database"
    # reading an archive (`backup verify`, `restore`)
    ARCHIVE_NOT_FOUND = "backup_archive_not_found"
    ARCHIVE_CORRUPT = "backup_archive_corrupt"
    ARCHIVE_INCOMPLETE = "backup_archive_incomplete"
    UNSAFE_MEMBER = "backup_unsafe_member"
    MANIFEST_INVALID = "backup_manifest_invalid"
    FORMAT_TOO_NEW = "backup_format_too_new"
    CHECKSUM_MISMATCH = "backup_checksum_mismatch"
    # restoring
    VENDOR_MISMATCH = "restore_vendor_mismatch"
    MIGRATIONS_TOO_NEW = "restore_migrations_too_new"
    SECRET_KEY_MISMATCH = "restore_secret_key_mismatch"
    TARGET_UNREACHABLE = "restore_target_unreachable"
    TARGET_DATABASE_NOT_EMPTY = "restore_target_database_not_empty"
    TARGET_STORAGE_NOT_EMPTY = "restore_target_storage_not_empty"
    RESTORE_FAILED = "restore_failed"
    # checks after a restore
    AUDIT_CHAIN_BROKEN = "restore_audit_chain_broken"
    AUDIT_HEAD_MISMATCH = "restore_audit_head_mismatch"
    ROW_COUNT_MISMATCH = "restore_row_count_mismatch"
    FILE_HASH_MISMATCH = "restore_file_hash_mismatch"
