from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpendataConfig(AppConfig):
    name = "tinhso.opendata"
    label = "opendata"
    verbose_name = _("Dữ liệu mở")

    def ready(self) -> None:
        from tinhso.opendata import rules  # noqa: F401  (registers the permission rules)
