"""PostgreSQL: two reorganisations racing on the same agencies queue on row locks — no
deadlock (a 500), no cycle in the tree."""

import threading

import pytest
from django.db import connection

from tinhso.core.errors import DomainError
from tinhso.directory import services
from tinhso.directory.models import Agency

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _race(*calls):
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            call()
            outcomes[i] = "ok"
        except DomainError as exc:
            outcomes[i] = exc.code
        except Exception as exc:  # a deadlock or anything else: the test must see it
            outcomes[i] = repr(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return outcomes


def _assert_acyclic():
    by_pk = {a.pk: a for a in Agency.objects.all()}
    for a in by_pk.values():
        seen, cur = set(), a
        while cur.parent_id:
            assert cur.pk not in seen, f"cycle through {cur.code}"
            seen.add(cur.pk)
            cur = by_pk[cur.parent_id]
        assert a.path == "/" + "/".join(str(p) for p in [*reversed(list(_chain(a, by_pk)))]) + "/"


def _chain(a, by_pk):
    cur = a
    while cur is not None:
        yield cur.pk
        cur = by_pk.get(cur.parent_id)


@pytest.mark.parametrize("round_", range(3))
def test_crossed_moves_one_wins_the_other_sees_the_cycle(round_):
    root = services.create_agency(actor=None, code="H70", name="Tỉnh")
    a = services.create_agency(actor=None, code="H70.01", name="A", parent=root)
    b = services.create_agency(actor=None, code="H70.02", name="B", parent=root)
    outcomes = _race(
        lambda: services.move_agency(actor=None, agency=a, new_parent=b),
        lambda: services.move_agency(actor=None, agency=b, new_parent=a),
    )
    assert sorted(outcomes) == ["agency_move_cycle", "ok"], outcomes
    _assert_acyclic()


def test_merge_and_close_racing_on_the_same_agency():
    root = services.create_agency(actor=None, code="H71", name="Tỉnh")
    a = services.create_agency(actor=None, code="H71.01", name="A", parent=root)
    b = services.create_agency(actor=None, code="H71.02", name="B", parent=root)
    outcomes = _race(
        lambda: services.merge_agencies(actor=None, predecessors=[a], successor=b),
        lambda: services.close_agency(actor=None, agency=a),
    )
    assert sorted(outcomes) == ["agency_not_active", "ok"], outcomes
    assert Agency.objects.get(pk=a.pk).status in ("merged", "closed")
    assert a.events.filter(kind__in=["merged", "closed"]).count() == 1
