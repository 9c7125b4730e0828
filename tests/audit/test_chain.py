"""The hash chain: appends link up; any change, deletion or reordering is reported."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection

from tinhso.audit.models import AuditEntry
from tinhso.audit.selectors import verify_chain
from tinhso.audit.services import GENESIS_HASH, record


def _append(n: int) -> list[AuditEntry]:
    return [
        record(
            actor=None,
            action="test.act",
            object_type="test.thing",
            object_id=str(i),
            summary={"i": i, "tên": "Sở Tài chính", "nested": {"b": 1, "a": [1, 2.5]}},
            ip="10.0.0.1",
        )
        for i in range(n)
    ]


def _raw(sql: str, params=()) -> None:
    """Tamper with the table behind the application's back.

    On PostgreSQL the append-only triggers are switched off for the statement (inside
    the test's transaction, rolled back afterwards), as a DBA with DDL rights could.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER USER")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER USER")


@pytest.mark.django_db
def test_record_links_each_entry_to_the_previous_hash_with_gapless_seqs():
    entries = _append(3)
    assert [e.seq for e in entries] == [1, 2, 3]
    assert entries[0].prev_hash == GENESIS_HASH
    assert entries[1].prev_hash == entries[0].hash
    assert entries[2].prev_hash == entries[1].hash
    report = verify_chain()
    assert report.ok and report.checked == 3


@pytest.mark.django_db
def test_empty_trail_verifies():
    assert verify_chain().ok


@pytest.mark.django_db
def test_record_keeps_invalid_ip_out_and_normalises_ipv6():
    bad = record(actor=None, action="test.ip", ip="not-an-ip, 1.2.3.4")
    good = record(actor=None, action="test.ip", ip="2001:0db8:0000:0000:0000:0000:0000:0001")
    assert bad.ip is None
    assert good.ip == "2001:db8::1"
    assert verify_chain().ok


@pytest.mark.django_db
def test_verify_reports_a_changed_row_at_its_seq():
    _append(5)
    _raw("UPDATE audit_auditentry SET summary = %s WHERE seq = 3", ['{"i": 999}'])
    report = verify_chain()
    assert not report.ok
    assert report.broken_seq == 3
    assert report.checked == 2
    assert "thay đổi" in report.reason


@pytest.mark.django_db
def test_verify_reports_a_deleted_row():
    _append(5)
    _raw("DELETE FROM audit_auditentry WHERE seq = 2")
    report = verify_chain()
    assert not report.ok
    assert report.broken_seq == 2
    assert "thiếu" in report.reason


@pytest.mark.django_db
def test_verify_reports_the_last_row_deleted():
    _append(4)
    _raw("DELETE FROM audit_auditentry WHERE seq = 4")
    report = verify_chain()
    assert not report.ok
    assert report.broken_seq == 4


@pytest.mark.django_db
def test_verify_reports_reordered_rows():
    _append(5)
    # swap rows 2 and 3 by their sequence numbers
    _raw("UPDATE audit_auditentry SET seq = -2 WHERE seq = 2")
    _raw("UPDATE audit_auditentry SET seq = 2 WHERE seq = 3")
    _raw("UPDATE audit_auditentry SET seq = 3 WHERE seq = -2")
    report = verify_chain()
    assert not report.ok
    assert report.broken_seq == 2
    assert "sắp xếp lại" in report.reason


@pytest.mark.django_db
def test_verify_reports_a_rewritten_tail_that_no_longer_matches_the_head():
    entries = _append(3)
    # A forger recomputes a consistent hash for the last row, but the head remembers.
    _raw("UPDATE audit_auditentry SET hash = %s WHERE seq = 3", ["f" * 64])
    report = verify_chain()
    assert not report.ok and report.broken_seq == 3
    assert entries


@pytest.mark.django_db
def test_audit_verify_command_says_intact_or_names_the_first_broken_link():
    _append(3)
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    assert "toàn vẹn: 3 bản ghi" in out.getvalue()
    _raw("UPDATE audit_auditentry SET action = 'forged' WHERE seq = 2")
    err = io.StringIO()
    with pytest.raises(SystemExit) as exc:
        call_command("audit", "verify", stdout=io.StringIO(), stderr=err)
    assert exc.value.code == 1
    assert "#2" in err.getvalue()


@pytest.mark.django_db
def test_record_inside_a_rolled_back_transaction_leaves_no_gap():
    from django.db import transaction

    _append(2)
    with pytest.raises(RuntimeError), transaction.atomic():
        record(actor=None, action="test.rolled_back")
        raise RuntimeError("use-case failed")
    entry = record(actor=None, action="test.after")
    assert entry.seq == 3
    assert verify_chain().ok


@pytest.mark.django_db
def test_awkward_summaries_are_stored_and_still_verify():
    from datetime import date
    from decimal import Decimal

    record(
        actor=None,
        action="test.awkward",
        summary={
            "when": date(2026, 2, 17),
            "amount": Decimal("1500000"),
            1: "int key",
            "nul": "a\x00b",
        },
    )
    record(actor=None, action="test.nan", summary={"ratio": float("nan")})
    assert verify_chain().ok
