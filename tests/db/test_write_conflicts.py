"""Which database errors mean "another writer was in the way" (and a retry is right)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError, OperationalError

from siyu.db.dialect import is_transient_write_conflict


def locked_error(tmp_path: Path) -> OperationalError:
    """A real "database is locked": one connection holds the write lock, another asks for it."""
    path = tmp_path / "locked.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x INTEGER)")
    holder.execute("BEGIN IMMEDIATE")
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0.05})
    try:
        with engine.connect() as connection, pytest.raises(OperationalError) as caught:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        return caught.value
    finally:
        engine.dispose()
        holder.close()


def test_sqlite_lock_timeout_is_a_transient_conflict(tmp_path: Path) -> None:
    assert is_transient_write_conflict(locked_error(tmp_path))


def test_other_database_errors_are_not_retried(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'plain.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER PRIMARY KEY)"))
        connection.execute(text("INSERT INTO t VALUES (1)"))
        with pytest.raises(IntegrityError) as duplicate:
            connection.execute(text("INSERT INTO t VALUES (1)"))
        with pytest.raises(OperationalError) as missing:
            connection.execute(text("SELECT * FROM no_such_table"))
    engine.dispose()
    assert not is_transient_write_conflict(duplicate.value)
    assert not is_transient_write_conflict(missing.value)
    assert not is_transient_write_conflict(ValueError("database is locked"))
