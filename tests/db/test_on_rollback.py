"""`on_rollback`: undo a side effect outside the database when the transaction does not commit."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from siyu.db.session import Database, on_commit, on_rollback


@pytest.fixture
def database(fresh_db_url: str) -> Iterator[Database]:
    db = Database(fresh_db_url)
    yield db
    db.dispose()


def test_a_rollback_runs_the_undo_and_drops_the_commit_callbacks(database: Database) -> None:
    ran: list[str] = []
    with pytest.raises(RuntimeError), database.transaction() as session:
        on_commit(session, lambda: ran.append("commit"))
        on_rollback(session, lambda: ran.append("undo"))
        raise RuntimeError("the request failed")
    assert ran == ["undo"]


def test_a_commit_drops_the_undo(database: Database) -> None:
    ran: list[str] = []
    with database.transaction() as session:
        on_commit(session, lambda: ran.append("commit"))
        on_rollback(session, lambda: ran.append("undo"))
    assert ran == ["commit"]


def test_a_failing_statement_runs_the_undo(database: Database) -> None:
    with database.transaction() as session:
        session.execute(text("CREATE TABLE one_row (id INTEGER PRIMARY KEY)"))
        session.execute(text("INSERT INTO one_row (id) VALUES (1)"))
    ran: list[str] = []
    with pytest.raises(IntegrityError), database.transaction() as session:
        on_rollback(session, lambda: ran.append("undo"))
        session.execute(text("INSERT INTO one_row (id) VALUES (1)"))  # the same key again
    assert ran == ["undo"]


def test_a_failing_undo_is_logged_and_the_rest_still_run(database: Database) -> None:
    ran: list[str] = []

    def broken() -> None:
        raise OSError("disk gone")

    with pytest.raises(RuntimeError), database.transaction() as session:
        on_rollback(session, broken)
        on_rollback(session, lambda: ran.append("second"))
        raise RuntimeError("the request failed")
    assert ran == ["second"]
