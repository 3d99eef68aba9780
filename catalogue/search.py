"""Chinese full-text search of the catalogue, with the same ranked results on SQLite and PostgreSQL.

Chinese has no spaces, so neither database can find a two-character word such as 贴息 inside
unsegmented text (trigram indexes need three characters; ``to_tsvector`` sees one long token).
The services that write a policy or product therefore store its text segmented into words by jieba
(search mode, which also emits the shorter words inside long ones: 知识产权 → 知识 产权 知识产权), one
space-separated, lower-cased word each, in ``search_text`` (everything) and ``search_title``.

Matching uses each backend's word index over ``search_text``: PostgreSQL a GIN index on
``to_tsvector('simple', search_text)``, SQLite an FTS5 table (``unicode61`` tokenizer) kept in step
by triggers. Both split on the spaces we put in, so both see exactly the same words. Ranking is a
portable SQL expression (how often each query word occurs, title words weighted ×4), computed only
on the matched rows, so the order is identical on both backends by construction; ties fall back to
the newest record.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from django.db import connection
from django.db.models import ExpressionWrapper, F, IntegerField, Q, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Length, Replace

if TYPE_CHECKING:
    from django.db.models import QuerySet

USER_DICT = Path(__file__).resolve().parent / "jieba_userdict.txt"
TITLE_WEIGHT = 4
MAX_QUERY_WORDS = 12

# Letters and digits only: the PostgreSQL ``simple`` parser and FTS5 ``unicode61`` agree on how to
# split such runs, whereas punctuation ("3.75%", "a_b") is split differently by each.
_WORD_RE = re.compile(r"[^\W_]+")

_tokenizer = None
_lock = threading.Lock()


def _get_tokenizer():
    """jieba's tokenizer with the finance user dictionary, built once per process on first use.

    Building it takes about a second, so it stays off the import path of settings and models.
    """
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()
                tokenizer.initialize()
                tokenizer.load_userdict(str(USER_DICT))
                _tokenizer = tokenizer
    return _tokenizer


def segment_words(text: str) -> list[str]:
    """The words of ``text`` in search mode, lower-cased, punctuation dropped, in order."""
    if not text:
        return []
    words: list[str] = []
    for piece in _get_tokenizer().cut_for_search(text):
        words.extend(w.lower() for w in _WORD_RE.findall(piece))
    return words


def search_column(*texts: str | None) -> str:
    """The value of a ``search_text``/``search_title`` column: the words of ``texts``, padded.

    Words are separated by two spaces and the value is padded by one, so that every occurrence
    of a word has spaces of its own on both sides and the ranking can count `` word `` without
    overlapping matches. Both word indexes ignore the extra spaces.
    """
    words: list[str] = []
    for text in texts:
        words.extend(segment_words(text or ""))
    return f" {'  '.join(words)} " if words else ""


def query_words(query: str) -> list[str]:
    """The distinct words of a user's query, segmented the same way as the documents."""
    seen: dict[str, None] = {}
    for word in segment_words(query.strip()[:200]):
        seen.setdefault(word, None)
    return list(seen)[:MAX_QUERY_WORDS]


class ByteLength(Length):
    """The length of a text in bytes on PostgreSQL (no character counting: one pass less over
    the text), in characters elsewhere. Either counts a word's occurrences exactly when divided
    by the needle's length in the same unit (see ``_occurrences``)."""

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, function="OCTET_LENGTH", **extra_context)


def _occurrences(column: str, word: str):
    needle = f" {word} "
    unit = len(needle.encode()) if connection.vendor == "postgresql" else len(needle)
    removed = ByteLength(F(column)) - ByteLength(Replace(F(column), Value(needle), Value("")))
    return removed / unit


def rank_expression(words: Iterable[str]):
    """Portable relevance: occurrences of each word in the text, plus ×4 in the title."""
    total = None
    for word in words:
        term = _occurrences("search_text", word) + TITLE_WEIGHT * _occurrences("search_title", word)
        total = term if total is None else total + term
    return ExpressionWrapper(total if total is not None else Value(0), output_field=IntegerField())


def fts_table(model) -> str:
    """The SQLite FTS5 table that indexes ``model.search_text``."""
    return f"{model._meta.db_table}_fts"


