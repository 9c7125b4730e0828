"""Bounded pagination, shared by every API list and every HTML list that reads page params.

A page size or offset comes from the query string, so it is untrusted input: it must be a
plain non-negative integer within bounds, or the API answers 400 `invalid_pagination`
(HTML lists fall back to the first page instead of failing). Without bounds,
`?limit=1e20` or `?offset=100000000000000000000000` reached the database and failed there.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from django.core.paginator import Page, Paginator
from rest_framework import serializers
from rest_framework.pagination import LimitOffsetPagination

from tinhso.core.errors import CoreErrorCode, ValidationFailed

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# Deeper than this, narrow the list with its filters (dates, agency) instead of paging.
MAX_OFFSET = 1_000_000
MAX_PAGE_NUMBER = MAX_OFFSET  # HTML lists: `?page=` beyond this is the last page

_DIGITS = re.compile(r"^[0-9]{1,9}$")


class PageParams(NamedTuple):
    limit: int
    offset: int


def _bounded(value: Any, *, name: str, minimum: int, maximum: int) -> int:
    text = str(value).strip()
    if not _DIGITS.match(text) or not (minimum <= int(text) <= maximum):
        raise ValidationFailed(
            f"Tham số {name} phải là số nguyên từ {minimum} đến {maximum}.",
            code=CoreErrorCode.INVALID_PAGINATION,
            details={name: [f"{minimum}..{maximum}"]},
        )
    return int(text)


def page_params(
    params: Mapping[str, Any],
    *,
    default_limit: int = DEFAULT_LIMIT,
    max_limit: int = MAX_LIMIT,
    strict: bool = True,
) -> PageParams:
    """`limit` and `offset` from a query string.

    strict (the API): anything not a plain integer within [1, max_limit] / [0, MAX_OFFSET]
    raises ValidationFailed (400 `invalid_pagination`). Not strict (HTML pages): such values
    fall back to the defaults, so a hand-edited address still shows a page.
    """
    result = []
    for name, default, minimum, maximum in (
        ("limit", default_limit, 1, max_limit),
        ("offset", 0, 0, MAX_OFFSET),
    ):
        raw = params.get(name)
        if raw in (None, ""):
            result.append(default)
            continue
        try:
            result.append(_bounded(raw, name=name, minimum=minimum, maximum=maximum))
        except ValidationFailed:
            if strict:
                raise
            result.append(default)
    return PageParams(*result)


def limit_field(default: int = DEFAULT_LIMIT, max_limit: int = MAX_LIMIT) -> serializers.Field:
    """The `limit` query parameter of a list whose own query serializer documents it."""
    return serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=max_limit,
        default=default,
        help_text=f"số dòng mỗi trang (1–{max_limit})",
    )


def offset_field() -> serializers.Field:
    return serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_OFFSET,
        default=0,
        help_text=f"bỏ qua bao nhiêu dòng đầu (0–{MAX_OFFSET})",
    )


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    """The platform's API pagination: `limit` 1–200 (default 50), `offset` 0–1,000,000;
    anything else is a 400 `invalid_pagination`, never a database error."""

    default_limit = DEFAULT_LIMIT
    max_limit = MAX_LIMIT

    def _params(self, request) -> PageParams:
        return page_params(
            request.query_params, default_limit=self.default_limit, max_limit=self.max_limit
        )

    def get_limit(self, request) -> int:
        return self._params(request).limit

    def get_offset(self, request) -> int:
        return self._params(request).offset

    def get_schema_operation_parameters(self, view) -> list[dict[str, Any]]:
        return [
            {
                "name": self.limit_query_param,
                "required": False,
                "in": "query",
                "description": f"Số dòng mỗi trang (1–{self.max_limit}, mặc định "
                f"{self.default_limit}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_limit},
            },
            {
                "name": self.offset_query_param,
                "required": False,
                "in": "query",
                "description": f"Bỏ qua bao nhiêu dòng đầu (0–{MAX_OFFSET}).",
                "schema": {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET},
            },
        ]


def paginate(
    request,
    object_list: Sequence | Any,
    per_page: int,
    *,
    param: str = "page",
    count: int | None = None,
) -> Page:
    """An HTML list's page from `?page=` (or `param`): a number beyond the last page shows
    the last page, anything that is not a plain number shows the first (never an error).
    `count`: the list's size when the caller has already counted it (no second COUNT)."""
    raw = str(request.GET.get(param, "") or "").strip()
    number: int | str = 1
    if raw.isascii() and raw.isdigit() and len(raw) <= 100:
        number = min(int(raw), MAX_PAGE_NUMBER) or 1
    paginator = Paginator(object_list, per_page)
    if count is not None:
        paginator.__dict__["count"] = count  # Paginator.count is a cached_property
    return paginator.get_page(number)
