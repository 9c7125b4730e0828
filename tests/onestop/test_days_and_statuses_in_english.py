"""Numbers of days read right in both languages; the national statuses are translatable."""

from __future__ import annotations

from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import trans_real

from tinhso.onestop.models import PORTAL_STATUS_LABELS, Dossier, DossierState
from tinhso.onestop.templatetags.humanize_vnd import days, days_count, working_days

# What the English catalogue says for the plural messages (the coordinator's .po update):
ENGLISH = {
    ("%(count)s ngày làm việc", 0): "%(count)s working day",
    ("%(count)s ngày làm việc", 1): "%(count)s working days",
    ("%(count)s ngày", 0): "%(count)s day",
    ("%(count)s ngày", 1): "%(count)s days",
    "Đã trả kết quả": "Result returned",
}


@contextmanager
def english():
    """English, with the entries above in its catalogue (as gettext loads them)."""
    with translation.override("en"):
        first = trans_real.translation("en")._catalog._catalogs[0]  # the one lookups try first
        saved = {key: first[key] for key in ENGLISH if key in first}
        first.update(ENGLISH)
        try:
            yield
        finally:
            for key in ENGLISH:
                first.pop(key)
            first.update(saved)


def test_vietnamese_writes_a_decimal_comma_and_no_plural():
    with translation.override("vi"):
        assert days("0.5") == "0,5"
        assert days(Decimal("2.50")) == "2,5"
        assert days(Decimal("10.00")) == "10"
        assert working_days(1) == "1 ngày làm việc"
        assert working_days("0.5") == "0,5 ngày làm việc"
        assert days_count("0.1") == "0,1 ngày"


def test_english_says_one_working_day_and_a_decimal_point():
    with english():
        assert days("0.5") == "0.5"
        assert working_days(1) == "1 working day"
        assert working_days(Decimal("1.00")) == "1 working day"
        assert working_days(5) == "5 working days"
        assert working_days("0.5") == "0.5 working days"
        assert working_days("0.9") == "0.9 working days"  # not rounded to "one"
        assert days_count("0.1") == "0.1 days"
        assert days_count(1) == "1 day"


def test_bad_amounts_show_nothing():
    for value in (None, "", "abc", "NaN"):
        assert working_days(value) == ""


@pytest.mark.django_db
def test_the_procedure_page_uses_the_plural_aware_phrases(client):
    from tinhso.directory.models import Agency
    from tinhso.onestop.models import Field, Procedure, ProcessStep, ProcessTemplate

    agency = Agency.objects.create(code="H99", name="UBND tỉnh")
    field = Field.objects.create(code="HT", name="Hộ tịch")
    procedure = Procedure.objects.create(
        code="1.000001", name="Thủ tục thử", field=field, agency=agency, processing_days=1
    )
    template = ProcessTemplate.objects.create(procedure=procedure, is_active=True)
    ProcessStep.objects.create(
        template=template, order=1, name="Thẩm định", role="specialist", budget_days="0.9"
    )
    ProcessStep.objects.create(
        template=template, order=2, name="Ký", role="leader", budget_days="0.1"
    )
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the visitor chose English
    with english():
        html = client.get("/onestop/thu-tuc/1.000001/").content.decode()
    assert "1 working day" in html and "1 working days" not in html
    assert "0.9 days" in html and "0.1 days" in html and "0,1" not in html


def test_the_national_statuses_are_marked_for_translation():
    assert all(isinstance(label, Promise) for label in PORTAL_STATUS_LABELS.values())
    dossier = Dossier(state=DossierState.RETURNED)
    with translation.override("vi"):
        assert dossier.portal_status_label == "Đã trả kết quả"
    with english():
        assert dossier.portal_status_label == "Result returned"
        rendered = Template("{{ d.portal_status_label }}").render(Context({"d": dossier}))
        assert rendered == "Result returned"
