"""`tinhso worker` seals the audit trail: at start and end in batch mode, every
--seal-interval seconds in its side thread otherwise."""

from __future__ import annotations

import threading
import time

import pytest
from django.core.management import call_command
from django.db import OperationalError, connections

from tinhso.audit.selectors import verify_chain
from tinhso.audit.services import pending_count, record
from tinhso.core.management.commands import worker


@pytest.mark.django_db(transaction=True)  # the worker commits, as in production
def test_worker_in_batch_mode_seals_what_was_recorded():
    for i in range(3):
        record(actor=None, action="test.worker", object_id=str(i))
    assert pending_count() == 3
    call_command("worker", "--batch", "--interval", "0", "--sweep-interval", "0", verbosity=0)
    assert pending_count() == 0
    report = verify_chain()
    assert report.ok and report.checked == 3


@pytest.mark.django_db(transaction=True)
def test_the_worker_sealer_thread_seals_within_its_interval():
    stop = threading.Event()
    thread = threading.Thread(target=worker._sealer, args=(stop, 0.05), daemon=True)
    thread.start()
    try:
        record(actor=None, action="test.worker")
        deadline = time.monotonic() + 5
        while _pending_unless_locked() != 0 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(5)
        connections.close_all()
    assert pending_count() == 0
    assert verify_chain().checked == 1


def _pending_unless_locked() -> int | None:
    """The pending count, or None while the sealer holds the table: the SQLite leg's
    in-memory test database is shared between threads through SQLite's shared cache,
    where a reader meets a writer's table lock at once ("database table is locked")
    instead of waiting as on a database file."""
    try:
        return pending_count()
    except OperationalError as error:
        if "locked" not in str(error):
            raise
        return None
