"""URL path converters for the formats an export address may name.

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


register_converter(RegisterFormat, "register_format")
register_converter(CatalogFormat, "catalog_format")
