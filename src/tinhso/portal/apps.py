from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "tinhso.portal"
    label = "portal"
    verbose_name = _("Cổng thông tin điện tử")

    def ready(self) -> None:
        from tinhso.portal import signals  # noqa: F401  (audit trail of editors' changes)
