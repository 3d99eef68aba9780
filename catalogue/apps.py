from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _install_search_indexes(sender, using, **kwargs) -> None:
    # Django rebuilds a SQLite table on some schema changes, dropping its triggers; re-create the
    # FTS5 triggers (and rebuild the index) after every migrate. A no-op on PostgreSQL.
    from django.db import connections

    from catalogue.search import install_all

    install_all(connections[using])


class CatalogueConfig(AppConfig):
    name = "catalogue"
    verbose_name = "政策与产品目录"

    def ready(self) -> None:
        post_migrate.connect(_install_search_indexes, sender=self)
