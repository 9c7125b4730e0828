"""The API's JSON parser: strict and with a bounded nesting depth.

Kept apart from `tinhso.core.api` because DRF imports it while it builds `APIView`
(DEFAULT_PARSER_CLASSES), before `rest_framework.views` can be imported by us.
"""

from __future__ import annotations

import codecs
import json
from typing import Any

from rest_framework import exceptions, parsers

MAX_JSON_DEPTH = 32


def _problem(value: Any, limit: int) -> str | None:
    """Why a parsed JSON value cannot be taken: nested deeper than `limit`, or a string
    with a lone surrogate (`"\\ud800"` parses, but no database can store it)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return "chuỗi có ký tự Unicode không hợp lệ"
            continue
        if isinstance(item, dict):
            children = [*item.keys(), *item.values()]
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return f"JSON lồng quá {limit} cấp"
        stack.extend((child, depth + 1) for child in children)
    return None


def loads_json(text: str | bytes, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """`json.loads` with a nesting limit; raises ValueError for invalid or too deep JSON.

    The nesting of objects and arrays is bounded so that nothing downstream (validation,
    storage, rendering) recurses without end: 100,000 `[` used to be a server error.
    """
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise ValueError(f"JSON lồng quá {max_depth} cấp.") from None
    problem = _problem(value, max_depth)
    if problem:
        raise ValueError(problem)
    return value


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} không phải giá trị JSON hợp lệ.")


class JSONParser(parsers.JSONParser):
    """The API's only JSON parser: strict (no NaN/Infinity) and depth-bounded."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        try:
            text = codecs.getreader(encoding)(stream).read()
            return loads_json(text)
        except (ValueError, UnicodeDecodeError) as exc:
            raise exceptions.ParseError(f"JSON parse error - {exc}") from None
