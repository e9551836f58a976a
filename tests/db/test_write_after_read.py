"""`write_after_read`: a read's own record is written after the read, not inside it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from siyu.db.session import Database, write_after_read


@pytest.fixture
def database(fresh_db_url: str) -> Iterator[Database]:
    db = Database(fresh_db_url)
    with db.transaction() as session:
        session.execute(text("CREATE TABLE read_log (note VARCHAR(20))"))
    yield db
    db.dispose()


def notes(db: Database) -> list[str]:
    with db.transaction(write=False) as session:
        return list(session.scalars(text("SELECT note FROM read_log ORDER BY note")))


def log_note(note: str) -> object:
    def write(session: Session) -> None:
        session.execute(text("INSERT INTO read_log (note) VALUES (:n)"), {"n": note})

    return write


def test_in_a_read_session_the_record_waits_for_the_commit(database: Database) -> None:
    with database.transaction(write=False) as session:
        write_after_read(session, log_note("read"))  # type: ignore[arg-type]
        assert notes(database) == []  # nothing yet: the read holds no write of its own
        if database.dialect == "sqlite":
            # The read holds no write lock: another writer gets in while it is open.
            with database.transaction() as other:
                other.execute(text("INSERT INTO read_log (note) VALUES ('other')"))
    expected = ["other", "read"] if database.dialect == "sqlite" else ["read"]
    assert notes(database) == expected


def test_a_rolled_back_read_records_nothing(database: Database) -> None:
    with pytest.raises(RuntimeError), database.transaction(write=False) as session:
        write_after_read(session, log_note("lost"))  # type: ignore[arg-type]
        raise RuntimeError("the read failed")
    assert notes(database) == []


def test_in_a_write_session_the_record_is_part_of_it(database: Database) -> None:
    with pytest.raises(RuntimeError), database.transaction() as session:
        write_after_read(session, log_note("now"))  # type: ignore[arg-type]
        assert session.scalar(text("SELECT count(*) FROM read_log")) == 1
        raise RuntimeError("rolled back with the write it belongs to")
    assert notes(database) == []
