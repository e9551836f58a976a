"""Every difference between SQLite and PostgreSQL that business code would otherwise see."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Connection,
    Dialect,
    Engine,
    Select,
    Text,
    any_,
    bindparam,
    func,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import QueryableAttribute, Session
from sqlalchemy.sql.dml import Insert

from siyu.db.types import TOKEN_SEPARATOR


def dialect_name(bind: Session | Connection | Engine) -> str:
    return _dialect(bind).name


def _dialect(bind: Session | Connection | Engine) -> Dialect:
    engine = bind.get_bind() if isinstance(bind, Session) else bind
    return engine.dialect


def is_postgres(bind: Session | Connection | Engine) -> bool:
    return dialect_name(bind) == "postgresql"


def insert_ignoring_conflicts(
    bind: Session | Connection,
    model: type[Any],
    values: Mapping[str, Any] | list[Mapping[str, Any]] | None,
    *,
    conflict_columns: Iterable[str],
) -> Insert:
    """INSERT … ON CONFLICT (cols) DO NOTHING, which both dialects support with the same meaning.

    Used for idempotent writes keyed by natural ids (callback inbox, job keys): the database,
    not a prior SELECT, decides who wins a race. With `values=None` the statement takes its
    rows as execute parameters (executemany: compiled once, cached, sent in batches).
    """
    module = postgresql if is_postgres(bind) else sqlite
    stmt = module.insert(model)
    if values is not None:
        stmt = stmt.values(values)
    result: Insert = stmt.on_conflict_do_nothing(index_elements=list(conflict_columns))
    return result


def refresh_statistics(session: Session, table: str) -> None:
    """Tell the planner about a table a bulk write just grew, inside the writing transaction.

    PostgreSQL: ANALYZE (a 30,000-row sample; it counts the transaction's own new rows).
    Until autovacuum gets to it, a table that went from empty to a million rows in one INSERT
    is planned as a handful of rows, and a nested loop over "a handful" is quadratic. SQLite:
    nothing; its plans here seek the indexes whatever the statistics say, and its ANALYZE
    would read the whole table.
    """
    if is_postgres(session):
        session.execute(text(f'ANALYZE "{table}"'))


def lock_for_claim(bind: Session | Connection, stmt: Select[Any]) -> Select[Any]:
    """Make a claim query safe for many workers.

    PostgreSQL: FOR UPDATE SKIP LOCKED, so concurrent workers take different rows. SQLite has
    no row locks; write transactions there start with BEGIN IMMEDIATE (see engine.py), so only
    one writer claims at a time and the plain SELECT is already exclusive.
    """
    if is_postgres(bind):
        return stmt.with_for_update(skip_locked=True)
    return stmt


def upsert(
    bind: Session | Connection,
    model: type[Any],
    *,
    conflict_columns: Iterable[str],
    update: Callable[[Any], Mapping[str, Any]],
) -> Insert:
    """INSERT … ON CONFLICT (cols) DO UPDATE SET …, which both dialects support alike.

    `update` receives the proposed row (`excluded`) and returns the SET clause, so callers
    write `lambda excluded: {"name": excluded.name}` without knowing the dialect. Execute it
    with the rows as parameters (`connection.execute(stmt, rows)`): the statement is compiled
    once and cached, and SQLAlchemy batches the rows into multi-row INSERTs ("insertmanyvalues",
    RETURNING included). Rows of one call must not repeat a conflict key: PostgreSQL refuses
    to update a row twice in one statement.
    """
    module = postgresql if is_postgres(bind) else sqlite
    stmt = module.insert(model.__table__)
    result: Insert = stmt.on_conflict_do_update(
        index_elements=list(conflict_columns), set_=dict(update(stmt.excluded))
    )
    return result


def in_values(
    bind: Session | Connection,
    column: ColumnElement[Any] | QueryableAttribute[Any],
    values: Iterable[Any],
) -> ColumnElement[bool]:
    """`column IN (values)` for the long id lists of the bulk paths (thousands of values).

    PostgreSQL: `column = ANY(:array)`, one bound array. An expanded IN list is one
    placeholder per value, and psycopg parses every such statement text again in Python (it
    caches only short queries): that parsing was a fifth of the full sync's writer thread.
    SQLite: `column IN (SELECT value FROM json_each(:list))`, one bound JSON array of the
    values as the column binds them (a UUID as its 32 hex digits). An expanded list costs
    SQLAlchemy a render per execution, and every new length is a new statement text that
    sqlite3 prepares again (its statement cache is keyed by text); the planner still seeks the
    column's index once per value. Values must be JSON scalars once bound (ids, text, numbers).
    """
    listed = list(values)
    if is_postgres(bind):
        array = bindparam(None, listed, type_=postgresql.ARRAY(column.type))
        return column == any_(array)
    dialect = _dialect(bind)
    process = column.type.bind_processor(dialect)
    bound = [process(value) for value in listed] if process is not None else listed
    elements = func.json_each(bindparam(None, json.dumps(bound), type_=Text)).table_valued("value")
    return column.in_(select(elements.c.value))


class TokensOverlap(ColumnElement[bool]):
    """`column` (a `types.TokenSet`) holds at least one of `values`.

    PostgreSQL: `column && ARRAY[...]`, answered by the column's GIN index. SQLite: one
    `instr()` per value over the separator-framed text, evaluated in C during the scan.
    """

    inherit_cache = False
    type = Boolean()

    def __init__(self, column: ColumnElement[Any], values: Sequence[str]) -> None:
        self.column = column
        self.values = [v.replace(TOKEN_SEPARATOR, "") for v in values]


def tokens_overlap(column: Any, values: Sequence[str]) -> ColumnElement[bool]:
    return TokensOverlap(column, values)


@compiles(TokensOverlap, "postgresql")
def _overlap_postgres(element: TokensOverlap, compiler: Any, **kw: Any) -> str:
    array = bindparam(None, element.values, type_=postgresql.ARRAY(Text()))
    return f"({compiler.process(element.column, **kw)} && {compiler.process(array, **kw)})"


@compiles(TokensOverlap)
def _overlap_sqlite(element: TokensOverlap, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    framed = [
        bindparam(None, f"{TOKEN_SEPARATOR}{v}{TOKEN_SEPARATOR}", type_=Text())
        for v in element.values
    ]
    tests = [f"instr({column}, {compiler.process(value, **kw)}) > 0" for value in framed]
    return "(" + " OR ".join(tests or ["0"]) + ")"


# PostgreSQL SQLSTATEs a retry of the whole transaction resolves: serialization failure and
# deadlock detected (one of the two transactions was chosen to fail).
_PG_RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})


def is_transient_write_conflict(exc: BaseException) -> bool:
    """True when the transaction failed only because another writer was in the way.

    SQLite: "database is locked" / "database is busy" after the busy timeout ran out (a very
    loaded machine, or one long writer). PostgreSQL: a deadlock or serialization failure.
    Retrying the whole transaction is then correct; any other error is not retried.
    """
    if not isinstance(exc, DBAPIError):
        return False
    original = getattr(exc, "orig", None)
    sqlstate = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    if sqlstate in _PG_RETRYABLE_SQLSTATES:
        return True
    message = str(original or exc).lower()
    return "database is locked" in message or "database is busy" in message
