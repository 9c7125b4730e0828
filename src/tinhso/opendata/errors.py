"""Error codes of the open data portal.

A domain error raised by a service is shown as its Vietnamese message on the pages and
turned into CKAN's error envelope by the Action API (`ckan.py`): `ckan_type` says which
`__type` (Validation Error, Not Found Error, Authorization Error, Search Query Error),
`field` which key of a CKAN validation error carries the message.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tinhso.core.errors import DomainError


class OpendataErrorCode(StrEnum):
    DATASET_NOT_FOUND = "dataset_not_found"
    RESOURCE_NOT_FOUND = "resource_not_found"
    ORGANIZATION_NOT_FOUND = "organization_not_found"
    GROUP_NOT_FOUND = "group_not_found"
    DATASET_NAME_TAKEN = "dataset_name_taken"
    INVALID_DATASET_NAME = "invalid_dataset_name"
    INVALID_METADATA = "invalid_metadata"
    INVALID_SEARCH = "invalid_search"
    LIMIT_TOO_LARGE = "limit_too_large"
    NOT_A_DATA_OFFICER = "not_a_data_officer"
    INVALID_DATASET_STATE = "invalid_dataset_state"
    DATASTORE_NOT_FOUND = "datastore_not_found"
    DATASTORE_INVALID_FIELDS = "datastore_invalid_fields"
    DATASTORE_INVALID_RECORD = "datastore_invalid_record"
    DATASTORE_UNKNOWN_FIELD = "datastore_unknown_field"
    DATASTORE_SQL_REFUSED = "datastore_sql_refused"
    FILE_ENCODING_UNKNOWN = "file_encoding_unknown"
    MALFORMED_TABLE = "malformed_table"
    UPLOAD_TOO_LARGE = "upload_too_large"
    CONTRIBUTION_ALREADY_REVIEWED = "contribution_already_reviewed"
    REASON_REQUIRED = "reason_required"
    CONTRIBUTION_EMPTY = "contribution_empty"


class OpendataError(DomainError):
    """A domain error that also knows its CKAN shape."""

    ckan_type = "Validation Error"
    field = "message"

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        details: Any = None,
        status: int | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message, code=code, details=details, status=status)
        if field is not None:
            self.field = field


class OpendataValidation(OpendataError):
    code = OpendataErrorCode.INVALID_METADATA
    status = 400
    message = "Dữ liệu không hợp lệ."


class OpendataNotFound(OpendataError):
    ckan_type = "Not Found Error"
    code = OpendataErrorCode.DATASET_NOT_FOUND
    status = 404
    message = "Không tìm thấy bộ dữ liệu."


class OpendataNotAuthorized(OpendataError):
    ckan_type = "Authorization Error"
    code = OpendataErrorCode.NOT_A_DATA_OFFICER
    status = 403
    message = "Bạn không phải cán bộ dữ liệu của cơ quan sở hữu bộ dữ liệu này."


class SearchQueryInvalid(OpendataError):
    ckan_type = "Search Query Error"
    code = OpendataErrorCode.INVALID_SEARCH
    status = 400
    message = "Câu truy vấn tìm kiếm không hợp lệ."
