from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SecurityConfig(AppConfig):
    name = "tinhso.security"
    label = "security"
    verbose_name = _("Giám sát an toàn thông tin")

    def ready(self) -> None:
        from tinhso.security import receivers, rules  # noqa: F401 (registers the rules)

        receivers.connect()
