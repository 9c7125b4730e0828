from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkdaysConfig(AppConfig):
    name = "tinhso.workdays"
    label = "workdays"
    verbose_name = _("Lịch làm việc")

    def ready(self) -> None:
        from tinhso.workdays import rules  # noqa: F401  (registers the permission rules)
