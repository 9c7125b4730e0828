from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GatewayConfig(AppConfig):
    name = "tinhso.gateway"
    label = "gateway"
    verbose_name = _("Nền tảng tích hợp, chia sẻ dữ liệu (LGSP)")

    def ready(self) -> None:
        from tinhso.gateway import rules  # noqa: F401  (registers the permission rules)
