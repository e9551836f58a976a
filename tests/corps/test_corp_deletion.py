"""Deleting a corp removes every row of it, also from the tables whose `corp_id` has no
foreign key of its own (decision 0007: their `customer_id` cascades from the corp's people)."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, func, select

from siyu.corps.models import Corp
from siyu.db.base import Base
from siyu.db.session import Database
from tests.helpers.auth import make_corp
from tests.identity.helpers import claims, contact, resolve


def rows_per_table(db: Database, corp_id: uuid.UUID) -> dict[str, int]:
    """Rows of the corp in every table that has a `corp_id` column, empty tables left out."""
    with db.transaction() as session:
        counts = {
            table.name: session.scalar(
                select(func.count()).select_from(table).where(table.c.corp_id == corp_id)
            )
            or 0
            for table in Base.metadata.sorted_tables
            if "corp_id" in table.c
        }
    return {name: n for name, n in counts.items() if n}


def populate(db: Database, corp: Corp) -> None:
    """People with identities, segment facts, one merge and one open conflict."""
    contact(db, corp, "wm1", unionid="U1")
    resolve(db, corp, claims(("business_id", "B1"), ("phone", "13800138000")))
    resolve(db, corp, claims(("unionid", "U1"), ("phone", "13800138000")))
    resolve(db, corp, claims(("business_id", "B2"), ("phone", "13800138001")))
    resolve(db, corp, claims(("phone", "13800138000"), ("phone", "13800138001")))


class TestDeleteCorp:
    def test_removes_people_identities_facts_merges_and_conflicts(self, db: Database) -> None:
        corp, other = make_corp(db), make_corp(db)
        populate(db, corp)
        populate(db, other)
        before = rows_per_table(db, corp.id)
        # The tables that lost their corps foreign key are among those filled.
        for table in (
            "customers",
            "customer_identities",
            "customer_facts",
            "identity_merges",
            "identity_conflicts",
        ):
            assert before.get(table), table

        with db.transaction() as session:
            session.execute(delete(Corp).where(Corp.id == corp.id))

        assert rows_per_table(db, corp.id) == {}
        assert rows_per_table(db, other.id) == before
