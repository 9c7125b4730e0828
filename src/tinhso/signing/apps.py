from django.apps import AppConfig


class SigningConfig(AppConfig):
    name = "tinhso.signing"
    label = "signing"
    verbose_name = "Chữ ký số"

    def ready(self) -> None:
        from tinhso.signing import rules  # noqa: F401
