"""PostgreSQL: e-receipt numbers have no gaps and never repeat when payments are confirmed
at the same moment, even when one of the confirming transactions rolls back."""

from __future__ import annotations

import threading

import pytest
from django.db import close_old_connections, connection, transaction

from tests.onestop.conftest import submit, vn
from tinhso.onestop.models import Payment
from tinhso.onestop.payments import sandbox
from tinhso.onestop.payments.services import handle_callback
from tinhso.onestop.services.clock import frozen

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


class Rollback(Exception):
    pass


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


def test_concurrent_payments_get_consecutive_receipt_numbers_without_gaps(fee_world):
    w = fee_world
    with frozen(vn(2026, 3, 2, 9, 0)):
        payments = [Payment.objects.get(dossier=submit(w)) for _ in range(10)]

    def confirm(payment: Payment, *, fail: bool = False):
        params = sandbox.SandboxProvider().callback_params(
            reference=payment.reference,
            amount=payment.amount_vnd,
            order=str(payment.dossier.uid),
            success=True,
            txn=f"SBX{payment.pk}",
        )

        def go():
            with frozen(vn(2026, 3, 2, 10, 0)):
                if not fail:
                    return handle_callback(provider="sandbox", params=params)[0]
                with transaction.atomic():  # numbered, then the transaction fails
                    handle_callback(provider="sandbox", params=params)
                    raise Rollback

        return go

    # two of the ten confirmations roll back after taking a number
    fns = [confirm(p, fail=i in (3, 7)) for i, p in enumerate(payments)]
    results = _run_in_threads(fns)
    assert [r for i, r in enumerate(results) if i not in (3, 7)] == ["applied"] * 8, results
    assert all(isinstance(results[i], Rollback) for i in (3, 7)), results
    numbers = sorted(Payment.objects.filter(status="paid").values_list("receipt_number", flat=True))
    assert numbers == [f"{n:07d}" for n in range(1, 9)]
    assert set(Payment.objects.filter(status="paid").values_list("receipt_series", flat=True)) == {
        "BL-26E"
    }
    # the two rolled back are still pending, and get the next numbers when confirmed
    for i in (3, 7):
        assert Payment.objects.get(pk=payments[i].pk).status == "pending"
        assert confirm(payments[i])() == "applied"
    assert sorted(
        Payment.objects.filter(status="paid").values_list("receipt_number", flat=True)
    ) == [f"{n:07d}" for n in range(1, 11)]
