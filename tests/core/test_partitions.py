"""Partitioned history (PostgreSQL): partitions made ahead and idempotently, rows in their
month's partition, the audit chain and its guard across partition boundaries, and
detach-and-archive that verifies before it detaches. On SQLite the tables stay plain."""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
from datetime import UTC, date, datetime

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone

from tinhso.audit.models import AuditEntry
from tinhso.audit.selectors import verify_chain
from tinhso.audit.services import record, seal_pending
from tinhso.core import partitions
from tinhso.core.models import ArchivedPartition
from tinhso.core.partitions import PartitionError, PartitionErrorCode


def _record_at(monkeypatch, moment: datetime, action: str) -> AuditEntry:
    """An audit entry recorded at `moment` (the clock is moved, the storage is real)."""
    monkeypatch.setattr(timezone, "now", lambda: moment)
    try:
        return record(actor=None, action=action, summary={"at": moment.isoformat()})
    finally:
        monkeypatch.undo()


def _partition_of(table: str, pk_column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT tableoid::regclass::text FROM {table} WHERE {pk_column} = %s",  # noqa: S608
            [pk],
        )
        return cursor.fetchone()[0]


def _tamper(partition: str, entry_id: int, action: str) -> None:
    """Change a sealed row behind the guard's back (as a DBA bypassing it could)."""
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {partition} DISABLE TRIGGER USER")
        cursor.execute(f"UPDATE {partition} SET action = %s WHERE id = %s", [action, entry_id])  # noqa: S608
        cursor.execute(f"ALTER TABLE {partition} ENABLE TRIGGER USER")


@pytest.fixture
def two_months(monkeypatch):
    """Partitions for January and February 2025; entries in both, sealed into one chain."""
    partitions.ensure_partitions(ahead=1, today=date(2025, 1, 15))
    january = [
        _record_at(monkeypatch, datetime(2025, 1, 20, 3, i, tzinfo=UTC), f"test.jan{i}")
        for i in range(3)
    ]
    february = [
        _record_at(monkeypatch, datetime(2025, 2, 3, 4, i, tzinfo=UTC), f"test.feb{i}")
        for i in range(2)
    ]
    assert seal_pending() == 5
    return january, february


# ---------------------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db
def test_history_tables_are_partitioned_by_time_with_a_default_partition():
    for spec in partitions.PARTITIONED:
        assert partitions.is_partitioned(spec.table), spec.table
        names = [p.name for p in partitions.partitions(spec.table)]
        assert f"{spec.table}_default" in names
        current = partitions.partition_name(
            spec.table,
            partitions.period_start(timezone.localdate(), spec.interval),
            spec.interval,
        )
        assert current in names  # `tinhso migrate` left the current period's partition
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype = 'p'",
                [spec.table],
            )
            assert cursor.fetchone()[0] == f"PRIMARY KEY ({spec.pk}, {spec.column})"


@pytest.mark.postgres
@pytest.mark.django_db
def test_partitions_are_created_ahead_and_idempotently():
    created = partitions.ensure_partitions(ahead=2, today=date(2031, 11, 5))
    assert "audit_auditentry_p2031_11" in created
    assert "audit_auditentry_p2032_01" in created  # across the year's end
    assert "onestop_dossierevent_p2031" in created and "onestop_dossierevent_p2033" in created
    assert partitions.ensure_partitions(ahead=2, today=date(2031, 11, 5)) == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_ensuring_partitions_at_once_create_each_partition_once():
    results: list[list[str]] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def worker():
        try:
            barrier.wait()
            results.append(partitions.ensure_partitions(ahead=1, today=date(2033, 6, 1)))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        created = sorted(name for names in results for name in names)
        assert created.count("audit_auditentry_p2033_06") == 1
        assert created.count("gateway_messagelog_p2033_07") == 1
    finally:
        with connection.cursor() as cursor:
            for name in ("audit_auditentry", "gateway_messagelog"):
                for month in ("06", "07"):
                    cursor.execute(f"DROP TABLE IF EXISTS {name}_p2033_{month}")
            cursor.execute("DROP TABLE IF EXISTS onestop_dossierevent_p2033")
            cursor.execute("DROP TABLE IF EXISTS onestop_dossierevent_p2034")


@pytest.mark.postgres
@pytest.mark.django_db
def test_rows_of_different_months_land_in_their_partitions(two_months):
    january, february = two_months
    assert _partition_of("audit_auditentry", "id", january[0].pk) == "audit_auditentry_p2025_01"
    assert _partition_of("audit_auditentry", "id", february[0].pk) == "audit_auditentry_p2025_02"
    # the ORM still reads by pk = id
    assert AuditEntry.objects.get(pk=february[1].pk).action == "test.feb1"


