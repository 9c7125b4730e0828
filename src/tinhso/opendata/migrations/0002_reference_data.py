from django.db import migrations


def load(apps, schema_editor):
    from tinhso.opendata.reference import ensure_reference

    ensure_reference(
        apps.get_model("opendata", "TopicGroup"), apps.get_model("opendata", "Licence")
    )


class Migration(migrations.Migration):
    dependencies = [("opendata", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
