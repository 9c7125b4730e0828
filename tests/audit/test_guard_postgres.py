"""PostgreSQL: the table refuses DELETE and every UPDATE but the sealing one; concurrent
writers do not wait on each other; concurrent sealers keep one chain."""

from __future__ import annotations

import importlib
import threading

import pytest
from django.db import DatabaseError, connection, connections, transaction

from tinhso.audit.models import AuditEntry, ChainHead
from tinhso.audit.selectors import verify_chain
from tinhso.audit.services import (
    guard_installed,
    pending_count,
    record,
    seal_pending,
    sealing_guard_installed,
)

pytestmark = pytest.mark.postgres

guard_migration = importlib.import_module("tinhso.audit.migrations.0004_sealing_guard")


@pytest.mark.django_db
def test_update_of_an_audit_entry_is_refused_with_a_clear_message():
    entry = record(actor=None, action="test.guard", summary={"x": 1})
    seal_pending()
    with pytest.raises(DatabaseError) as exc, transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(action="forged")
    assert "append-only" in str(exc.value)
    assert "UPDATE" in str(exc.value)
    assert AuditEntry.objects.get(pk=entry.pk).action == "test.guard"


def _refused(**changes) -> bool:
    try:
        with transaction.atomic():
            AuditEntry.objects.filter(**changes.pop("where")).update(**changes)
    except DatabaseError as exc:
        assert "append-only" in str(exc)
        return True
    return False


@pytest.mark.django_db
def test_content_update_of_an_unsealed_row_is_refused_even_with_the_sealing_update():
    entry = record(actor=None, action="test.guard", summary={"x": 1}, ip="10.0.0.1")
    chain = {"seq": 1, "prev_hash": "0" * 64, "hash": "a" * 64}
    where = {"pk": entry.pk}
    assert _refused(where=where, action="forged")
    assert _refused(where=where, summary={"x": 2}, **chain)
    assert _refused(where=where, ip="10.0.0.2", **chain)
    assert _refused(where=where, content_hash="b" * 64, **chain)
    assert _refused(where=where, object_repr="other", **chain)
    assert _refused(where=where, seq=1, hash="a" * 64)  # half a seal (prev_hash NULL)
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert (stored.action, stored.summary, stored.hash) == ("test.guard", {"x": 1}, None)


@pytest.mark.django_db
def test_the_sealing_update_is_allowed_once_then_the_row_is_frozen():
    entry = record(actor=None, action="test.guard", summary={"x": 1})
    assert seal_pending() == 1
    sealed = AuditEntry.objects.get(pk=entry.pk)
    assert sealed.seq == 1 and sealed.hash
    where = {"pk": entry.pk}
    assert _refused(where=where, hash="f" * 64)  # re-sealing a sealed row
    assert _refused(where=where, seq=7)
    assert _refused(where=where, action="forged")
    assert AuditEntry.objects.get(pk=entry.pk).hash == sealed.hash
    assert verify_chain().ok


@pytest.mark.django_db
def test_delete_of_an_audit_entry_is_refused():
    entry = record(actor=None, action="test.guard")
    unsealed = record(actor=None, action="test.guard")
    seal_pending(limit=1)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("DELETE FROM audit_auditentry WHERE id = %s", [unsealed.pk])
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
def test_sealing_guard_migration_is_reversible():
    assert guard_installed() and sealing_guard_installed()
    record(actor=None, action="test.guard")
    with connection.schema_editor() as editor:
        guard_migration.uninstall(None, editor)
    # back to the 0002 guard: still append-only, but no UPDATE at all (not even sealing)
    assert guard_installed() and not sealing_guard_installed()
    with pytest.raises(DatabaseError), transaction.atomic():
        seal_pending()
    with connection.schema_editor() as editor:
        guard_migration.install(None, editor)
    assert guard_installed() and sealing_guard_installed()
    assert seal_pending() == 1


@pytest.mark.django_db(transaction=True)
def test_four_concurrent_writers_and_a_sealer_keep_the_chain_linear_and_seqs_gapless():
    per_writer, writers = 30, 4
    errors: list[BaseException] = []
    start = threading.Barrier(writers + 1)
    writing = threading.Event()
    writing.set()

    def seal_meanwhile() -> None:
        try:
            start.wait()
            while writing.is_set():
                seal_pending(batch_size=7)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

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
    sealer = threading.Thread(target=seal_meanwhile)
    sealer.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    writing.clear()
    sealer.join()
    assert not errors
    seal_pending()
    seqs = list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, per_writer * writers + 1))
    assert ChainHead.objects.get(pk=1).last_seq == per_writer * writers
    report = verify_chain()
    assert report.ok and report.checked == per_writer * writers


