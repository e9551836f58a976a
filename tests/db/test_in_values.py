"""in_values selects exactly the rows an IN list would, on both dialects, for the column types
the bulk paths pass (UUIDs, text) and for lists from empty to many thousands."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from siyu.customers.models import Customer
from siyu.db.bulk import bulk_insert
from siyu.db.dialect import in_values
from siyu.db.session import Database
from tests.db.test_bulk import _person
from tests.helpers.auth import make_corp


def _people(db: Database, count: int) -> tuple[uuid.UUID, list[dict[str, object]]]:
    corp = make_corp(db)
    rows = [
        _person(corp, f"客户{index}") | {"external_userid": f"wm{index:06d}" if index % 3 else None}
        for index in range(count)
    ]
    with db.transaction() as session:
        bulk_insert(session, Customer.__table__, rows)  # type: ignore[arg-type]
    return corp.id, rows


def test_uuid_lists_match_the_rows_asked_for(db: Database) -> None:
    _, rows = _people(db, 5_000)
    wanted = {row["id"] for row in rows[::7]}
    strangers = {uuid.uuid4() for _ in range(50)}
    with db.transaction(write=False) as session:
        found = set(
            session.scalars(
                select(Customer.id).where(in_values(session, Customer.id, wanted | strangers))
            )
        )
        nothing = session.scalars(select(Customer.id).where(in_values(session, Customer.id, [])))
        assert list(nothing) == []
    assert found == wanted


def test_text_lists_match_and_nulls_never_do(db: Database) -> None:
    corp_id, rows = _people(db, 300)
    wanted = {str(row["external_userid"]) for row in rows if row["external_userid"]}
    asked = [*wanted, "wm-nobody", '含 "引号" 与 \\ 的值']
    with db.transaction(write=False) as session:
        stmt = select(Customer.external_userid).where(
            Customer.corp_id == corp_id, in_values(session, Customer.external_userid, asked)
        )
        found = set(session.scalars(stmt))
    assert found == wanted
    assert len(found) == 200


def test_a_quoted_value_round_trips(db: Database) -> None:
    corp = make_corp(db)
    odd = 'wm"引号"\\反斜杠\n换行'
    row = _person(corp, "odd") | {"external_userid": odd}
    with db.transaction() as session:
        bulk_insert(session, Customer.__table__, [row])  # type: ignore[arg-type]
    with db.transaction(write=False) as session:
        stmt = select(Customer.id).where(in_values(session, Customer.external_userid, [odd]))
        assert list(session.scalars(stmt)) == [row["id"]]
