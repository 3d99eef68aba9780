"""A GIN index that exists only on PostgreSQL, for the jieba-segmented search column."""

from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex
from django.db.backends.ddl_references import Statement


class SearchGinIndex(GinIndex):
    """``GinIndex`` on PostgreSQL; on other backends a no-op.

    SQLite indexes the same column with FTS5 (see catalogue.search) and cannot build a GIN index.
    Without this, Django's SQLite table rebuilds would try to re-create it and fail.
    """

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor != "postgresql":
            return Statement("SELECT 1")
        return super().create_sql(model, schema_editor, using=using, **kwargs)

    def remove_sql(self, model, schema_editor, **kwargs):
        if schema_editor.connection.vendor != "postgresql":
            return Statement("SELECT 1")
        return super().remove_sql(model, schema_editor, **kwargs)
