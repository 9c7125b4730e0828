from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CounterConfig(AppConfig):
    name = "tinhso.counter"
    label = "counter"
    verbose_name = _("Trung tâm phục vụ hành chính công")

    def ready(self) -> None:
        from tinhso.counter import (
            rules,  # noqa: F401  (registers the permission rules)
            services,  # noqa: F401  (links dossiers received from tickets)
        )
