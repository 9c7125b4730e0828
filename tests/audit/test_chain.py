"""The hash chain: appends link up; any change, deletion or reordering is reported."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection

from tinhso.audit.models import AuditEntry
from tinhso.audit.selectors import verify_chain
from tinhso.audit.services import GENESIS_HASH, content_digest, pending_count, record, seal_pending


def _append(n: int, seal: bool = True) -> list[AuditEntry]:
    entries = [
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
    if seal:
        seal_pending()
    return [AuditEntry.objects.get(pk=e.pk) for e in entries]


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
def test_record_inserts_unsealed_entries_with_their_content_digest():
    entries = _append(2, seal=False)
    assert [(e.seq, e.prev_hash, e.hash, e.sealed) for e in entries] == [
        (None, None, None, False)
    ] * 2
    stored = AuditEntry.objects.get(pk=entries[0].pk)
    assert stored.content_hash == content_digest(
        created_at=stored.created_at,
        actor_id=None,
        actor_name="system",
        action="test.act",
        object_type="test.thing",
        object_id="0",
        agency_id=None,
        summary=stored.summary,
        ip="10.0.0.1",
    )
    assert pending_count() == 2
    report = verify_chain()
    assert report.ok and report.checked == 0 and report.unsealed == 2


@pytest.mark.django_db
def test_seal_links_each_entry_to_the_previous_hash_with_gapless_seqs():
    entries = _append(3)
    assert [e.seq for e in entries] == [1, 2, 3]
    assert entries[0].prev_hash == GENESIS_HASH
    assert entries[1].prev_hash == entries[0].hash
    assert entries[2].prev_hash == entries[1].hash
    report = verify_chain()
    assert report.ok and report.checked == 3 and report.unsealed == 0


@pytest.mark.django_db
def test_sealing_is_idempotent_and_continues_the_chain_in_batches():
    _append(5, seal=False)
    assert seal_pending(limit=2) == 2
    assert seal_pending(batch_size=2) == 3  # batches of 2, 1
    assert seal_pending() == 0
    before = list(AuditEntry.objects.order_by("seq").values_list("id", "seq", "hash"))
    assert seal_pending() == 0
    assert list(AuditEntry.objects.order_by("seq").values_list("id", "seq", "hash")) == before
    more = _append(2)
    assert [e.seq for e in more] == [6, 7]
    assert more[0].prev_hash == before[-1][2]
    assert verify_chain().ok and verify_chain().checked == 7


@pytest.mark.django_db
def test_empty_trail_verifies():
    assert verify_chain().ok


@pytest.mark.django_db
def test_record_keeps_invalid_ip_out_and_normalises_ipv6():
    bad = record(actor=None, action="test.ip", ip="not-an-ip, 1.2.3.4")
    good = record(actor=None, action="test.ip", ip="2001:0db8:0000:0000:0000:0000:0000:0001")
    assert bad.ip is None
    assert good.ip == "2001:db8::1"
    assert seal_pending() == 2
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
    assert "chưa niêm phong" not in out.getvalue()
    _raw("UPDATE audit_auditentry SET action = 'forged' WHERE seq = 2")
    err = io.StringIO()
    with pytest.raises(SystemExit) as exc:
        call_command("audit", "verify", stdout=io.StringIO(), stderr=err)
    assert exc.value.code == 1
    assert "#2" in err.getvalue()


@pytest.mark.django_db
def test_audit_verify_seals_first_and_no_seal_reports_unsealed_entries_apart():
    _append(2)
    _append(3, seal=False)
    out = io.StringIO()
    call_command("audit", "verify", "--no-seal", stdout=out)
    assert "3 bản ghi chưa niêm phong" in out.getvalue()
    assert "toàn vẹn: 2 bản ghi" in out.getvalue()
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    assert "Đã niêm phong 3 bản ghi" in out.getvalue()
    assert "toàn vẹn: 5 bản ghi" in out.getvalue()
    assert "chưa niêm phong (" not in out.getvalue()


@pytest.mark.django_db
def test_audit_seal_command_seals_what_is_pending():
    _append(4, seal=False)
    out = io.StringIO()
    call_command("audit", "seal", stdout=out)
    assert "Đã niêm phong 4 bản ghi" in out.getvalue()
    assert pending_count() == 0 and verify_chain().checked == 4


@pytest.mark.django_db
def test_content_changed_before_sealing_is_caught_once_sealed():
    _append(2)
    _append(2, seal=False)
    _raw("UPDATE audit_auditentry SET action = 'forged' WHERE seq IS NULL AND object_id = '1'")
    assert verify_chain().ok  # not yet sealed: not checked
    seal_pending()
    report = verify_chain()
    assert not report.ok and report.broken_seq == 4
    assert "thay đổi" in report.reason


@pytest.mark.django_db
def test_record_inside_a_rolled_back_transaction_leaves_no_gap():
    from django.db import transaction

    _append(2)
    with pytest.raises(RuntimeError), transaction.atomic():
        record(actor=None, action="test.rolled_back")
        raise RuntimeError("use-case failed")
    entry = record(actor=None, action="test.after")
    assert seal_pending() == 1
    assert AuditEntry.objects.get(pk=entry.pk).seq == 3
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
    assert seal_pending() == 2
    assert verify_chain().ok


@pytest.mark.django_db
def test_entries_recorded_together_are_each_an_entry_sealed_in_order_and_verified():
    """`record_many` (a batch of arrivals at the exchange): one entry per item, each with
    its own content digest, sealed in the order given, and the chain verifies."""
    from tinhso.audit.services import record_many

    record(actor=None, action="test.before", object_type="test.thing", object_id="0")
    written = record_many(
        [
            dict(
                actor=None,
                action="test.batch",
                object_type="test.thing",
                object_id=str(i),
                summary={"i": i, "tên": "Sở Tài chính"},
                ip="10.0.0.2",
            )
            for i in range(1, 4)
        ]
    )
    assert written == 3
    seal_pending()
    rows = list(AuditEntry.objects.order_by("seq"))
    assert [(e.seq, e.object_id) for e in rows] == [(1, "0"), (2, "1"), (3, "2"), (4, "3")]
    for entry in rows[1:]:
        assert entry.content_hash == content_digest(
            created_at=entry.created_at,
            actor_id=None,
            actor_name="system",
            action="test.batch",
            object_type="test.thing",
            object_id=entry.object_id,
            agency_id=None,
            summary=entry.summary,
            ip="10.0.0.2",
        )
    report = verify_chain()
    assert report.ok and report.checked == 4
