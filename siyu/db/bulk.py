"""Bulk INSERTs and upserts straight through the driver, for the million-row paths.

SQLAlchemy's executemany spends most of its time building per-row parameter dicts and
running generic bind processing; here the statement is compiled once, each column's bind
processor is looked up once, and the driver gets plain tuples (or dicts, for named styles).
The values are exactly what SQLAlchemy would send, so both dialects store the same thing.

PostgreSQL gets them through COPY instead: psycopg's executemany is one statement per row
(pipelined), and the server's per-statement cost made a million-row insert take minutes.
COPY is binary when every value has the Python type its column's binary format is made from
(uuid.UUID for uuid, an aware datetime for timestamptz, ...): psycopg then writes a row about
4x faster than as text, and the server skips parsing it. Any other value (a str id, a naive
datetime) sends the whole call as text, which PostgreSQL converts as it would a parameter.
With `ignore_conflicts`, COPY fills a columns-only temporary table and one INSERT ... SELECT
... ON CONFLICT DO NOTHING moves the rows, so the outcome equals the row-by-row statement.
Upserts (`bulk_upsert`, the full sync's contacts and relations) take the same two steps with
ON CONFLICT DO UPDATE.

`insert_new_returning` is the small-batch, latency-bound case (the callback gateway's group
commit): one statement, the rows as one binary array per column.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache
from operator import itemgetter
from typing import Any
from uuid import uuid4

from psycopg.errors import UniqueViolation
from sqlalchemy import Connection, Table, bindparam, func, select, update
from sqlalchemy import column as sql_column
from sqlalchemy import table as sql_table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import Insert

from siyu.db.dialect import is_postgres
from siyu.db.pgcopy import binary_oids
from siyu.db.search import bulk_indexing


def insert_statement(
    session: Session, table: Table, *, ignore_conflicts: Sequence[str] = ()
) -> Insert:
    module = postgresql if is_postgres(session) else sqlite
    stmt: Insert = module.insert(table)
    if ignore_conflicts:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(ignore_conflicts))  # type: ignore[attr-defined]
    return stmt


def bulk_insert(
    session: Session,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    ignore_conflicts: Sequence[str] = (),
) -> None:
    """Insert `rows` (all with the same keys) in one driver executemany.

    `ignore_conflicts`: the unique columns of ON CONFLICT DO NOTHING (both dialects).
    """
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    stmt = insert_statement(session, table, ignore_conflicts=ignore_conflicts)
    compiled = stmt.compile(dialect=dialect, column_keys=list(rows[0].keys()))
    names = _bind_names(compiled)
    missing = [n for n in names if n not in rows[0]]
    if missing:  # SQLAlchemy would fill Python-side defaults; this path wants them given
        raise ValueError(f"bulk_insert rows lack {', '.join(missing)}")
    params: list[Any] = _driver_params(compiled, names, rows)
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        if dialect.name == "postgresql":
            oids = binary_oids(dialect, table, names, params)
            _copy(cursor, table, names, params, ignore_conflicts, oids)
        else:
            if not compiled.positional:
                params = [dict(zip(names, values, strict=True)) for values in params]
            with bulk_indexing(cursor, table.name):
                cursor.executemany(str(compiled), params)
    finally:
        cursor.close()


def bulk_upsert(
    session: Session,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    conflict_columns: Sequence[str],
    update: Callable[[Any], Mapping[str, Any]],
) -> None:
    """INSERT … ON CONFLICT (cols) DO UPDATE SET `update(excluded)` for `rows` (same keys,
    no conflict key twice), with the same meaning as `siyu.db.dialect.upsert` executed with
    the rows as parameters, at a fraction of the Python cost per row.

    SQLite: one driver executemany of the compiled statement; as in `bulk_insert`, new rows
    are added to the search index in one statement after it, while updated rows keep going
    through the update trigger. PostgreSQL: COPY into a temporary table,
    then one INSERT … SELECT … ON CONFLICT DO UPDATE.
    """
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    columns = list(rows[0].keys())
    if dialect.name == "postgresql":
        _upsert_by_copy(session, table, columns, rows, conflict_columns, update)
        return
    insert = sqlite.insert(table)
    stmt = insert.on_conflict_do_update(
        index_elements=list(conflict_columns), set_=dict(update(insert.excluded))
    )
    compiled = stmt.compile(dialect=dialect, column_keys=columns)
    names = _bind_names(compiled)
    params: list[Any] = _driver_params(compiled, names, rows)
    if not compiled.positional:
        params = [dict(zip(names, values, strict=True)) for values in params]
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        # The inserted rows are indexed for search in one statement afterwards; the updated
        # ones by the update trigger, which stays on.
        with bulk_indexing(cursor, table.name):
            cursor.executemany(str(compiled), params)
    finally:
        cursor.close()


def _upsert_by_copy(
    session: Session,
    table: Table,
    columns: list[str],
    rows: Sequence[Mapping[str, Any]],
    conflict_columns: Sequence[str],
    update: Callable[[Any], Mapping[str, Any]],
) -> None:
    connection = session.connection()
    staging = f"_bulk_{uuid4().hex[:12]}"
    quoted = ", ".join(f'"{name}"' for name in columns)
    # The staged values are bind-processed like the table's own columns, so the staging table
    # takes the table's column types (no constraints, no defaults, no indexes).
    compiled = postgresql.insert(table).compile(dialect=connection.dialect, column_keys=columns)
    names = _bind_names(compiled)
    params = _driver_params(compiled, names, rows)
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(
            f'CREATE TEMPORARY TABLE "{staging}" ON COMMIT DROP AS '
            f'SELECT {quoted} FROM "{table.name}" WITH NO DATA'
        )
        quoted_names = ", ".join(f'"{name}"' for name in names)
        oids = binary_oids(connection.dialect, table, names, params)
        _copy_into(cursor, f'"{staging}"', quoted_names, params, oids)
    finally:
        cursor.close()
    staged = sql_table(staging, *(sql_column(name) for name in columns))
    insert = postgresql.insert(table)
    stmt = insert.from_select(columns, select(*staged.c)).on_conflict_do_update(
        index_elements=list(conflict_columns), set_=dict(update(insert.excluded))
    )
    connection.execute(stmt)
    connection.exec_driver_sql(f'DROP TABLE "{staging}"')


def insert_new_returning(
    session: Session,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    conflict_columns: Sequence[str],
    returning: str,
) -> list[Any]:
    """Insert `rows` (all with the same keys, every value given: Python-side column defaults
    are not applied) except those that hit the unique `conflict_columns`, in one statement
    (on SQLite, one per 32,766 values); returns the `returning` column of the rows inserted.
    A key repeated within `rows` is inserted once (the first row wins), as with separate
    statements.

    PostgreSQL: `INSERT ... SELECT FROM unnest(array per column)`, arrays sent in binary. Its
    text is the same whatever the number of rows, so psycopg parses it once (a multi-row VALUES
    is a new text per batch size, parsed again in Python each time: a fifth of the gateway's
    writer), and a binary array costs psycopg a few µs where a text one escapes every value in
    Python (~12 µs per callback payload). SQLite: a multi-row VALUES through the driver, the
    values bind-processed once each: SQLAlchemy's executemany builds a parameter dict per row
    and runs its generic bind processing on it, ~15 µs of the gateway writer's ~55 µs per
    callback (statement and commit included) on the 2-core machines here.
    """
    if not rows:
        return []
    names = tuple(rows[0])
    conflicts = tuple(conflict_columns)
    connection = session.connection()
    if not is_postgres(session):
        return _insert_new_returning_sqlite(connection, table, rows, names, conflicts, returning)
    sql, processors = _unnest_insert(connection.dialect, table, names, conflicts, returning)
    params = {}
    for name, processor in zip(names, processors, strict=True):
        column = [row[name] for row in rows]
        params[name] = column if processor is None else processor(column)
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]
    finally:
        cursor.close()


# SQLite's default limit on host parameters per statement (SQLITE_MAX_VARIABLE_NUMBER).
_SQLITE_MAX_PARAMETERS = 32766


def _insert_new_returning_sqlite(
    connection: Connection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    names: tuple[str, ...],
    conflicts: tuple[str, ...],
    returning: str,
) -> list[Any]:
    """One multi-row VALUES per chunk, through the driver with bind-processed values (what
    SQLAlchemy's executemany would send, without its per-row parameter dicts)."""
    head, group, processors, result = _values_insert(
        connection.dialect, table, names, conflicts, returning
    )
    per_statement = _SQLITE_MAX_PARAMETERS // len(names)
    driver = connection.connection.driver_connection
    found: list[Any] = []
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        flat = [
            row[name] if processor is None else processor(row[name])
            for row in chunk
            for name, processor in zip(names, processors, strict=True)
        ]
        sql = head.replace("{values}", ", ".join([group] * len(chunk)))
        found.extend(row[0] for row in driver.execute(sql, flat).fetchall())  # type: ignore[union-attr]
    return found if result is None else [result(value) for value in found]


@lru_cache(maxsize=64)
def _values_insert(
    dialect: Any,
    table: Table,
    names: tuple[str, ...],
    conflict_columns: tuple[str, ...],
    returning: str,
) -> tuple[str, str, list[Any], Any]:
    """`insert_new_returning`'s SQLite statement with a `{values}` slot, one row's placeholder
    group, each column's bind processor and the returned column's result processor."""
    quote = dialect.identifier_preparer.quote
    head = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(name) for name in names)}) "
        f"VALUES {{values}} "
        f"ON CONFLICT ({', '.join(quote(name) for name in conflict_columns)}) DO NOTHING "
        f"RETURNING {quote(returning)}"
    )
    group = "(" + ", ".join("?" * len(names)) + ")"
    processors = [table.c[name].type._cached_bind_processor(dialect) for name in names]
    result = table.c[returning].type._cached_result_processor(dialect, None)
    return head, group, processors, result


