"""How the packages' bytes are stored (PostgreSQL): out of line, not compressed (a
package is mostly base64 of compressed files: compressing it was CPU for nothing)."""

from __future__ import annotations

import pytest
from django.db import connection

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def test_the_packages_are_stored_out_of_line_without_compression():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attrelid::regclass::text, attstorage FROM pg_attribute "
            "WHERE attname = 'payload' AND attrelid IN "
            "('exchange_outboxmessage'::regclass, 'exchange_inboxitem'::regclass)"
        )
        assert dict(cursor.fetchall()) == {
            "exchange_outboxmessage": "e",
            "exchange_inboxitem": "e",
        }
