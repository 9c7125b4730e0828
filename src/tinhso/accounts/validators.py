"""Password policy beyond Django's validators: letters and digits at least."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class CharacterClassValidator:
    def validate(self, password: str, user=None) -> None:
        if not any(c.isalpha() for c in password) or not any(c.isdigit() for c in password):
            raise ValidationError(
                _("Mật khẩu phải có cả chữ cái và chữ số."), code="password_character_classes"
            )

    def get_help_text(self) -> str:
        return _("Mật khẩu phải có cả chữ cái và chữ số.")
