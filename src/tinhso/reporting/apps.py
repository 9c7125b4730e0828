from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "tinhso.reporting"
    label = "reporting"
    verbose_name = _("Báo cáo, chỉ tiêu")

    def ready(self) -> None:
        from tinhso.reporting import rules  # noqa: F401  (registers the permission rules)
