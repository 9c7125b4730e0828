from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    name = "tinhso.directory"
    label = "directory"
    verbose_name = _("Danh bạ cơ quan")

    def ready(self) -> None:
        from tinhso.directory import rules  # noqa: F401  (registers the permission rules)
