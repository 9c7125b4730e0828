"""Results signed at approval (drafts, the seal setting, the token session) and a tracking
code for every dossier from its submission (existing ones get theirs here)."""

from django.db import migrations, models

import tinhso.onestop.codes


def give_tracking_codes(apps, schema_editor):
    Dossier = apps.get_model("onestop", "Dossier")
    taken = set()
    for dossier in Dossier.objects.filter(tracking_code__isnull=True).only(
        "pk", "submitted_at", "created_at"
    ):
        while True:
            code = tinhso.onestop.codes.new_tracking_code(
                dossier.submitted_at or dossier.created_at
            )
            if code not in taken:
                break
        taken.add(code)
        Dossier.objects.filter(pk=dossier.pk).update(tracking_code=code)


class Migration(migrations.Migration):
    dependencies = [
        ("onestop", "0005_search_synonyms"),
    ]

    operations = [
        migrations.AddField(
            model_name="dossier",
            name="signing_session",
            field=models.CharField(blank=True, default="", max_length=36),
        ),
        migrations.AddField(
            model_name="dossier",
            name="tracking_code",
            field=models.CharField(
                blank=True,
                editable=False,
                max_length=20,
                null=True,
                unique=True,
                verbose_name="mã theo dõi",
            ),
        ),
        migrations.RunPython(give_tracking_codes, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="dossier",
            name="tracking_code",
            field=models.CharField(
                blank=True,
                default=tinhso.onestop.codes.new_tracking_code,
                editable=False,
                max_length=20,
                null=True,
                unique=True,
                verbose_name="mã theo dõi",
            ),
        ),
        migrations.AddField(
            model_name="procedure",
            name="result_needs_seal",
            field=models.BooleanField(
                default=True, verbose_name="kết quả đóng dấu cơ quan (chữ ký số cơ quan)"
            ),
        ),
        migrations.AlterField(
            model_name="dossierfile",
            name="kind",
            field=models.CharField(
                choices=[
                    ("paper", "Thành phần hồ sơ"),
                    ("supplement", "Giấy tờ bổ sung"),
                    ("result", "Kết quả giải quyết"),
                    ("result_draft", "Dự thảo kết quả (chưa ký)"),
                    ("form", "Phiếu, biểu mẫu"),
                    ("receipt", "Biên lai"),
                ],
                default="paper",
                max_length=12,
            ),
        ),
    ]