@pytest.mark.postgres
@pytest.mark.django_db
def test_rows_waiting_in_the_default_partition_move_into_the_partition_created_for_them(
    monkeypatch,
):
    entry = _record_at(monkeypatch, datetime(2024, 6, 10, tzinfo=UTC), "test.stray")
    assert _partition_of("audit_auditentry", "id", entry.pk) == "audit_auditentry_default"
    assert "audit_auditentry_p2024_06" in partitions.ensure_partitions(
        ahead=0, today=date(2024, 6, 1)
    )
    assert _partition_of("audit_auditentry", "id", entry.pk) == "audit_auditentry_p2024_06"
    # the default partition's guard is back on
    _record_at(monkeypatch, datetime(2019, 2, 1, tzinfo=UTC), "test.older")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM audit_auditentry_default")


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_audit_chain_verifies_across_a_partition_boundary_and_names_a_tampered_entry(
    two_months,
):
    january, _february = two_months
    report = verify_chain()
    assert report.ok and report.checked == 5
    victim = AuditEntry.objects.get(pk=january[1].pk)
    _tamper("audit_auditentry_p2025_01", victim.pk, "test.forged")
    report = verify_chain()
    assert not report.ok
    assert report.broken_seq == victim.seq
    assert "nội dung" in report.reason


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_guard_refuses_update_and_delete_of_audit_entries_in_a_partition(two_months):
    january, _february = two_months
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=january[0].pk).update(action="forged")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=january[0].pk).delete()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM audit_auditentry_p2025_01")
    assert AuditEntry.objects.get(pk=january[0].pk).action == "test.jan0"


@pytest.mark.postgres
@pytest.mark.django_db
def test_archive_refuses_when_the_chain_does_not_verify_and_detaches_nothing(two_months, tmp_path):
    january, _february = two_months
    _tamper("audit_auditentry_p2025_01", january[2].pk, "test.forged")
    with pytest.raises(PartitionError) as refused:
        partitions.detach_and_archive(table="audit_auditentry", period="2025-01", dest=tmp_path)
    assert refused.value.code == PartitionErrorCode.VERIFY_FAILED
    assert "audit_auditentry_p2025_01" in {
        p.name for p in partitions.partitions("audit_auditentry")
    }
    assert list(tmp_path.iterdir()) == []
    assert not ArchivedPartition.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db
def test_archive_exports_with_a_matching_checksum_then_detaches_and_the_chain_still_verifies(
    two_months, tmp_path
):
    january, february = two_months
    result = partitions.detach_and_archive(
        table="audit_auditentry", period="2025-01", dest=tmp_path
    )
    assert result.rows == 3 and not result.dropped
    manifest = json.loads(result.manifest.read_text())
    content = gzip.decompress(result.file.read_bytes())
    assert hashlib.sha256(content).hexdigest() == manifest["rows_sha256"] == result.sha256
    assert hashlib.sha256(result.file.read_bytes()).hexdigest() == manifest["file_sha256"]
    assert content.count(b"\n") == manifest["rows"] == 3
    assert b"test.jan1" in content
    assert "audit_auditentry_p2025_01" not in {
        p.name for p in partitions.partitions("audit_auditentry")
    }
    assert set(AuditEntry.objects.values_list("action", flat=True)) == {"test.feb0", "test.feb1"}
    # the chain steps over the archived links and still checks February's
    report = verify_chain()
    assert report.ok, report
    _tamper("audit_auditentry_p2025_02", february[0].pk, "test.forged")
    assert verify_chain().broken_seq == AuditEntry.objects.get(pk=february[0].pk).seq


@pytest.mark.postgres
@pytest.mark.django_db
def test_archive_drops_the_detached_table_only_when_asked(two_months, tmp_path):
    partitions.detach_and_archive(table="audit_auditentry", period="2025-01", dest=tmp_path)
    assert partitions.is_postgres()
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('audit_auditentry_p2025_01') IS NOT NULL")
        assert cursor.fetchone()[0]  # detached, kept
    result = partitions.detach_and_archive(
        table="audit_auditentry", period="2025-02", dest=tmp_path, drop=True
    )
    assert result.dropped and result.rows == 2
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('audit_auditentry_p2025_02') IS NOT NULL")
        assert not cursor.fetchone()[0]
    assert verify_chain().ok


@pytest.mark.postgres
@pytest.mark.django_db
def test_archive_refuses_a_period_that_is_not_over_or_badly_written(tmp_path):
    this_month = timezone.localdate().strftime("%Y-%m")
    with pytest.raises(PartitionError) as refused:
        partitions.detach_and_archive(table="audit_auditentry", period=this_month, dest=tmp_path)
    assert refused.value.code == PartitionErrorCode.PERIOD_NOT_OVER
    with pytest.raises(PartitionError) as refused:
        partitions.detach_and_archive(table="audit_auditentry", period="2025", dest=tmp_path)
    assert refused.value.code == PartitionErrorCode.INVALID_PERIOD
    with pytest.raises(PartitionError) as refused:
        partitions.detach_and_archive(table="auth_user", period="2025-01", dest=tmp_path)
    assert refused.value.code == PartitionErrorCode.UNKNOWN_TABLE


@pytest.mark.postgres
@pytest.mark.django_db
def test_partitions_command_shows_status_and_ensures(capsys):
    call_command("partitions", "ensure")
    assert "Đã tạo 0 phân vùng" in capsys.readouterr().out
    call_command("partitions", "status")
    out = capsys.readouterr().out
    assert "audit_auditentry (created_at, theo tháng)" in out
    assert "onestop_dossierevent (at, theo năm)" in out


# ---------------------------------------------------------------------------------------
# SQLite
# ---------------------------------------------------------------------------------------


@pytest.mark.sqlite
@pytest.mark.django_db
def test_on_sqlite_the_tables_stay_plain_and_the_command_says_postgresql_only(capsys):
    assert not any(partitions.is_partitioned(spec.table) for spec in partitions.PARTITIONED)
    assert partitions.ensure_partitions() == []
    with pytest.raises(SystemExit) as exited:
        call_command("partitions", "status")
    assert exited.value.code == 1
    assert "PostgreSQL only" in capsys.readouterr().err
