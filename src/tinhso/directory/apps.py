from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    name = "tinhso.directory"
    label = "directory"
    verbose_name = _("Danh bạ cơ quan")

    def ready(self) -> None:
        from tinhso.directory import rules  # noqa: F401  (registers the permission rules)

        _agency_changes_refresh_options()


def _agency_changes_refresh_options() -> None:
    """The agencies a form offers are kept (`selectors.agency_options`): an agency added,
    renamed, merged or closed makes every web process read them again."""
    from django.db.models.signals import post_delete, post_save

    from tinhso.directory.models import Agency
    from tinhso.directory.selectors import AGENCIES

    def refresh(**_kwargs) -> None:
        AGENCIES.changed()

    for signal in (post_save, post_delete):
        signal.connect(refresh, sender=Agency, weak=False)
