"""Engine construction, including the SQLite hardening that makes it a production target."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

BUSY_TIMEOUT_SECONDS = 15
# Per connection: the map is address space backed by the OS page cache (shared by every
# connection), the cache is this process's own memory, filled only as pages are used.
SQLITE_MMAP_BYTES = 1 << 30
SQLITE_CACHE_KIB = 32 * 1024


class _WriteGate:
    """One process's queue for a SQLite database's only write lock.

    SQLite lets a writer that finds the lock taken sleep and poll (1, 2, 5 … 100 ms apart), so
    under steady writing a waiter keeps missing the moments the lock is free, and a welcome
    claim could wait seconds behind the gateway's inbox batches. Threads of one process
    instead queue here, and the next one takes the lock the moment the last one commits; other
    processes still meet SQLite's own wait. A thread that waits here longer than the busy
    timeout goes on to SQLite's wait (which then answers "database is locked" as usual): the
    gate orders writers, it never decides whether one may write.

    Threads that said their writes are urgent (`prefer_this_threads_writes`: the gateway's
    writer, whose commit WeCom's 5 s ack waits for, and the welcome lane, racing WeCom's 20 s
    window) go before the others that wait: a worker's jobs, the API's requests."""

    def __init__(self) -> None:
        self._changed = threading.Condition(threading.Lock())
        self._held = False
        self._urgent_waiting = 0

    def acquire(self) -> bool:
        urgent = getattr(_this_thread, "urgent_writes", False)
        deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
        with self._changed:
            if urgent:
                self._urgent_waiting += 1
            try:
                while self._held or (not urgent and self._urgent_waiting):
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return False
                    self._changed.wait(remaining)
                self._held = True
                return True
            finally:
                if urgent:
                    self._urgent_waiting -= 1

    def release(self) -> None:
        with self._changed:
            self._held = False
            self._changed.notify_all()

    def held(self) -> bool:
        return self._held


_this_thread = threading.local()


def prefer_this_threads_writes() -> None:
    """This thread's SQLite write transactions go ahead of other threads' that wait for the
    write lock in this process (see `_WriteGate`); no effect on PostgreSQL."""
    _this_thread.urgent_writes = True


_gates: dict[str, _WriteGate] = {}
_gates_lock = threading.Lock()


def gate_for(database: str) -> _WriteGate:
    key = str(Path(database).resolve())
    with _gates_lock:
        return _gates.setdefault(key, _WriteGate())


class _GatedConnection(sqlite3.Connection):
    """A sqlite3 connection that holds its database's `_WriteGate` from BEGIN IMMEDIATE to
    the end of the transaction, however it ends (commit, rollback, close)."""

    gate: _WriteGate | None = None
    _holds_gate = False

    def enter_gate(self) -> None:
        if self.gate is not None and not self._holds_gate:
            self._holds_gate = self.gate.acquire()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.leave_gate()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.leave_gate()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.leave_gate()

    def leave_gate(self) -> None:
        if self._holds_gate and self.gate is not None:
            self._holds_gate = False
            self.gate.release()


def _gated_factory(url: str) -> type[sqlite3.Connection]:
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return sqlite3.Connection
    gate = gate_for(database)
    return type("GatedConnection", (_GatedConnection,), {"gate": gate})


def _prepare_sqlite_path(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _harden_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin; otherwise the
        # driver issues its own deferred BEGIN and our BEGIN IMMEDIATE below never happens.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # WAL: readers never block the writer and the writer never blocks readers, which is
        # what lets the API serve pages while the in-process worker writes.
        cursor.execute("PRAGMA journal_mode=WAL")
        # SQLite ignores foreign keys unless told otherwise, per connection.
        cursor.execute("PRAGMA foreign_keys=ON")
        # Wait up to 15 s for another writer instead of failing at once with "database is locked".
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")
        # NORMAL is durable across application crashes in WAL mode and only risks the last
        # transactions on power loss; FULL would fsync every commit and halve write throughput.
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Read the database through a memory map and keep a bigger page cache: with the
        # defaults (no map, a 2 MB cache per connection) every page a statement touches past
        # the cache is a read() syscall copying 4 KB out of the OS cache; at 100,000 contacts
        # the kernel's share of the full sync's CPU went from 25 % to 17 % with these.
        cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Write transactions take the write lock up front (IMMEDIATE). A deferred transaction
        # that reads and then writes can fail with SQLITE_BUSY_SNAPSHOT without waiting for the
        # busy timeout; read-only sessions opt out through the `sqlite_begin` option.
        mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        dbapi_connection = connection.connection.dbapi_connection
        gated = mode != "DEFERRED" and isinstance(dbapi_connection, _GatedConnection)
        if gated:
            dbapi_connection.enter_gate()
        try:
            connection.exec_driver_sql(f"BEGIN {mode}")
        except BaseException:
            if gated:
                dbapi_connection.leave_gate()
            raise


def _tune_postgres(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # No JIT: Siyu's queries are short, and a prepared statement's generic plan (psycopg
        # prepares a query from its sixth run) over a million-row table is costed high enough
        # to be compiled on every run, which added about 20 ms to a 25 ms customer list page.
        # The segment count, the longest everyday scan, runs as fast without it (0.10 s at 1 M).
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET jit = off")
        dbapi_connection.commit()


def build_engine(url: str, *, echo: bool = False) -> Engine:
    if url.startswith("sqlite"):
        _prepare_sqlite_path(url)
        engine = create_engine(
            url,
            echo=echo,
            connect_args={
                "check_same_thread": False,
                "timeout": BUSY_TIMEOUT_SECONDS,
                "factory": _gated_factory(url),
            },
            pool_size=8,
            max_overflow=8,
        )
        _harden_sqlite(engine)
        return engine
    engine = create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20)
    _tune_postgres(engine)
    return engine
