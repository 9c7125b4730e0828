from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "tinhso.feedback"
    label = "feedback"
    verbose_name = _("Phản ánh hiện trường")

    def ready(self) -> None:
        from tinhso.feedback import rules  # noqa: F401  (registers the permission rules)
