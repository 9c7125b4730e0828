"""A dossier as every page and action reads it (`services.get_dossier`, its SQL written
once: `tinhso.core.prepared.one`): the ORM's own row and joined rows, value for value,
whether a join is empty or not, by uid, dossier code or tracking code; anything else is
"not found" (a stable code), never an error page."""

from __future__ import annotations

import pytest

from tinhso.core.errors import NotFound
from tinhso.onestop import services
from tinhso.onestop.models import Dossier
from tinhso.onestop.services.common import DOSSIER_JOINS

from .conftest import submit

pytestmark = pytest.mark.django_db


def _same(found: Dossier, expected: Dossier) -> None:
    for field in Dossier._meta.concrete_fields:
        ours, theirs = getattr(found, field.attname), getattr(expected, field.attname)
        assert ours == theirs and type(ours) is type(theirs), field.name
    for name in DOSSIER_JOINS:
        joined, wanted = getattr(found, name), getattr(expected, name)
        assert (joined is None) == (wanted is None), name
        if wanted is not None:
            assert joined._state.db == wanted._state.db and not joined._state.adding
            for field in type(wanted)._meta.concrete_fields:
                assert getattr(joined, field.attname) == getattr(wanted, field.attname)


def test_a_dossier_is_read_as_the_orm_reads_it_joins_and_all(world, django_assert_num_queries):
    w = world
    fresh = submit(w)  # no code, no step yet
    assert fresh.current_step_id is None and not fresh.code
    accepted = services.accept_dossier(officer=w.officer, dossier=submit(w))
    for dossier in (fresh, accepted):
        expected = Dossier.objects.select_related(*DOSSIER_JOINS).get(pk=dossier.pk)
        with django_assert_num_queries(1):  # the joins come with it
            found = services.get_dossier(uid=str(dossier.uid))
            _same(found, expected)
        _same(services.get_dossier(code=dossier.tracking_code.lower()), expected)
    _same(
        services.get_dossier(code=f" {accepted.code} "),
        Dossier.objects.select_related(*DOSSIER_JOINS).get(pk=accepted.pk),
    )


@pytest.mark.parametrize(
    "lookup",
    [
        {"uid": "0f0e0d0c-0b0a-0908-0706-050403020100"},
        {"uid": "không-phải-uid"},
        {"uid": ""},
        {"code": "000.00.00.H99-000000-0000"},
        {"code": "TD-KHONG-CO"},
    ],
)
def test_a_dossier_that_is_not_there_is_not_found(world, lookup):
    submit(world)
    with pytest.raises(NotFound) as raised:
        services.get_dossier(**lookup)
    assert raised.value.code == "dossier_not_found" and "Không tìm thấy" in raised.value.message


def test_a_procedure_is_read_with_its_joins_and_papers(world, django_assert_num_queries):
    from tinhso.onestop import selectors
    from tinhso.onestop.models import Procedure

    procedure = world.procedure
    expected = Procedure.objects.select_related("field", "agency", "receiving_agency").get(
        pk=procedure.pk
    )
    for lookup in ({"code": procedure.code}, {"uid": str(procedure.uid)}):
        with django_assert_num_queries(2):  # the procedure with its joins, then its papers
            found = selectors.get_procedure(**lookup)
            papers = [p.name for p in found.papers.all()]
            assert found.field.name == expected.field.name
            assert found.receiving_agency_id == expected.receiving_agency_id
        assert papers == [p.name for p in expected.papers.all()]
        for field in Procedure._meta.concrete_fields:
            assert getattr(found, field.attname) == getattr(expected, field.attname)
    for lookup in ({"code": "KHONG-CO"}, {"uid": "x"}, {"uid": None}):
        with pytest.raises(NotFound):
            selectors.get_procedure(**lookup)


def test_a_dossiers_page_lists_are_the_orms_rows_with_their_dossier(
    world, django_assert_num_queries
):
    """What the page lists (`selectors.*_list`, each its SQL written once): the rows the
    related managers give, in their order, each row's dossier the page's own (no query)."""
    from tinhso.onestop import selectors

    w = world
    dossier = services.accept_dossier(officer=w.officer, dossier=submit(w))
    services.request_supplement(official=w.officer, dossier=dossier, items=["Bản sao CCCD"])
    expected = {
        "supplement_list": list(dossier.supplements.order_by("requested_at")),
        "payment_list": list(dossier.payments.order_by("created_at")),
        "issued_form_list": list(dossier.issued_forms.order_by("issued_at", "pk")),
        "received_paper_list": list(dossier.received_papers.all()),
        "process_slip_lines": list(selectors.process_slip(dossier)),
    }
    assert expected["supplement_list"] and expected["issued_form_list"]
    assert len(expected["process_slip_lines"]) >= 2
    for name, rows in expected.items():
        for _ in range(2):  # written, then kept
            with django_assert_num_queries(1):
                found = getattr(selectors, name)(dossier)
                assert all(row.dossier is dossier for row in found)
            assert [r.pk for r in found] == [r.pk for r in rows], name


def test_the_files_listed_are_the_ones_each_person_may_open(world):
    from tinhso.onestop import selectors

    w = world
    dossier = submit(w)
    for user in (w.citizen, w.officer, w.outsider):
        assert [f.pk for f in selectors.visible_file_list(dossier, user)] == [
            f.pk for f in selectors.visible_files(dossier, user)
        ]
    assert selectors.visible_file_list(dossier, w.citizen)
