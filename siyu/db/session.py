"""Sessions and the transaction boundary.

Services only `flush()`. The boundary (`Database.transaction()`, used by the request dependency
and the task wrapper) commits or rolls back, then runs the callbacks registered with
`on_commit()` — that is where jobs are enqueued, so a worker never sees a job whose rows do not
exist yet, and a rolled-back request enqueues nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import structlog
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from siyu.db.engine import build_engine

log = structlog.get_logger(__name__)

_AFTER_COMMIT = "siyu.after_commit"
_AFTER_ROLLBACK = "siyu.after_rollback"
_READ_ONLY = "siyu.read_only"
_DATABASE = "siyu.database"


def on_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run `callback` after the session's transaction commits; drop it on rollback."""
    session.info.setdefault(_AFTER_COMMIT, []).append(callback)


def on_rollback(session: Session, callback: Callable[[], None]) -> None:
    """Run `callback` if the session's transaction rolls back (or its commit fails): undo a
    side effect outside the database, such as a file written for a row that never commits."""
    session.info.setdefault(_AFTER_ROLLBACK, []).append(callback)


def write_after_read(session: Session, write: Callable[[Session], None]) -> None:
    """Record what a read produced without holding the write lock while reading.

    In a write session `write(session)` runs now. In a read session it runs after the read has
    committed, in a short write transaction of its own: on SQLite a read that writes at its end
    would either hold the database's only write lock for the whole read (BEGIN IMMEDIATE) or
    fail to take it once another writer has committed since the read began (a WAL snapshot
    cannot be upgraded). Only for records *of* a read (an evaluation log, a last-seen count):
    the read's answer stands even if the record fails, which is logged.
    """
    if not session.info.get(_READ_ONLY):
        write(session)
        return
    database: Database = session.info[_DATABASE]

    def record() -> None:
        with database.transaction() as writer:
            write(writer)

    on_commit(session, record)


def take_after_commit(session: Session) -> list[Callable[[], None]]:
    """Take the after-commit callbacks registered so far, for the caller to run with
    `run_after_commit` once the transaction has committed (and not at all if it did not):
    the callback gateway answers its waiting requests first, and wakes the worker after."""
    callbacks: list[Callable[[], None]] = session.info.pop(_AFTER_COMMIT, [])
    return callbacks


def run_after_commit(callbacks: list[Callable[[], None]]) -> None:
    for callback in callbacks:
        try:
            callback()
        except Exception:  # the data is committed; a failed wake-up is re-driven by the sweeper
            log.exception("after_commit_callback_failed")


def _run_after_commit(session: Session) -> None:
    session.info.pop(_AFTER_ROLLBACK, None)
    run_after_commit(take_after_commit(session))


def _run_after_rollback(session: Session) -> None:
    session.info.pop(_AFTER_COMMIT, None)
    callbacks: list[Callable[[], None]] = session.info.pop(_AFTER_ROLLBACK, [])
    for callback in callbacks:
        try:
            callback()
        except Exception:  # the rollback stands; what was not undone is logged
            log.exception("after_rollback_callback_failed")


def finish_session(session: Session, *, commit: bool) -> None:
    """Commit (or roll back) and close, then run after-commit callbacks if it committed."""
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    except BaseException:
        session.rollback()
        session.close()
        _run_after_rollback(session)
        raise
    session.close()
    if commit:
        _run_after_commit(session)
    else:
        _run_after_rollback(session)


class Database:
    def __init__(self, url: str, *, echo: bool = False, engine: Engine | None = None) -> None:
        self.url = url
        self.engine = engine or build_engine(url, echo=echo)
        self._write = sessionmaker(self.engine, expire_on_commit=False)
        reader = self.engine.execution_options(sqlite_begin="DEFERRED")
        self._read = sessionmaker(
            reader, expire_on_commit=False, info={_READ_ONLY: True, _DATABASE: self}
        )
        self._prepare: list[Callable[[Session], None]] = []
        self._owns_engine = engine is None

    def set_session_default(self, prepare: Callable[[Session], None]) -> None:
        """Run `prepare` on every new session (the runtime binds its wake queue this way)."""
        self._prepare.append(prepare)

    @classmethod
    def bound_to(cls, connection: Connection) -> Database:
        """A Database whose sessions run inside an outer transaction on `connection`.

        Commits release savepoints instead of committing, so a test can roll everything back.
        """
        db = cls.__new__(cls)
        db.url = connection.engine.url.render_as_string(hide_password=False)
        db.engine = connection.engine
        db._owns_engine = False
        db._write = sessionmaker(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        db._read = sessionmaker(
            bind=connection,
            expire_on_commit=False,
            join_transaction_mode="create_savepoint",
            info={_READ_ONLY: True, _DATABASE: db},
        )
        db._prepare = []
        return db

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def session(self, *, write: bool = True) -> Session:
        session = (self._write if write else self._read)()
        for prepare in self._prepare:
            prepare(session)
        return session

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Session]:
        session = self.session(write=write)
        try:
            yield session
        except BaseException:
            finish_session(session, commit=False)
            raise
        finish_session(session, commit=True)

    def dispose(self) -> None:
        if self._owns_engine:
            self.engine.dispose()
