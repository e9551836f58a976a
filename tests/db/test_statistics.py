"""refresh_statistics makes PostgreSQL's planner see rows a bulk write just added (in the same
transaction); on SQLite it writes no statistics (its plans there do not depend on them, and
ANALYZE would read the whole table)."""

from __future__ import annotations

from sqlalchemy import text

from siyu.customers.models import Customer
from siyu.db.bulk import bulk_insert
from siyu.db.dialect import is_postgres, refresh_statistics
from siyu.db.session import Database
from tests.db.test_bulk import _person
from tests.helpers.auth import make_corp


def test_the_planner_sees_the_rows_of_the_writing_transaction(db: Database) -> None:
    corp = make_corp(db)
    with db.transaction() as session:
        rows = [_person(corp, f"客户{i}") for i in range(500)]
        bulk_insert(session, Customer.__table__, rows)  # type: ignore[arg-type]
        refresh_statistics(session, Customer.__tablename__)
        if is_postgres(session):
            query = text("SELECT reltuples FROM pg_class WHERE relname = 'customers'")
            assert (session.scalar(query) or 0) >= 500
        else:
            has_stats = session.scalar(
                text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
            )
            written = (
                session.scalar(text("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'customers'"))
                if has_stats
                else 0
            )
            assert written == 0
