from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "tinhso.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate

        from tinhso.core import checks, textguard
        from tinhso.core.cache import create_cache_tables
        from tinhso.core.collation import register_sqlite

        checks.register()
        textguard.install()
        # `tinhso migrate` also creates the database cache's table (shared rate limits).
        post_migrate.connect(create_cache_tables, sender=self)
        # ... and the partitions of the current and next periods (PostgreSQL).
        post_migrate.connect(_ensure_partitions, sender=self)
        # ORDER BY … COLLATE "vi" (Vietnamese order) on SQLite: tinhso.core.collation.
        connection_created.connect(register_sqlite, dispatch_uid="tinhso.core.vi_collation")


def _ensure_partitions(using: str = "default", **kwargs) -> None:
    from tinhso.core.partitions import ensure_partitions

    if using == "default":
        ensure_partitions()
