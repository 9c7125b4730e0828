from django.apps import AppConfig


class BackupConfig(AppConfig):
    name = "tinhso.backup"
    label = "backup"
