"""Gapless numbering under concurrency (PostgreSQL: row locks)."""

from __future__ import annotations

import threading

import pytest
from django.db import close_old_connections, connection, transaction

from tinhso.documents import services
from tinhso.documents.models import IncomingDocument, Register

from .conftest import make_pdf


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_clerks_get_gapless_unique_arrival_numbers(office):
    pdf = make_pdf()
    per_thread, threads = 6, 8
    errors: list[BaseException] = []

    def work(t: int) -> None:
        try:
            for i in range(per_thread):
                services.register_incoming(
                    actor=office.clerk,
                    agency=office.agency,
                    pdf=pdf,
                    sender_name="Sở Tài chính",
                    number_notation=f"{t * 100 + i}/CV-STC",
                    issued_on=services.local_today(),
                    doc_type="cv",
                    subject="Về việc quyết toán ngân sách",
                )
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    close_old_connections()
    assert not errors, errors
    numbers = sorted(IncomingDocument.objects.values_list("arrival_number", flat=True))
    assert numbers == list(range(1, per_thread * threads + 1))
    assert Register.objects.get(direction="incoming").last_number == per_thread * threads


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_crash_after_taking_a_number_leaves_no_hole(office):
    year = services.local_today().year

    class Crash(Exception):
        pass

    with pytest.raises(Crash), transaction.atomic():
        services.take_number(agency=office.agency, year=year, direction="outgoing", series="normal")
        raise Crash()
    with transaction.atomic():
        _reg, number = services.take_number(
            agency=office.agency, year=year, direction="outgoing", series="normal"
        )
    assert number == 1


def test_take_number_refuses_to_run_outside_a_transaction(db, office):
    with pytest.raises(RuntimeError):
        # pytest-django wraps tests in a transaction; leave it to prove the guard.
        connection.in_atomic_block = False
        try:
            services.take_number(
                agency=office.agency, year=2026, direction="incoming", series="normal"
            )
        finally:
            connection.in_atomic_block = True
