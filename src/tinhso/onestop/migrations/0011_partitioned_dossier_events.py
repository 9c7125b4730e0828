"""On PostgreSQL, dossier events become a table partitioned by year of `at`
(`tinhso.core.partitions`); a no-op on SQLite."""

from django.db import migrations


def forward(apps, schema_editor):
    from tinhso.core.partitions import convert_to_partitioned

    convert_to_partitioned(schema_editor, "onestop_dossierevent")


def backward(apps, schema_editor):
    from tinhso.core.partitions import revert_to_plain

    revert_to_plain(schema_editor, "onestop_dossierevent")


class Migration(migrations.Migration):
    dependencies = [("onestop", "0010_issued_form_event_without_fk")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
