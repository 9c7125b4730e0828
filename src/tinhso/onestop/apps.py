from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OnestopConfig(AppConfig):
    name = "tinhso.onestop"
    label = "onestop"
    verbose_name = _("Dịch vụ công và một cửa điện tử")

    def ready(self) -> None:
        from tinhso.onestop import rules  # noqa: F401  (registers the permission rules)
        from tinhso.onestop.payments import checks  # noqa: F401  (registers system checks)
        from tinhso.onestop.services import fees  # noqa: F401  (applies payments to dossiers)

        _catalogue_changes_refresh_public_pages()


def _catalogue_changes_refresh_public_pages() -> None:
    """The public catalogue pages are kept rendered (tinhso.core.pagecache): any write to
    what they show makes every web process render them again."""
    from django.db.models.signals import post_delete, post_save

    from tinhso.core import pagecache
    from tinhso.directory.models import Agency
    from tinhso.onestop import models

    def refresh(**_kwargs) -> None:
        pagecache.changed()

    shown = (
        models.Field,
        models.Procedure,
        models.RequiredPaper,
        models.ProcessTemplate,
        models.ProcessStep,
        models.SearchSynonym,
        Agency,
    )
    for model in shown:
        for signal in (post_save, post_delete):
            signal.connect(refresh, sender=model, weak=False)
