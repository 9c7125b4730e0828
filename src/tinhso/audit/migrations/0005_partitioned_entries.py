"""On PostgreSQL, the audit trail becomes a table partitioned by month of `created_at`
(`tinhso.core.partitions`): same columns, data, id sequence, indexes and the append-only
guard triggers (declared on the parent, cloned into every partition). The primary key
becomes (id, created_at) and the unique constraint on `seq` a plain index (the sealer
assigns `seq` under the chain head's lock; `audit verify` reports a duplicate). A no-op
on SQLite."""

from django.db import migrations


def forward(apps, schema_editor):
    from tinhso.core.partitions import convert_to_partitioned

    convert_to_partitioned(schema_editor, "audit_auditentry")


def backward(apps, schema_editor):
    from tinhso.core.partitions import revert_to_plain

    revert_to_plain(schema_editor, "audit_auditentry")


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_sealing_guard"), ("core", "0002_archived_partition")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
