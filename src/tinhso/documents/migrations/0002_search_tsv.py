"""PostgreSQL only: a generated tsvector over the folded text with a GIN index.

Folded text (no diacritics, đ→d, lower case) with the 'simple' configuration, so
"uy ban nhan dan tinh" and "da nang" match what was written with full Vietnamese marks.
SQLite keeps the folded columns and searches them with LIKE (see selectors.search).
"""

from django.db import migrations

TABLES = ["documents_incomingdocument", "documents_outgoingdocument"]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(
            f"ALTER TABLE {table} ADD COLUMN search_tsv tsvector GENERATED ALWAYS AS "
            "(to_tsvector('simple'::regconfig, coalesce(subject_folded, '') || ' ' || "
            "coalesce(text_folded, ''))) STORED"
        )
        schema_editor.execute(f"CREATE INDEX {table}_tsv ON {table} USING gin (search_tsv)")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {table}_tsv")
        schema_editor.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS search_tsv")


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
