"""The active agencies a form offers are kept per process and follow every change."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tinhso.directory.models import Agency
from tinhso.directory.selectors import agency_options
from tinhso.documents.forms import IncomingForm, agency_groups

pytestmark = pytest.mark.django_db


def names() -> list[str]:
    return [option.name for option in agency_options()]


def test_the_agencies_are_read_once_then_kept():
    Agency.objects.create(code="H99.31", name="Sở Y tế", kind="department")
    agency_options()
    with CaptureQueriesContext(connection) as read:
        assert names() == ["Sở Y tế"]
    assert len(read) == 0


def test_an_agency_added_renamed_or_closed_is_offered_at_once():
    health = Agency.objects.create(code="H99.31", name="Sở Y tế", kind="department")
    assert names() == ["Sở Y tế"]
    Agency.objects.create(code="H99.32", name="Sở Giáo dục và Đào tạo", kind="department")
    assert names() == ["Sở Giáo dục và Đào tạo", "Sở Y tế"]  # Vietnamese order
    health.name = "Sở Y tế tỉnh"
    health.save()
    assert names() == ["Sở Giáo dục và Đào tạo", "Sở Y tế tỉnh"]
    health.status = Agency.Status.CLOSED
    health.save()
    assert names() == ["Sở Giáo dục và Đào tạo"]
    assert [n for _kind, group in agency_groups() for _pk, n in group] == names()


def test_the_register_form_offers_the_kept_agencies_and_checks_a_submitted_sender():
    own = Agency.objects.create(code="H99.31", name="Sở Y tế", kind="department")
    sender = Agency.objects.create(code="H99.32", name="Sở Tư pháp", kind="department")
    closed = Agency.objects.create(code="H99.33", name="Sở cũ", kind="department")
    agencies = Agency.objects.filter(pk=own.pk)
    offered = [
        value
        for value, _label in IncomingForm(agencies=agencies).fields["sender_agency"].widget.choices
    ]
    assert offered == ["", closed.pk, sender.pk, own.pk]
    closed.status = Agency.Status.CLOSED
    closed.save()
    form = IncomingForm({"sender_agency": str(closed.pk)}, agencies=agencies)
    assert not form.is_valid() and "sender_agency" in form.errors  # not offered, not accepted
    form = IncomingForm({"sender_agency": str(sender.pk)}, agencies=agencies)
    form.is_valid()
    assert form.cleaned_data["sender_agency"] == sender