@lru_cache(maxsize=64)
def _unnest_insert(
    dialect: Any,
    table: Table,
    names: tuple[str, ...],
    conflict_columns: tuple[str, ...],
    returning: str,
) -> tuple[str, list[Any]]:
    """The driver SQL of `insert_new_returning` on PostgreSQL and each array's bind processor."""
    arrays = [bindparam(name, type_=postgresql.ARRAY(table.c[name].type)) for name in names]
    source = func.unnest(*arrays).table_valued(*names).render_derived()
    stmt = (
        postgresql.insert(table)
        .from_select(list(names), select(*source.c), include_defaults=False)
        .on_conflict_do_nothing(index_elements=list(conflict_columns))
        .returning(table.c[returning])
    )
    compiled = stmt.compile(dialect=dialect)
    sql = compiled.string
    for name in names:  # binary parameters: psycopg's `%b` placeholder
        sql = sql.replace(f"%({name})s", f"%({name})b")
    processors = [compiled.binds[name].type._cached_bind_processor(dialect) for name in names]
    return sql, processors


def _bind_names(compiled: SQLCompiler) -> list[str]:
    return list(compiled.positiontup or []) if compiled.positional else list(compiled.binds)


def _driver_params(
    compiled: SQLCompiler, names: Sequence[str], rows: Sequence[Mapping[str, Any]]
) -> list[list[Any]]:
    """Each row as the driver's parameter list in `names` order, bind-processed exactly as
    SQLAlchemy would. Names a row lacks are the statement's own bound values (a SET clause's
    `now`), the same for every row."""
    dialect = compiled.dialect
    defaults = [c.key for c in compiled.insert_prefetch]
    if defaults:  # SQLAlchemy would fill Python-side defaults; this path wants them given
        raise ValueError(f"bulk rows lack {', '.join(defaults)}")
    constants = {n: compiled.params[n] for n in names if n not in rows[0]}
    processors = [compiled.binds[name].type._cached_bind_processor(dialect) for name in names]
    taken = [n for n in names if n not in constants]
    pick = itemgetter(*taken)
    slots = [i for i, n in enumerate(names) if n not in constants]
    template = [constants.get(n) for n in names]
    converters = [(i, p) for i, p in enumerate(processors) if p is not None]
    params: list[list[Any]] = []
    # One-entry memo per column: corp ids, timestamps and kinds repeat down a batch.
    last_in: list[Any] = [object()] * len(names)
    last_out: list[Any] = [None] * len(names)
    for row in rows:
        picked = pick(row) if len(taken) > 1 else (row[taken[0]],)
        if constants:
            values = list(template)
            for slot, value in zip(slots, picked, strict=True):
                values[slot] = value
        else:
            values = list(picked)
        for i, processor in converters:
            value = values[i]
            if value is None:
                continue
            if value is last_in[i]:
                values[i] = last_out[i]
            else:
                last_in[i] = value
                values[i] = last_out[i] = processor(value)
        params.append(values)
    return params


