"""A rule for brute force from one address (Wazuh's `authentication_failures` too)."""

from django.db import migrations

RULE = dict(
    code="brute-force-source",
    name="Nhiều lần xác thực sai từ một địa chỉ",
    description="10 lần xác thực sai (mọi tài khoản) từ cùng một địa chỉ IP trong 5 phút.",
    conditions=[
        {
            "field": "groups",
            "op": "contains_any",
            "value": ["authentication_failed", "authentication_failures"],
        },
        {"field": "src_ip", "op": "exists"},
    ],
    threshold=10,
    window_seconds=300,
    group_by=["src_ip"],
    severity="high",
    category="brute_force",
    dedup_seconds=3600,
)


def add(apps, schema_editor):
    Rule = apps.get_model("security", "Rule")
    Rule.objects.update_or_create(code=RULE["code"], defaults=RULE)


class Migration(migrations.Migration):
    dependencies = [("security", "0002_seed")]

    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
