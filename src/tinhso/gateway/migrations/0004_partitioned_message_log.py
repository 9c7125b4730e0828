"""On PostgreSQL, the LGSP message log becomes a table partitioned by month of
`started_at` (`tinhso.core.partitions`); a no-op on SQLite."""

from django.db import migrations


def forward(apps, schema_editor):
    from tinhso.core.partitions import convert_to_partitioned

    convert_to_partitioned(schema_editor, "gateway_messagelog")


def backward(apps, schema_editor):
    from tinhso.core.partitions import revert_to_plain

    revert_to_plain(schema_editor, "gateway_messagelog")


class Migration(migrations.Migration):
    dependencies = [("gateway", "0003_connectors")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
