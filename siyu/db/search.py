"""Indexed substring search on a text column: SQLite FTS5 (trigram) and PostgreSQL pg_trgm.

Both indexes work on trigrams, so they can only answer queries of three characters or more;
`indexed_contains` returns None for shorter ones and the caller falls back to a LIKE walk
(which is fast when the short text is common and the page fills at once, and slow when it
matches nobody: see docs/customers.md).

- PostgreSQL: a GIN index with `gin_trgm_ops` on the column, declared on the model
  (`trigram_index`); ILIKE '%…%' uses it. The migration creates the extension first.
- SQLite: an external-content FTS5 table over the column (content = the table itself, so the
  names are not stored twice) kept current by triggers on the table, which fire for ORM and
  Core writes alike. The FTS rows are keyed by the table's rowid; VACUUM may renumber rowids of
  tables without an INTEGER PRIMARY KEY, so `rebuild_statements` (run by the migration, and
  after a VACUUM) rebuilds the index from the table.

Schema objects outside the models are named by `SEARCH_INDEXES`, which migrations/env.py and
the drift test leave out of their comparison.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import ColumnElement, Index, literal_column, text
from sqlalchemy import column as column_named
from sqlalchemy.orm import Session

from siyu.db.dialect import is_postgres

MIN_INDEXED_CHARACTERS = 3
# (table, column) pairs with a substring index; one line per index.
SEARCH_INDEXES = (("customers", "name"),)


def trigram_index(table: str, column: str) -> Index:
    """The PostgreSQL GIN trigram index for a model's __table_args__ (none on SQLite)."""
    return Index(
        f"ix_{table}_{column}_trgm",
        column,
        postgresql_using="gin",
        postgresql_ops={column: "gin_trgm_ops"},
        sqlite_where=text("0"),
    )


def fts_table(table: str, column: str) -> str:
    return f"{table}_{column}_fts"


def is_search_object(name: str | None) -> bool:
    """True for the FTS5 table and its shadow tables (`…_fts_data`, `…_fts_idx`, …)."""
    return name is not None and any(name.startswith(fts_table(*i)) for i in SEARCH_INDEXES)


def include_object(_object: object, name: str | None, type_: str, *_: object) -> bool:
    """Alembic's `include_object`: autogenerate and drift checks skip the FTS5 tables."""
    return not (type_ == "table" and is_search_object(name))


def before_tables_statements(dialect: str) -> list[str]:
    # pg_trgm ships with PostgreSQL's contrib and is a trusted extension (PostgreSQL 13+), so a
    # database owner may create it without being a superuser.
    return ["CREATE EXTENSION IF NOT EXISTS pg_trgm"] if dialect == "postgresql" else []


def after_tables_statements(dialect: str) -> list[str]:
    if dialect != "sqlite":
        return []
    statements = []
    for table, column in SEARCH_INDEXES:
        fts = fts_table(table, column)
        add = f"INSERT INTO {fts}(rowid, {column}) VALUES (new.rowid, new.{column});"
        remove = (
            f"INSERT INTO {fts}({fts}, rowid, {column}) VALUES ('delete', old.rowid, old.{column});"
        )
        statements += [
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5("
            f"{column}, content='{table}', content_rowid='rowid', tokenize='trigram')",
            # A row here pauses the insert trigger for the bulk path (`bulk_indexing`).
            f"CREATE TABLE IF NOT EXISTS {fts}_paused (paused INTEGER)",
            f"CREATE TRIGGER IF NOT EXISTS {fts}_ai AFTER INSERT ON {table} "
            f"WHEN NOT EXISTS (SELECT 1 FROM {fts}_paused) BEGIN {add} END",
            f"CREATE TRIGGER IF NOT EXISTS {fts}_ad AFTER DELETE ON {table} BEGIN {remove} END",
            f"CREATE TRIGGER IF NOT EXISTS {fts}_au AFTER UPDATE OF {column} ON {table} "
            f"BEGIN {remove} {add} END",
        ]
    return statements + rebuild_statements(dialect)


def rebuild_statements(dialect: str) -> list[str]:
    if dialect != "sqlite":
        return []
    return [
        f"INSERT INTO {fts_table(*i)}({fts_table(*i)}) VALUES ('rebuild')" for i in SEARCH_INDEXES
    ]


def drop_statements(dialect: str) -> list[str]:
    if dialect != "sqlite":
        return []
    return [
        f"DROP TABLE IF EXISTS {fts_table(*i)}{suffix}"
        for i in SEARCH_INDEXES
        for suffix in ("", "_paused")
    ]


@contextmanager
def bulk_indexing(cursor: Any, table: str) -> Iterator[None]:
    """SQLite, around a bulk INSERT into `table` (a DB-API cursor in its write transaction):
    the FTS insert trigger pauses and one INSERT ... SELECT indexes the new rows afterwards.
    FTS5 costs about 15x more per row from a trigger than from one statement, which was a
    third of a million-person identity resolution. New rows are those above the old highest
    rowid: SQLite numbers a table without INTEGER PRIMARY KEY max(rowid) + 1, and the write
    transaction keeps other writers out meanwhile."""
    columns = [column for name, column in SEARCH_INDEXES if name == table]
    if not columns:
        yield
        return
    before = cursor.execute(f"SELECT coalesce(max(rowid), 0) FROM {table}").fetchone()[0]
    for column in columns:
        cursor.execute(f"INSERT INTO {fts_table(table, column)}_paused VALUES (1)")
    try:
        yield
    finally:
        for column in columns:
            cursor.execute(f"DELETE FROM {fts_table(table, column)}_paused")
    for column in columns:
        cursor.execute(
            f"INSERT INTO {fts_table(table, column)}(rowid, {column}) "
            f"SELECT rowid, {column} FROM {table} WHERE rowid > ?",
            (before,),
        )


def indexed_contains(session: Session, target: Any, query: str) -> ColumnElement[bool] | None:
    """A condition on `target`'s table: the column contains `query`, case-insensitively,
    answered from the trigram index; None when the query is too short for the index."""
    query = query.strip()
    if len(query) < MIN_INDEXED_CHARACTERS:
        return None
    if is_postgres(session):
        result: ColumnElement[bool] = target.icontains(query, autoescape=True)
        return result
    table = target.table.name
    fts = fts_table(table, target.name)
    phrase = '"' + query.replace('"', '""') + '"'  # one FTS5 phrase: the exact substring
    rowids = text(f"SELECT rowid FROM {fts} WHERE {fts} MATCH :name_phrase").bindparams(
        name_phrase=phrase
    )
    return literal_column(f"{table}.rowid").in_(rowids.columns(column_named("rowid")))
