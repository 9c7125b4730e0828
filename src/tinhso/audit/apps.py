from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "tinhso.audit"
    label = "audit"