def _match_q(model, words: list[str]) -> Q:
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery

        # Words are letters and digits only (see _WORD_RE), so quoting them is safe.
        raw = " & ".join(f"'{w}'" for w in words)
        return Q(_search_vector=SearchQuery(raw, search_type="raw", config="simple"))
    if connection.vendor == "sqlite":
        table = fts_table(model)
        expression = " AND ".join(f'"{w}"' for w in words)
        return Q(
            pk__in=RawSQL(  # noqa: S611 - the query is a bound parameter
                f"SELECT rowid FROM {table} WHERE {table} MATCH %s",  # noqa: S608 - table is ours
                [expression],
            )
        )
    # Any other backend: a slower but equivalent whole-word match on the padded column.
    q = Q()
    for word in words:
        q &= Q(search_text__contains=f" {word} ")
    return q


def search_queryset(queryset: QuerySet, query: str) -> QuerySet:
    """``queryset`` narrowed to rows containing every word of ``query``, annotated ``rank``.

    An empty or punctuation-only query matches nothing.
    """
    words = query_words(query)
    if not words:
        return queryset.annotate(rank=Value(0, output_field=IntegerField())).none()
    model = queryset.model
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchVector

        # The same expression as the GIN index in Meta.indexes, so the planner uses the index.
        queryset = queryset.annotate(_search_vector=SearchVector("search_text", config="simple"))
    return queryset.filter(_match_q(model, words)).annotate(rank=rank_expression(words))


# --- SQLite FTS5 --------------------------------------------------------------------------------


def sqlite_fts_statements(db_table: str) -> list[str]:
    """SQL that creates the FTS5 index of ``db_table.search_text`` and its sync triggers.

    Every statement is idempotent (IF NOT EXISTS), so it can run after every migrate: Django
    rebuilds a SQLite table on some schema changes, which drops its triggers.
    """
    fts = f"{db_table}_fts"
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5(search_text, "
        f"content='{db_table}', content_rowid='id', tokenize='unicode61')",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_ai AFTER INSERT ON {db_table} BEGIN "  # noqa: S608 - our table name
        f"INSERT INTO {fts}(rowid, search_text) VALUES (new.id, new.search_text); END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_ad AFTER DELETE ON {db_table} BEGIN "  # noqa: S608 - our table name
        f"INSERT INTO {fts}({fts}, rowid, search_text) VALUES ('delete', old.id, old.search_text); END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_au AFTER UPDATE ON {db_table} BEGIN "  # noqa: S608 - our table name
        f"INSERT INTO {fts}({fts}, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
        f"INSERT INTO {fts}(rowid, search_text) VALUES (new.id, new.search_text); END",
    ]


def sqlite_fts_install(schema_connection, db_table: str) -> None:
    """Create the FTS5 index and triggers of ``db_table`` if missing, rebuilding the index then."""
    if schema_connection.vendor != "sqlite":
        return
    if db_table not in schema_connection.introspection.table_names():
        return
    fts = f"{db_table}_fts"
    with schema_connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM sqlite_master WHERE type='trigger' AND name LIKE %s",
            [f"{fts}_a%"],
        )
        complete = cursor.fetchone()[0] == 3
        for statement in sqlite_fts_statements(db_table):
            cursor.execute(statement)
        if not complete:
            # Rows written while the triggers were missing are indexed from scratch.
            cursor.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")  # noqa: S608 - our table name


def sqlite_fts_drop(schema_connection, db_table: str) -> None:
    """Remove the FTS5 index and triggers of ``db_table`` (reverse migration)."""
    if schema_connection.vendor != "sqlite":
        return
    fts = f"{db_table}_fts"
    with schema_connection.cursor() as cursor:
        for suffix in ("ai", "ad", "au"):
            cursor.execute(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")
        cursor.execute(f"DROP TABLE IF EXISTS {fts}")


SEARCH_TABLES = ("policies_policy", "banks_loanproduct")


def install_all(using_connection=None) -> None:
    """Install every catalogue FTS5 index (SQLite only); run after each migrate."""
    for table in SEARCH_TABLES:
        sqlite_fts_install(using_connection or connection, table)
