"""PostgreSQL: the table refuses UPDATE and DELETE; concurrent writers keep one chain."""

from __future__ import annotations

import importlib
import threading

import pytest
from django.db import DatabaseError, connection, connections, transaction

from tinhso.audit.models import AuditEntry, ChainHead
from tinhso.audit.selectors import verify_chain
from tinhso.audit.services import guard_installed, record

pytestmark = pytest.mark.postgres

guard_migration = importlib.import_module("tinhso.audit.migrations.0002_append_only_guard")


@pytest.mark.django_db
def test_update_of_an_audit_entry_is_refused_with_a_clear_message():
    entry = record(actor=None, action="test.guard", summary={"x": 1})
    with pytest.raises(DatabaseError) as exc, transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(action="forged")
    assert "append-only" in str(exc.value)
    assert "UPDATE" in str(exc.value)
    assert AuditEntry.objects.get(pk=entry.pk).action == "test.guard"


@pytest.mark.django_db
def test_delete_of_an_audit_entry_is_refused():
    entry = record(actor=None, action="test.guard")
    with pytest.raises(DatabaseError) as exc, transaction.atomic(), connection.cursor() as cur:
        cur.execute("DELETE FROM audit_auditentry WHERE id = %s", [entry.pk])
    assert "DELETE" in str(exc.value)
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
    assert verify_chain().ok


@pytest.mark.django_db
def test_truncate_stays_possible_for_test_teardown():
    record(actor=None, action="test.guard")
    with connection.cursor() as cur:
        cur.execute("TRUNCATE audit_auditentry")
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_guard_migration_is_reversible():
    assert guard_installed()
    with connection.schema_editor() as editor:
        guard_migration.uninstall(None, editor)
    assert not guard_installed()
    with connection.schema_editor() as editor:
        guard_migration.install(None, editor)
    assert guard_installed()


@pytest.mark.django_db(transaction=True)
def test_four_concurrent_writers_keep_the_chain_linear_and_seqs_gapless():
    per_writer, writers = 30, 4
    errors: list[BaseException] = []
    start = threading.Barrier(writers)

    def write(n: int) -> None:
        try:
            start.wait()
            for i in range(per_writer):
                if n % 2:  # on its own (autocommit: one statement)
                    record(actor=None, action="test.concurrent", object_id=f"{n}-{i}")
                else:  # inside a use-case's transaction
                    with transaction.atomic():
                        record(actor=None, action="test.concurrent", object_id=f"{n}-{i}")
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    seqs = list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, per_writer * writers + 1))
    assert ChainHead.objects.get(pk=1).last_seq == per_writer * writers
    report = verify_chain()
    assert report.ok and report.checked == per_writer * writers


@pytest.mark.django_db(transaction=True)
def test_parallel_verification_finds_the_same_first_broken_link():
    for i in range(12):
        record(actor=None, action="test.parallel", object_id=str(i))
    report = verify_chain(workers=3, min_range=3)
    assert report.ok and report.checked == 12
    with connection.cursor() as cur:
        cur.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER USER")
        cur.execute("UPDATE audit_auditentry SET action = 'forged' WHERE seq IN (6, 11)")
        cur.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER USER")
    parallel = verify_chain(workers=3, min_range=3)
    assert (parallel.ok, parallel.broken_seq, parallel.checked) == (False, 6, 5)
    assert parallel == verify_chain()
    with connection.cursor() as cur:  # a row deleted at a range boundary (rows 5..8)
        cur.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER USER")
        cur.execute("DELETE FROM audit_auditentry WHERE seq = 5")
        cur.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER USER")
    parallel = verify_chain(workers=3, min_range=3)
    assert (parallel.ok, parallel.broken_seq) == (False, 5)
    assert parallel == verify_chain()
