from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "tinhso.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from tinhso.core import checks, textguard

        checks.register()
        textguard.install()
