"""A document as its pages and actions read it (`selectors.get_incoming/get_outgoing`,
their SQL written once: `tinhso.core.prepared.one`): the ORM's own rows, joins and all,
empty joins too; a uid that is not there or not a uid is "not found"."""

from __future__ import annotations

import pytest

from tinhso.core.errors import NotFound
from tinhso.documents import selectors, services
from tinhso.documents.models import IncomingDocument, OutgoingDocument

from .conftest import draft, register

pytestmark = pytest.mark.django_db

JOINS = {
    IncomingDocument: ("agency", "register", "sender_agency"),
    OutgoingDocument: ("agency", "register", "drafter", "signer", "drafting_unit"),
}


def _same(found, expected) -> None:
    model = type(expected)
    for field in model._meta.concrete_fields:
        ours, theirs = getattr(found, field.attname), getattr(expected, field.attname)
        assert ours == theirs and type(ours) is type(theirs), field.name
    for name in JOINS[model]:
        joined, wanted = getattr(found, name), getattr(expected, name)
        assert (joined is None) == (wanted is None), name
        if wanted is not None:
            assert [getattr(joined, f.attname) for f in type(wanted)._meta.concrete_fields] == [
                getattr(wanted, f.attname) for f in type(wanted)._meta.concrete_fields
            ]


def test_documents_are_read_as_the_orm_reads_them(office, django_assert_num_queries):
    incoming = register(office)
    outgoing = draft(office)
    assert outgoing.signer_id is None and incoming.sender_agency_id is None  # empty joins
    for document, read in ((incoming, selectors.get_incoming), (outgoing, selectors.get_outgoing)):
        model = type(document)
        expected = model.objects.select_related(*JOINS[model]).get(pk=document.pk)
        with django_assert_num_queries(1):
            found = read(str(document.uid))
            _same(found, expected)


@pytest.mark.parametrize(
    "uid", ["0f0e0d0c-0b0a-0908-0706-050403020100", "khong-phai-uid", "", None, 7]
)
def test_a_document_that_is_not_there_is_not_found(office, uid):
    register(office)
    for read in (selectors.get_incoming, selectors.get_outgoing):
        with pytest.raises(NotFound):
            read(uid)


def test_an_incoming_documents_page_lists_are_the_orms_rows(office, django_assert_num_queries):
    """Its files, who read it and its assignments (each list's SQL written once): the
    related managers' rows in their order, each row's document the page's own."""
    doc = register(office)
    services.mark_read(user=office.leader, incoming=doc)
    services.mark_read(user=office.specialist, incoming=doc)
    services.assign_incoming(
        actor=office.leader, document=doc, lead=office.specialist, cooperate=[office.unit]
    )
    doc = selectors.get_incoming(doc.uid)
    expected = {
        selectors.incoming_files: list(doc.files.all()),
        selectors.incoming_reads: list(doc.reads.select_related("user")),
    }
    assert all(expected.values())
    for read, rows in expected.items():
        for _ in range(2):
            with django_assert_num_queries(1):
                found = read(doc)
                assert all(row.incoming is doc for row in found)
                assert [str(getattr(r, "user", "")) for r in found] == [
                    str(getattr(r, "user", "")) for r in rows
                ]
            assert [r.pk for r in found] == [r.pk for r in rows]
    lines = selectors.follow_up(doc)
    assert [line["assignment"].pk for line in lines] == [
        a.pk for a in doc.assignments.order_by(*doc.assignments.model._meta.ordering or ["pk"])
    ]
    assert {line["assignment"].assignee_id for line in lines} == {office.specialist.pk, None}