def _copy(
    cursor: Any,
    table: Table,
    names: Sequence[str],
    params: Sequence[Sequence[Any]],
    ignore_conflicts: Sequence[str],
    oids: Sequence[int] | None,
) -> None:
    """COPY `params` (positional, in `names` order) into `table` (psycopg 3).

    With `ignore_conflicts` the rows are first copied straight in under a savepoint (the
    callers checked the keys, so a clash is rare); only on a unique violation do they go
    through a temporary table and ON CONFLICT DO NOTHING.
    """
    columns = ", ".join(f'"{name}"' for name in names)
    if not ignore_conflicts:
        _copy_into(cursor, f'"{table.name}"', columns, params, oids)
        return
    cursor.execute("SAVEPOINT siyu_bulk_copy")
    try:
        _copy_into(cursor, f'"{table.name}"', columns, params, oids)
    except UniqueViolation:
        cursor.execute("ROLLBACK TO SAVEPOINT siyu_bulk_copy")
    else:
        cursor.execute("RELEASE SAVEPOINT siyu_bulk_copy")
        return
    cursor.execute("RELEASE SAVEPOINT siyu_bulk_copy")
    staging = f'"_bulk_{uuid4().hex[:12]}"'
    # Column types only (no NOT NULL, no defaults, no indexes): a staging area for COPY.
    cursor.execute(
        f"CREATE TEMPORARY TABLE {staging} ON COMMIT DROP AS "
        f'SELECT {columns} FROM "{table.name}" WITH NO DATA'
    )
    _copy_into(cursor, staging, columns, params, oids)
    keys = ", ".join(f'"{name}"' for name in ignore_conflicts)
    cursor.execute(
        f'INSERT INTO "{table.name}" ({columns}) SELECT {columns} FROM {staging} '
        f"ON CONFLICT ({keys}) DO NOTHING"
    )
    cursor.execute(f"DROP TABLE {staging}")


