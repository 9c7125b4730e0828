from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "tinhso.accounts"
    label = "accounts"
    verbose_name = _("Tài khoản và vai trò")

    def ready(self) -> None:
        from tinhso.accounts import (  # noqa: F401  (register rules and the schema extension)
            authentication,
            rules,
        )
