"""Every SQLite connection gets the settings the engine promises (WAL, foreign keys, the busy
timeout, the memory map and page cache), whichever pool slot it comes from."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from siyu.db.dialect import is_postgres
from siyu.db.engine import BUSY_TIMEOUT_SECONDS, SQLITE_CACHE_KIB, SQLITE_MMAP_BYTES
from siyu.db.session import Database


def test_each_connection_is_tuned(db: Database) -> None:
    if is_postgres(db.engine):
        pytest.skip("SQLite connection settings")
    expected = {
        "journal_mode": "wal",
        "foreign_keys": 1,
        "busy_timeout": BUSY_TIMEOUT_SECONDS * 1000,
        "synchronous": 1,  # NORMAL
        "mmap_size": SQLITE_MMAP_BYTES,
        "cache_size": -SQLITE_CACHE_KIB,
    }
    reader = db.engine.execution_options(sqlite_begin="DEFERRED")  # two at once, no write lock
    with reader.connect() as first, reader.connect() as second:
        for connection in (first, second):
            found = {name: connection.execute(text(f"PRAGMA {name}")).scalar() for name in expected}
            assert found == expected
