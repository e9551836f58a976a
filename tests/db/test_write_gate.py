"""SQLite's write gate: threads of one process queue for the write lock instead of polling
for it, and every way a transaction ends hands the lock on."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from siyu.db.engine import gate_for, prefer_this_threads_writes
from siyu.db.session import Database


@pytest.fixture
def database(tmp_path: Path) -> Database:
    db = Database(f"sqlite:///{tmp_path / 'gate.db'}")
    with db.transaction() as session:
        session.execute(text("CREATE TABLE counter (n INTEGER NOT NULL)"))
        session.execute(text("INSERT INTO counter VALUES (0)"))
    return db


def _gate_is_free(db: Database) -> bool:
    path = db.engine.url.database
    assert path is not None
    return not gate_for(path).held()


def test_concurrent_writers_all_commit(database: Database) -> None:
    errors: list[BaseException] = []

    def add(times: int) -> None:
        try:
            for _ in range(times):
                with database.transaction() as session:
                    n = session.execute(text("SELECT n FROM counter")).scalar_one()
                    session.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=add, args=(50,)) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with database.transaction(write=False) as session:
        # Read-modify-write without lost updates: each transaction held the write lock.
        assert session.execute(text("SELECT n FROM counter")).scalar_one() == 300
    assert _gate_is_free(database)


def test_a_failed_transaction_hands_the_gate_on(database: Database) -> None:
    with pytest.raises(RuntimeError), database.transaction() as session:
        session.execute(text("UPDATE counter SET n = 1"))
        raise RuntimeError("the transaction fails after its first write")
    assert _gate_is_free(database)
    with database.transaction(write=False) as session:
        assert session.execute(text("SELECT n FROM counter")).scalar_one() == 0


def test_a_connection_closed_mid_transaction_hands_the_gate_on(database: Database) -> None:
    session = database.session()
    session.execute(text("UPDATE counter SET n = 5"))
    assert not _gate_is_free(database)
    session.connection().invalidate()  # the DBAPI connection is closed under the transaction
    session.close()
    assert _gate_is_free(database)
    with database.transaction() as writer:
        writer.execute(text("UPDATE counter SET n = 7"))
    with database.transaction(write=False) as reader:
        assert reader.execute(text("SELECT n FROM counter")).scalar_one() == 7


def test_reads_do_not_take_the_gate(database: Database) -> None:
    with database.transaction(write=False) as session:
        session.execute(text("SELECT n FROM counter")).scalar_one()
        assert _gate_is_free(database)


def test_urgent_writers_go_before_others_that_wait(database: Database) -> None:
    """A thread that prefers its writes (the gateway's writer, the welcome lane) takes the lock
    before threads that were already waiting for it."""
    order: list[str] = []
    holding, release = threading.Event(), threading.Event()
    path = database.engine.url.database
    assert path is not None
    gate = gate_for(path)

    def holder() -> None:
        with database.transaction() as session:
            session.execute(text("UPDATE counter SET n = n + 1"))
            holding.set()
            assert release.wait(30)

    def writer(name: str, urgent: bool) -> None:
        if urgent:
            prefer_this_threads_writes()
        with database.transaction() as session:
            session.execute(text("UPDATE counter SET n = n + 1"))
            order.append(name)

    first = threading.Thread(target=holder)
    first.start()
    assert holding.wait(30)
    normal = [threading.Thread(target=writer, args=(f"normal{i}", False)) for i in range(3)]
    for thread in normal:
        thread.start()
    urgent = threading.Thread(target=writer, args=("urgent", True))
    urgent.start()
    while gate._urgent_waiting == 0:  # the urgent writer is queued behind the holder
        urgent.join(0.01)
    release.set()
    for thread in [first, *normal, urgent]:
        thread.join(30)
    assert order[0] == "urgent"
    assert sorted(order[1:]) == ["normal0", "normal1", "normal2"]
    assert _gate_is_free(database)
