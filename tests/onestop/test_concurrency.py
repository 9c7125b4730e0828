"""PostgreSQL: codes under concurrent receptions and two officials on one dossier."""

from __future__ import annotations

import threading

import pytest
from django.db import close_old_connections, connection

from tinhso.core.errors import Conflict
from tinhso.onestop import services
from tinhso.onestop.models import Dossier, DossierEvent, DossierState
from tinhso.onestop.services.clock import frozen

from .conftest import submit, vn

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _run_in_threads(fns):
    barrier = threading.Barrier(len(fns))
    results: list = [None] * len(fns)

    def runner(index, fn):
        try:
            barrier.wait()
            results[index] = fn()
        except Exception as exc:  # noqa: BLE001 - collected for the assertions
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i, fn)) for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    close_old_connections()
    return results


def test_concurrent_receptions_get_distinct_consecutive_codes(world):
    w = world
    with frozen(vn(2026, 3, 2, 9, 0)):
        dossiers = [submit(w) for _ in range(12)]

    def accept(dossier_id):
        def go():
            with frozen(vn(2026, 3, 2, 10, 0)):
                dossier = Dossier.objects.select_related(
                    "procedure", "receiving_agency", "agency"
                ).get(pk=dossier_id)
                return services.accept_dossier(officer=w.officer, dossier=dossier).code

        return go

    codes = _run_in_threads([accept(d.pk) for d in dossiers])
    assert all(isinstance(c, str) for c in codes), codes
    assert len(set(codes)) == 12
    assert sorted(int(c.rsplit("-", 1)[1]) for c in codes) == list(range(1, 13))
    assert all(c.startswith("000.00.15.H41-260302-") for c in codes)


def test_two_officials_acting_at_once_one_wins_the_other_gets_a_conflict(world):
    w = world
    dossier = submit(w)
    services.accept_dossier(officer=w.officer, dossier=dossier)
    services.forward_to_next_step(official=w.officer, dossier=dossier)  # unassigned step 2

    def act(fn):
        def go():
            # both read the same version before either writes
            mine = Dossier.objects.select_related(
                "procedure", "receiving_agency", "agency", "handling_agency", "current_step"
            ).get(pk=dossier.pk)
            barrier.wait()
            return fn(mine)

        return go

    barrier = threading.Barrier(2)
    results = _run_in_threads(
        [
            act(lambda d: services.forward_to_next_step(official=w.specialist, dossier=d)),
            act(lambda d: services.pause(official=w.specialist2, dossier=d, reason="Chờ")),
        ]
    )
    winners = [r for r in results if isinstance(r, Dossier)]
    losers = [r for r in results if isinstance(r, Exception)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert isinstance(losers[0], Conflict), losers
    assert losers[0].code == "dossier_changed" and losers[0].status == 409
    dossier.refresh_from_db()
    assert dossier.state in (DossierState.PROCESSING, DossierState.PAUSED)
    # exactly one of the two actions is on the process-control slip
    assert (
        DossierEvent.objects.filter(dossier=dossier, action__in=["forward", "pause"]).count() == 2
    )


def test_same_action_twice_at_once_is_applied_once(world):
    w = world
    dossier = submit(w)

    def go():
        mine = Dossier.objects.select_related("procedure", "receiving_agency", "agency").get(
            pk=dossier.pk
        )
        return services.accept_dossier(officer=w.officer, dossier=mine)

    results = _run_in_threads([go, go, go])
    assert sum(isinstance(r, Dossier) for r in results) == 1
    assert all(
        getattr(r, "code", None) == "dossier_changed" for r in results if isinstance(r, Conflict)
    )
    assert Dossier.objects.get(pk=dossier.pk).code.endswith("-0001")
