from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OnestopConfig(AppConfig):
    name = "tinhso.onestop"
    label = "onestop"
    verbose_name = _("Dịch vụ công và một cửa điện tử")

    def ready(self) -> None:
        from tinhso.onestop import rules  # noqa: F401  (registers the permission rules)
        from tinhso.onestop.payments import checks  # noqa: F401  (registers system checks)
        from tinhso.onestop.services import fees  # noqa: F401  (applies payments to dossiers)