def _copy_into(
    cursor: Any,
    target: str,
    columns: str,
    params: Sequence[Sequence[Any]],
    oids: Sequence[int] | None = None,
) -> None:
    """COPY `params` into `target`: binary with the columns' type `oids` (see `binary_oids`),
    else as text."""
    if oids is None:
        with cursor.copy(f"COPY {target} ({columns}) FROM STDIN") as copy:
            for values in params:
                copy.write_row(values)
        return
    with cursor.copy(f"COPY {target} ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(oids)
        for values in params:
            copy.write_row(values)


def bulk_update_pairs(
    session: Session,
    table: Table,
    pairs: Sequence[tuple[Any, Any]],
    *,
    match: str,
    assign: str,
    also: Mapping[str, Any] | None = None,
) -> None:
    """For each (key, value) pair, the rows whose `match` column holds key get `assign` = value
    (and the constant values of `also`).

    SQLite runs it as one prepared UPDATE through executemany, which stays inside the C
    library. PostgreSQL runs one UPDATE ... FROM unnest(keys, values) with the pairs as two
    array parameters: its executemany is a statement per pair, and a million-identity
    resolution merges tens of thousands of persons across every registered table. (A VALUES
    list per 1,000 pairs cost the client a fresh SQL compilation each and the server a parse
    of every literal.)"""
    if not pairs:
        return
    key, target = table.c[match], table.c[assign]
    extra = dict(also or {})
    if not is_postgres(session):
        stmt = (
            update(table)
            .where(key == bindparam("b_key"))
            .values({assign: bindparam("b_value"), **extra})
        )
        session.connection().execute(stmt, [{"b_key": k, "b_value": v} for k, v in pairs])
        return
    # Typed arrays (psycopg renders `::UUID[]`), so a list of NULLs (an undo) is not text[].
    keys = bindparam("b_keys", type_=postgresql.ARRAY(key.type))
    new_values = bindparam("b_values", type_=postgresql.ARRAY(target.type))
    part = (
        func.unnest(keys, new_values)
        .table_valued(sql_column("b_key", key.type), sql_column("b_value", target.type))
        .render_derived(name="pairs")
    )
    stmt = update(table).where(key == part.c.b_key).values({assign: part.c.b_value, **extra})
    session.connection().execute(
        stmt, {"b_keys": [k for k, _ in pairs], "b_values": [v for _, v in pairs]}
    )


@contextmanager
def large_page_cache(session: Session, mebibytes: int = 256) -> Iterator[None]:
    """SQLite: a page cache of `mebibytes` on the session's connection while a bulk write runs,
    then the previous size again (the connection goes back to the pool).

    SQLite's default cache is 2 MB; a chunk that inserts 100,000 persons into tables with a
    dozen indexes touches far more pages than that, and each miss is a read back from the OS
    (about an eighth of the identity resolution's CPU). PostgreSQL's buffers are the server's."""
    if is_postgres(session):
        yield
        return
    connection = session.connection()
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql(f"PRAGMA cache_size=-{int(mebibytes) * 1024}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size={int(before or -2000)}")
