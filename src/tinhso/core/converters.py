"""URL path converters for the formats an export address may name, and for ids.

`<str:fmt>` matched anything up to the next slash, so a control character in the
address reached the Content-Disposition header and failed there (a 500). A converter
refuses any other format at routing time: the answer is a 404 (JSON under /api/).
"""

from __future__ import annotations

from django.urls import register_converter


class _Choice:
    regex = ""

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class RegisterFormat(_Choice):
    """A register printed as PDF or exported as XLSX."""

    regex = "pdf|xlsx"


class CatalogFormat(_Choice):
    """The procedure catalog exported as JSON or XLSX."""

    regex = "json|xlsx"


class Id:
    """A database id in a path: at most 18 digits, so that it always fits a 64-bit column
    (`<int:pk>` let `/files/100000000000000000000000` overflow the database query)."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(Id, "id")
register_converter(RegisterFormat, "register_format")
register_converter(CatalogFormat, "catalog_format")
