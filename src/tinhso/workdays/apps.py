from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkdaysConfig(AppConfig):
    name = "tinhso.workdays"
    label = "workdays"
    verbose_name = _("Lịch làm việc")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from tinhso.workdays import rules  # noqa: F401  (registers the permission rules)
        from tinhso.workdays.models import CalendarException
        from tinhso.workdays.services import EXCEPTIONS

        def changed(**_kwargs) -> None:
            EXCEPTIONS.changed()

        post_save.connect(changed, sender=CalendarException, weak=False)
        post_delete.connect(changed, sender=CalendarException, weak=False)
