"""Large binary values bound on the server (core.binding.server_side_binding): the bytes
are stored exactly, and the connection goes back to client-side binding after."""

from __future__ import annotations

import random

import pytest
from django.db import connection

from tinhso.core.binding import server_side_binding

pytestmark = pytest.mark.django_db


def _agency():
    from tinhso.directory.models import Agency

    return Agency.objects.create(code="H99.10", name="Sở Thử Nghiệm", kind="department")


def _status_message(agency, i: int, **fields):
    from tinhso.exchange.models import OutboxMessage

    return OutboxMessage(
        kind=OutboxMessage.Kind.STATUS,
        sender_agency=agency,
        sender_code="000.00.10.H99",
        receiver_code="000.00.20.H98",
        document_id=f"000.00.10.H99,2026/01/02,{i}/UBND-VP",
        spec={"type": "status"},
        sha256="",
        **{"payload": b"", **fields},
    )


def _outbox_rows(**fields):
    """Four status messages waiting in the outbox, with empty packages."""
    from tinhso.exchange.models import OutboxMessage

    agency = _agency()
    return OutboxMessage.objects.bulk_create(
        [_status_message(agency, i, **fields) for i in range(4)]
    )


def _payloads() -> list[bytes]:
    # every byte value, and lengths around what escaping treats specially
    return [bytes(range(256)) * 40, b"", b"\\x00'\"{},", random.Random(9).randbytes(200_000)]


def test_a_bulk_insert_inside_keeps_every_byte():
    from tinhso.exchange.models import OutboxMessage

    agency = _agency()
    rows = [_status_message(agency, i, payload=p) for i, p in enumerate(_payloads())]
    with server_side_binding():
        OutboxMessage.objects.bulk_create(rows)
    stored = dict(
        OutboxMessage.objects.filter(pk__in=[r.pk for r in rows]).values_list("pk", "payload")
    )
    assert [bytes(stored[r.pk]) for r in rows] == _payloads()


def test_an_array_of_packages_in_binary_format_keeps_every_byte():
    """The outbox's packages saved by one UPDATE over arrays (exchange.tasks._save_built)."""
    from tinhso.exchange.models import OutboxMessage
    from tinhso.exchange.tasks import _save_built

    rows = _outbox_rows()
    for row, payload in zip(rows, _payloads(), strict=True):
        row.payload, row.sha256, row.size = payload, f"{len(payload)}", len(payload)
    _save_built(rows)
    stored = {
        pk: (bytes(payload), sha256, size)
        for pk, payload, sha256, size in OutboxMessage.objects.filter(
            pk__in=[r.pk for r in rows]
        ).values_list("pk", "payload", "sha256", "size")
    }
    assert [stored[r.pk] for r in rows] == [(p, f"{len(p)}", len(p)) for p in _payloads()]


def test_the_connection_binds_on_the_client_again_after():
    connection.ensure_connection()
    if connection.vendor != "postgresql":
        with server_side_binding():
            pass  # nothing to switch: SQLite binds its own way
        return
    before = connection.connection.cursor_factory
    with server_side_binding():
        assert connection.connection.cursor_factory is not before
        with connection.cursor() as cursor:
            cursor.execute("SELECT %s::bytea", [b"\x00\xff"])
            assert bytes(cursor.fetchone()[0]) == b"\x00\xff"
    assert connection.connection.cursor_factory is before


def test_rows_updated_over_arrays_get_their_own_values_and_the_others_are_untouched():
    """`update_rows`: one UPDATE over arrays on PostgreSQL (bulk_update elsewhere) —
    text with quotes and braces, nulls, times, integers, each row its own."""
    import datetime as dt

    from tinhso.core.binding import update_rows
    from tinhso.exchange.models import OutboxMessage

    rows = _outbox_rows(last_error="trước")
    when = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    changed = rows[:3]
    for i, row in enumerate(changed):
        row.last_error = ['lỗi "một", {hai}', "", "a\\b,c"][i]
        row.next_attempt_at = None if i == 1 else when + dt.timedelta(minutes=i)
        row.attempts = i + 7
    update_rows(changed, ["last_error", "next_attempt_at", "attempts"])
    stored = {
        r.pk: (r.last_error, r.next_attempt_at, r.attempts)
        for r in OutboxMessage.objects.filter(pk__in=[r.pk for r in rows])
    }
    assert [stored[r.pk] for r in changed] == [
        ('lỗi "một", {hai}', when, 7),
        ("", None, 8),
        ("a\\b,c", when + dt.timedelta(minutes=2), 9),
    ]
    assert stored[rows[3].pk] == ("trước", None, 0)