@pytest.mark.django_db(transaction=True)
def test_parallel_verification_finds_the_same_first_broken_link():
    for i in range(12):
        record(actor=None, action="test.parallel", object_id=str(i))
    seal_pending()
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


def _other_connection_run(fn, *, hold: threading.Event | None = None, ready=None):
    """Run fn() in a thread (its own connection) inside a transaction; if `hold` is given,
    keep the transaction open (uncommitted) until it is set. Returns (thread, results)."""
    results: dict = {}

    def run() -> None:
        try:
            with transaction.atomic():
                results["value"] = fn()
                if ready is not None:
                    ready.set()
                if hold is not None:
                    hold.wait(20)
        except BaseException as exc:  # noqa: BLE001
            results["error"] = exc
            if ready is not None:
                ready.set()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, results


@pytest.mark.django_db(transaction=True)
def test_an_uncommitted_entry_blocks_neither_other_writers_nor_the_sealer_and_is_sealed_later():
    record(actor=None, action="test.before")
    hold, ready = threading.Event(), threading.Event()
    slow, slow_result = _other_connection_run(
        lambda: record(actor=None, action="test.slow"), hold=hold, ready=ready
    )
    try:
        assert ready.wait(10) and "error" not in slow_result
        slow_id = slow_result["value"].pk
        with connection.cursor() as cur:  # any wait on a lock would fail within 0.5 s
            cur.execute("SET lock_timeout = '500ms'")
        with transaction.atomic():
            fast = record(actor=None, action="test.fast")
        assert fast.pk > slow_id
        assert seal_pending() == 2  # "before" and "fast"; the uncommitted one is invisible
        assert AuditEntry.objects.get(pk=fast.pk).seq == 2
    finally:
        hold.set()
        slow.join()
        with connection.cursor() as cur:
            cur.execute("RESET lock_timeout")
    assert "error" not in slow_result
    assert pending_count() == 1
    assert seal_pending() == 1  # the lower id, committed late, sealed in a later batch
    late = AuditEntry.objects.get(pk=slow_id)
    assert late.seq == 3 and late.prev_hash == AuditEntry.objects.get(pk=fast.pk).hash
    report = verify_chain()
    assert report.ok and report.checked == 3 and report.unsealed == 0


@pytest.mark.django_db(transaction=True)
def test_four_writers_in_open_transactions_do_not_wait_for_each_other():
    writers = 4
    holds = [threading.Event() for _ in range(writers)]
    readies = [threading.Event() for _ in range(writers)]

    def make(n):
        def fn():
            with connection.cursor() as cur:
                cur.execute("SET LOCAL lock_timeout = '500ms'")
            return [record(actor=None, action="test.open", object_id=f"{n}-{i}") for i in range(5)]

        return fn

    runs = [_other_connection_run(make(n), hold=holds[n], ready=readies[n]) for n in range(writers)]
    # every writer recorded its entries while all the others still held theirs uncommitted
    assert all(r.wait(10) for r in readies)
    for hold in holds:
        hold.set()
    for thread, result in runs:
        thread.join()
        assert "error" not in result, result.get("error")
    assert seal_pending() == writers * 5
    report = verify_chain()
    assert report.ok and report.checked == writers * 5


@pytest.mark.django_db(transaction=True)
def test_two_sealers_at_once_do_not_fork_the_chain():
    from django.utils import timezone

    from tinhso.audit.services import content_digest

    with connection.cursor() as cur:  # 400 unsealed entries, quickly
        now = timezone.now()
        digest = content_digest(
            created_at=now,
            actor_id=None,
            actor_name="system",
            action="test.bulk",
            object_type="",
            object_id="",
            agency_id=None,
            summary={},
            ip=None,
        )
        cur.execute(
            "INSERT INTO audit_auditentry (created_at, actor_name, action, object_type, "
            "object_id, object_repr, summary, content_hash) "
            "SELECT %s, 'system', 'test.bulk', '', '', '', '{}'::jsonb, %s "
            "FROM generate_series(1, 400)",
            [now, digest],
        )
    start = threading.Barrier(2)
    counts: list[int] = []
    errors: list[BaseException] = []

    def seal() -> None:
        try:
            start.wait()
            counts.append(seal_pending(batch_size=25))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=seal) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sum(counts) == 400
    seqs = list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, 401))
    assert ChainHead.objects.get(pk=1).last_seq == 400
    report = verify_chain()
    assert report.ok and report.checked == 400
