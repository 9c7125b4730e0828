"""DossierFile.origin: say truthfully where a dossier's file came from.

Before this, every upload of a citizen was also put in their wallet, so a wallet link
does not tell a pick from an upload. Existing rows: a file whose wallet item existed
before the file was attached was picked from the wallet; a wallet item created with the
file came from the upload; files attached by someone other than the applicant came from
an official.
"""

from datetime import timedelta

from django.db import migrations, models


def backfill(apps, schema_editor):
    DossierFile = apps.get_model("onestop", "DossierFile")
    rows = DossierFile.objects.select_related("wallet_item", "dossier").only(
        "pk", "created_at", "uploaded_by_id", "wallet_item__created_at", "dossier__applicant_id"
    )
    for row in rows.iterator(chunk_size=500):
        if row.wallet_item_id and row.wallet_item.created_at < row.created_at - timedelta(
            seconds=5
        ):
            origin = "wallet"
        elif row.uploaded_by_id and row.uploaded_by_id != row.dossier.applicant_id:
            origin = "official"
        else:
            origin = "upload"
        if origin != "upload":
            DossierFile.objects.filter(pk=row.pk).update(origin=origin)


class Migration(migrations.Migration):
    dependencies = [
        ("onestop", "0002_statistics_rollup"),
    ]

    operations = [
        migrations.AddField(
            model_name="dossierfile",
            name="origin",
            field=models.CharField(
                choices=[
                    ("upload", "tải lên trực tiếp"),
                    ("wallet", "chọn từ kho giấy tờ"),
                    ("eform", "tạo từ tờ khai điện tử"),
                    ("official", "cán bộ đính kèm"),
                ],
                default="upload",
                max_length=10,
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
