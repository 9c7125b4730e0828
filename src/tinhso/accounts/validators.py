"""Password policy beyond Django's validators: letters and digits at least."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from tinhso.accounts.errors import AccountsErrorCode


class CharacterClassValidator:
    def validate(self, password: str, user=None) -> None:
        if not any(c.isalpha() for c in password) or not any(c.isdigit() for c in password):
            raise ValidationError(
                _("Mật khẩu phải có cả chữ cái và chữ số."),
                code=AccountsErrorCode.PASSWORD_CHARACTER_CLASSES,
            )

    def get_help_text(self) -> str:
        return _("Mật khẩu phải có cả chữ cái và chữ số.")
