"""The range of dates the platform accepts as input.

Dates come from query strings and forms; `9999-12-31` parses but overflows as soon as a
day is added to it (end of a statistics period, a deadline), and nothing in a province's
records is dated outside this range. Every date a person or a client types is checked
against it: the API answers 400, a form shows the error.
"""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

DATE_MIN = date(1900, 1, 1)
DATE_MAX = date(2099, 12, 31)

RANGE_TEXT = f"{DATE_MIN:%d/%m/%Y}–{DATE_MAX:%d/%m/%Y}"
# What the schema publishes for these dates (with `format: date`): years 1900–2099.
DATE_PATTERN = r"^(19|20)[0-9]{2}-[0-9]{2}-[0-9]{2}$"


def in_range(value: date | None) -> bool:
    return value is None or DATE_MIN <= value <= DATE_MAX


class DateField(serializers.DateField):
    """A serializer date within DATE_MIN..DATE_MAX (documented in the schema)."""

    default_error_messages = {
        "out_of_range": f"Ngày phải trong khoảng {RANGE_TEXT}.",
    }

    def to_internal_value(self, value):
        day = super().to_internal_value(value)
        if not in_range(day):
            self.fail("out_of_range")
        return day


class FormDateField(forms.DateField):
    """A form date within DATE_MIN..DATE_MAX."""

    def to_python(self, value):
        day = super().to_python(value)
        if not in_range(day):
            raise forms.ValidationError(
                _("Ngày phải trong khoảng %(range)s."),
                code="out_of_range",
                params={"range": RANGE_TEXT},
            )
        return day
