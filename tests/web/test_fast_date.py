"""The pages' `date` filter writes what Django's writes, for every format the templates use."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.template import engines
from django.template.defaultfilters import date as django_date
from django.utils import timezone, translation
from django.utils.html import conditional_escape

import tinhso

TEMPLATES = Path(tinhso.__file__).parent
FORMAT = re.compile(r"""\|date:(?:"([^"]*)"|'([^']*)')""")


def _formats_in_templates() -> set[str]:
    found = set()
    for path in TEMPLATES.rglob("*.html"):
        for double, single in FORMAT.findall(path.read_text(encoding="utf-8")):
            found.add(double or single)
    return found


FORMATS = sorted(
    _formats_in_templates()
    | {"d/m/Y", "H:i", "Y-m-d H:i:s", "d%m", "j/n/Y", "D d/m", "N j, Y", r"\N\g\à\y d", "c", "U"}
)
UTC = dt.UTC
VALUES = [
    dt.datetime(2026, 1, 27, 23, 59, 58, 123456, tzinfo=UTC),  # the next day in Hà Nội
    dt.datetime(2026, 2, 16, 0, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")),  # Tết eve
    dt.datetime(2026, 12, 2, 7, 5, 9),  # naive
    dt.date(2026, 4, 30),
    dt.date(999, 1, 1),
    None,
    "",
    "không phải ngày",
]


def test_the_templates_use_formats_the_fast_path_takes():
    assert {"d/m/Y", "H:i d/m/Y", "d/m/Y H:i"} <= _formats_in_templates()


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_every_value_is_written_as_django_writes_it(fmt, language):
    template = engines["django"].from_string(
        "{% load tz %}{{ value|date:fmt }}|{% localtime off %}{{ value|date:fmt }}{% endlocaltime %}"
    )
    with translation.override(language), timezone.override("Asia/Ho_Chi_Minh"):
        for value in VALUES:
            local = timezone.template_localtime(value)
            try:
                expected = f"{django_date(local, fmt)}|{django_date(value, fmt)}"
            except TypeError:  # a time format for a date: Django's error, ours too
                with pytest.raises(TypeError):
                    template.render({"value": value, "fmt": fmt})
                continue
            expected = "|".join(conditional_escape(part) for part in expected.split("|"))
            assert template.render({"value": value, "fmt": fmt}) == expected, (fmt, value)
