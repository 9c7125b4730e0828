from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "tinhso.feedback"
    label = "feedback"
    verbose_name = _("Phản ánh hiện trường")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from tinhso.directory.models import Agency
        from tinhso.feedback import reference, rules  # noqa: F401  (rules: the permissions)
        from tinhso.feedback.models import Category, Route, Tier

        # Kept in each process (feedback.reference); an agency may stop being active.
        for model in (Category, Tier, Route, Agency):
            post_save.connect(reference.changed, sender=model)
            post_delete.connect(reference.changed, sender=model)
