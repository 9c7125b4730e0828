from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "tinhso.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from tinhso.core import checks, textguard
        from tinhso.core.cache import create_cache_tables

        checks.register()
        textguard.install()
        # `tinhso migrate` also creates the database cache's table (shared rate limits).
        post_migrate.connect(create_cache_tables, sender=self)
