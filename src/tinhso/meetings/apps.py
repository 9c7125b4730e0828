from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    name = "tinhso.meetings"
    label = "meetings"
    verbose_name = _("Họp không giấy")

    def ready(self) -> None:
        from tinhso.meetings import rules  # noqa: F401  (registers the permission rules)
