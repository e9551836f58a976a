"""insert_new_returning stores exactly the rows whose key is new and names them, on both
dialects: keys already stored, keys repeated within the batch, NULLs, enums, timestamps and
text that needs quoting all come back as they went in."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from siyu.corps.models import Corp
from siyu.db import bulk
from siyu.db.bulk import insert_new_returning
from siyu.db.session import Database
from siyu.inbox.models import InboxEvent, InboxStatus
from siyu.kit.ids import new_id
from tests.helpers.auth import make_corp

TABLE: Any = InboxEvent.__table__
KEY = ("corp_id", "create_time", "dedup_key")


def _row(corp: Corp, key: str, **values: Any) -> dict[str, Any]:
    now = datetime(2026, 12, 2, 8, 30, 15, 123456, tzinfo=UTC)
    return {
        "id": new_id(),
        "corp_id": corp.id,
        "dedup_key": key,
        "event": "change_external_contact",
        "change_type": "add_external_contact",
        "create_time": 1_764_664_215,
        "payload": f'<xml><Key><![CDATA[{key}]]></Key><Q>"引号" \\ {{,}}</Q></xml>',
        "status": InboxStatus.pending,
        "attempts": 0,
        "received_at": now,
        "updated_at": now,
    } | values


def _insert(db: Database, rows: list[dict[str, Any]]) -> list[uuid.UUID]:
    with db.transaction() as session:
        return insert_new_returning(session, TABLE, rows, conflict_columns=KEY, returning="id")


def test_only_new_keys_are_stored_and_returned(db: Database) -> None:
    corp = make_corp(db)
    stored = [_row(corp, f"k{n}") for n in range(5)]
    assert sorted(_insert(db, stored)) == sorted(r["id"] for r in stored)

    again = [_row(corp, "k1"), _row(corp, "new-a"), _row(corp, "new-a"), _row(corp, "new-b")]
    returned = _insert(db, again)
    # k1 was stored before; new-a twice in one batch is stored once, the first row winning.
    assert sorted(returned) == sorted([again[1]["id"], again[3]["id"]])
    with db.transaction(write=False) as session:
        keys = session.scalars(select(InboxEvent.dedup_key).where(InboxEvent.corp_id == corp.id))
        assert sorted(keys) == ["k0", "k1", "k2", "k3", "k4", "new-a", "new-b"]


def test_values_round_trip(db: Database) -> None:
    corp = make_corp(db)
    later = datetime(2026, 12, 2, 16, 30, tzinfo=UTC) + timedelta(microseconds=7)
    rows = [
        _row(corp, "plain"),
        _row(corp, "null-change-type", change_type=None, status=InboxStatus.unsupported),
        _row(corp, "later", received_at=later, updated_at=later, attempts=3),
    ]
    _insert(db, rows)
    with db.transaction(write=False) as session:
        found = {
            event.dedup_key: event
            for event in session.scalars(select(InboxEvent).where(InboxEvent.corp_id == corp.id))
        }
    for row in rows:
        event = found[row["dedup_key"]]
        assert event.id == row["id"]
        assert event.payload == row["payload"]
        assert event.change_type == row["change_type"]
        assert event.status == row["status"]
        assert event.attempts == row["attempts"]
        assert event.received_at == row["received_at"]


def test_no_rows_is_no_statement(db: Database) -> None:
    assert _insert(db, []) == []


def test_a_batch_with_every_key_taken_returns_nothing(db: Database) -> None:
    corp = make_corp(db)
    rows = [_row(corp, f"dup{n}") for n in range(3)]
    _insert(db, rows)
    assert _insert(db, [_row(corp, f"dup{n}") for n in range(3)]) == []


def test_more_rows_than_one_sqlite_statement_takes(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SQLite gets one multi-row VALUES per chunk of at most its parameter limit; with the
    # limit at 3 rows, 8 rows are three statements, and a key repeated across two of them
    # is still stored once. (PostgreSQL sends one array per column whatever the count.)
    corp = make_corp(db)
    monkeypatch.setattr(bulk, "_SQLITE_MAX_PARAMETERS", 3 * len(_row(corp, "x")))
    rows = [_row(corp, f"c{n}") for n in range(7)] + [_row(corp, "c1")]
    assert sorted(_insert(db, rows)) == sorted(r["id"] for r in rows[:7])
    with db.transaction(write=False) as session:
        count = session.scalar(
            select(func.count()).select_from(InboxEvent).where(InboxEvent.corp_id == corp.id)
        )
    assert count == 7
