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
        _staff_changes_refresh_people_lists()


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


# what `selectors.officials` reads of an account (its name, whether it may sign in)
_ACCOUNT_FIELDS_SHOWN = frozenset({"uid", "username", "full_name", "is_active"})


def _staff_changes_refresh_people_lists() -> None:
    """The lists of people a dossier page offers are kept (`selectors.official_choices`):
    a role granted or taken back, a post, a unit or an account's name changed makes every
    web process read them again. A sign-in or a second-factor step does not."""
    from django.contrib.auth import get_user_model
    from django.db.models.signals import post_delete, post_save

    from tinhso.accounts.models import RoleGrant
    from tinhso.directory.models import Membership, OrgUnit, Position
    from tinhso.onestop.selectors import PEOPLE

    def refresh(**_kwargs) -> None:
        PEOPLE.changed()

    def account_saved(update_fields=None, **_kwargs) -> None:
        if update_fields is None or _ACCOUNT_FIELDS_SHOWN & set(update_fields):
            PEOPLE.changed()

    for model in (RoleGrant, Membership, OrgUnit, Position):
        for signal in (post_save, post_delete):
            signal.connect(refresh, sender=model, weak=False)
    post_save.connect(account_saved, sender=get_user_model(), weak=False)
    post_delete.connect(refresh, sender=get_user_model(), weak=False)
