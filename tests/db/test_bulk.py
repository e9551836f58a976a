"""bulk_insert stores what the ORM would, on both dialects, and ignores clashing keys."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Table, func, select, text
from sqlalchemy.dialects import postgresql

from siyu.corps.models import Corp
from siyu.customers.models import Customer
from siyu.db.bulk import bulk_insert, bulk_upsert
from siyu.db.dialect import is_postgres
from siyu.db.pgcopy import binary_oids
from siyu.db.search import fts_table, indexed_contains
from siyu.db.session import Database
from siyu.identity.models import CustomerIdentity, IdentityMerge
from siyu.kit.ids import new_id
from siyu.segments.models import CustomerFacts
from tests.helpers.auth import make_corp

NOW = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)


def _person(corp: Corp, name: str) -> dict[str, object]:
    return {
        "id": new_id(),
        "corp_id": corp.id,
        "name": name,
        "merged_into_id": None,
        "status": "active",
        "type": 1,
        "gender": 0,
        "created_at": NOW,
        "updated_at": NOW,
    }


def _identity(corp: Corp, person_id: object, value: str) -> dict[str, object]:
    return {
        "id": new_id(),
        "corp_id": corp.id,
        "customer_id": person_id,
        "kind": "unionid",
        "namespace": "",
        "value": value,
        "source": "shop",
        "verified": True,
        "created_at": NOW,
    }


def test_rows_read_back_as_written(db: Database) -> None:
    corp = make_corp(db)
    person = _person(corp, "张三")
    merge_id = new_id()
    with db.transaction() as session:
        bulk_insert(session, Customer.__table__, [person])  # type: ignore[arg-type]
        bulk_insert(
            session,
            IdentityMerge.__table__,  # type: ignore[arg-type]
            [
                {
                    "id": merge_id,
                    "corp_id": corp.id,
                    "survivor_id": person["id"],
                    "merged_id": person["id"],
                    "reason": "auto",
                    "kind": None,
                    "value": None,
                    "actor_label": None,
                    "moved": {"customers.merged_into_id": ["ab"]},
                    "created_at": NOW,
                    "undone_at": None,
                }
            ],
        )
    with db.transaction(write=False) as session:
        stored = session.get(Customer, person["id"])
        merge = session.get(IdentityMerge, merge_id)
        assert stored is not None and merge is not None
        assert (stored.name, stored.created_at, stored.merged_into_id) == ("张三", NOW, None)
        assert merge.moved == {"customers.merged_into_id": ["ab"]}


def test_clashing_keys_are_skipped_and_the_rest_inserted(db: Database) -> None:
    corp = make_corp(db)
    first, second = _person(corp, "a"), _person(corp, "b")
    with db.transaction() as session:
        bulk_insert(session, Customer.__table__, [first, second])  # type: ignore[arg-type]
        bulk_insert(session, CustomerIdentity.__table__, [_identity(corp, first["id"], "U1")])  # type: ignore[arg-type]
    keys = ("corp_id", "kind", "namespace", "value")
    with db.transaction() as session:
        rows = [_identity(corp, second["id"], "U1"), _identity(corp, second["id"], "U2")]
        bulk_insert(session, CustomerIdentity.__table__, rows, ignore_conflicts=keys)  # type: ignore[arg-type]
        # The same transaction goes on after the clash (the savepoint was rolled back only).
        bulk_insert(
            session,
            CustomerIdentity.__table__,  # type: ignore[arg-type]
            [_identity(corp, second["id"], "U3")],
            ignore_conflicts=keys,
        )
    with db.transaction(write=False) as session:
        owners = dict(
            session.execute(select(CustomerIdentity.value, CustomerIdentity.customer_id)).all()
        )
        total = session.scalar(select(func.count()).select_from(CustomerIdentity))
    assert owners == {"U1": first["id"], "U2": second["id"], "U3": second["id"]}
    assert total == 3


def test_bulk_inserted_names_are_searchable(db: Database) -> None:
    corp = make_corp(db)
    with db.transaction() as session:
        bulk_insert(session, Customer.__table__, [_person(corp, "欧阳小明")])  # type: ignore[arg-type]
        bulk_insert(session, Customer.__table__, [_person(corp, "欧阳明月")])  # type: ignore[arg-type]
    with db.transaction() as session:
        # The insert trigger works again after a bulk insert: an ORM row is indexed too.
        session.add(Customer(corp_id=corp.id, name="欧阳春"))
    with db.transaction() as session:
        condition = indexed_contains(session, Customer.__table__.c.name, "欧阳")
        assert condition is None  # two characters: below the trigram index
        condition = indexed_contains(session, Customer.__table__.c.name, "阳明月")
        assert condition is not None
        assert list(session.scalars(select(Customer.name).where(condition))) == ["欧阳明月"]
        condition = indexed_contains(session, Customer.__table__.c.name, "欧阳春")
        assert condition is not None
        assert list(session.scalars(select(Customer.name).where(condition))) == ["欧阳春"]
        if not is_postgres(session):
            fts = fts_table("customers", "name")
            session.execute(text(f"INSERT INTO {fts}({fts}, rank) VALUES ('integrity-check', 1)"))


def test_bulk_upserted_names_are_searchable(db: Database) -> None:
    """New rows of an upsert are indexed after it; updated rows through the update trigger,
    so a renamed person is found by the new name only."""
    corp = make_corp(db)
    table: Table = Customer.__table__  # type: ignore[assignment]
    first = _person(corp, "司马相如") | {"external_userid": "wm-sima"}
    with db.transaction() as session:
        bulk_insert(session, table, [first])

    def upsert(rows: list[dict[str, object]]) -> None:
        with db.transaction() as session:
            bulk_upsert(
                session,
                table,
                rows,
                conflict_columns=("corp_id", "external_userid"),
                update=lambda excluded: {"name": excluded.name},
            )

    renamed = _person(corp, "司马光") | {"external_userid": "wm-sima"}
    upsert([renamed, _person(corp, "诸葛孔明") | {"external_userid": "wm-zhuge"}])
    upsert([_person(corp, "上官婉儿") | {"external_userid": "wm-shangguan"}])

    def found(query: str) -> list[str]:
        with db.transaction(write=False) as session:
            condition = indexed_contains(session, table.c.name, query)
            assert condition is not None
            return sorted(session.scalars(select(Customer.name).where(condition)))

    assert found("司马光") == ["司马光"]
    assert found("司马相如") == []
    assert found("诸葛孔") == ["诸葛孔明"]
    assert found("官婉儿") == ["上官婉儿"]
    with db.transaction() as session:
        # The insert trigger works again afterwards: an ORM row is indexed too.
        session.add(Customer(corp_id=corp.id, name="欧阳修远"))
    assert found("阳修远") == ["欧阳修远"]
    if db.dialect == "sqlite":
        with db.transaction() as session:
            fts = fts_table("customers", "name")
            session.execute(text(f"INSERT INTO {fts}({fts}, rank) VALUES ('integrity-check', 1)"))


def test_token_sets_read_back(db: Database) -> None:
    corp = make_corp(db)
    person = _person(corp, "甲")
    with db.transaction() as session:
        bulk_insert(session, Customer.__table__, [person])  # type: ignore[arg-type]
        bulk_insert(
            session,
            CustomerFacts.__table__,  # type: ignore[arg-type]
            [
                {
                    "customer_id": person["id"],
                    "corp_id": corp.id,
                    "status": "active",
                    "first_added_at": NOW,
                    "tags": ["b", "a"],
                    "staff": [],
                    "channels": ['po"ster'],
                }
            ],
        )
    with db.transaction(write=False) as session:
        row = session.get(CustomerFacts, person["id"])
        assert row is not None
        assert (row.tags, row.staff, row.channels, row.first_added_at) == (
            ["a", "b"],
            [],
            ['po"ster'],
            NOW,
        )


class TestBinaryOids:
    """A PostgreSQL COPY is binary only when every value has its column's exact type."""

    dialect = postgresql.psycopg.dialect()  # type: ignore[attr-defined]
    table: Table = CustomerIdentity.__table__  # type: ignore[assignment]
    names = ("id", "verified", "created_at")

    def test_exact_types_are_binary(self) -> None:
        rows = [[new_id(), True, NOW], [new_id(), None, None]]
        assert binary_oids(self.dialect, self.table, self.names, rows) == [2950, 16, 1184]

    def test_a_str_id_or_a_naive_timestamp_is_text(self) -> None:
        for row in ([str(new_id()), True, NOW], [new_id(), True, NOW.replace(tzinfo=None)]):
            assert binary_oids(self.dialect, self.table, self.names, [row]) is None
