"""PostgreSQL only: search indexes that answer a province's volumes.

- The full-text GIN index also holds the agency and the UTC day (btree_gin), so a search
  asks for one window of days at a time and reads from the table only the window's
  matches, instead of every match to order them by date (selectors._pg_candidates).
- The incoming `search_tsv` also holds the folded sender, so a sender typed as free text
  ("bo tai chinh") is found by the same words index, as on SQLite, where each word may be
  in the subject, the text or the sender. It was a separate `sender_folded LIKE '%...%'`
  query, which for a phrase no sender contains walked every document.
SQLite keeps LIKE over the folded columns.
"""

from django.db import migrations

SEARCH = {
    "documents_incomingdocument": ("incoming_search_by_day", "arrived_at"),
    "documents_outgoingdocument": ("outgoing_search_by_day", "created_at"),
}


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    incoming = "documents_incomingdocument"
    schema_editor.execute(f"ALTER TABLE {incoming} DROP COLUMN search_tsv")  # and its index
    schema_editor.execute(
        f"ALTER TABLE {incoming} ADD COLUMN search_tsv tsvector GENERATED ALWAYS AS "
        "(to_tsvector('simple'::regconfig, coalesce(subject_folded, '') || ' ' || "
        "coalesce(text_folded, '') || ' ' || coalesce(sender_folded, ''))) STORED"
    )
    for table, (name, date_field) in SEARCH.items():
        schema_editor.execute(f"DROP INDEX IF EXISTS {table}_tsv")
        schema_editor.execute(
            f"CREATE INDEX {name} ON {table} USING gin "
            f"(search_tsv, agency_id, (({date_field} AT TIME ZONE 'UTC')::date))"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    incoming = "documents_incomingdocument"
    schema_editor.execute(f"ALTER TABLE {incoming} DROP COLUMN search_tsv")
    schema_editor.execute(
        f"ALTER TABLE {incoming} ADD COLUMN search_tsv tsvector GENERATED ALWAYS AS "
        "(to_tsvector('simple'::regconfig, coalesce(subject_folded, '') || ' ' || "
        "coalesce(text_folded, ''))) STORED"
    )
    for table, (name, _date_field) in SEARCH.items():
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
        schema_editor.execute(f"CREATE INDEX {table}_tsv ON {table} USING gin (search_tsv)")


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0006_recipients_reply_and_groups"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
