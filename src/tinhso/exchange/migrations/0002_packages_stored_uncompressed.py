"""On PostgreSQL, the packages' bytes are stored out of line without compression
(STORAGE EXTERNAL). A package is mostly base64 of files that are compressed already
(PDF streams): the default (EXTENDED) ran pglz over every one of them, found it does not
shrink by a quarter and stored it as it was — about 2 ms of the database's CPU wasted per
100 KB package written, at the sender (outbox) and at the receiver (inbox). Reading them
whole (verification, registration) is unchanged; a substring is even cheaper."""

from django.db import migrations

COLUMNS = (("exchange_outboxmessage", "payload"), ("exchange_inboxitem", "payload"))


def _storage(kind: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for table, column in COLUMNS:
            schema_editor.execute(
                f"ALTER TABLE {schema_editor.quote_name(table)} ALTER COLUMN "
                f"{schema_editor.quote_name(column)} SET STORAGE {kind}",
                params=None,
            )

    return run


class Migration(migrations.Migration):
    dependencies = [("exchange", "0001_initial")]

    operations = [migrations.RunPython(_storage("EXTERNAL"), _storage("EXTENDED"))]
