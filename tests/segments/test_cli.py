"""`siyu segments rebuild-index`: a damaged index comes back equal to the source rows."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import delete, select, update
from typer.testing import CliRunner

from siyu.db.session import Database
from siyu.segments.cli import app
from siyu.segments.models import CustomerFacts
from tests.conftest import make_settings
from tests.helpers.auth import make_corp
from tests.segments.people import Town

runner = CliRunner()


@pytest.fixture
def committed(fresh_db_url: str) -> Iterator[Town]:
    db = Database(fresh_db_url)
    town = Town(db=db, corp=make_corp(db))
    for index in range(7):
        town.person(f"p{index}", tags=("vip",) if index % 2 else (), staff=f"s{index % 3}")
    yield town
    db.dispose()


def facts_of(db: Database) -> dict[object, tuple[object, ...]]:
    with db.transaction(write=False) as session:
        return {
            f.customer_id: (f.status, tuple(f.tags), tuple(f.staff), tuple(f.channels))
            for f in session.scalars(select(CustomerFacts))
        }


def test_rebuild_restores_a_damaged_index(committed: Town, fresh_db_url: str) -> None:
    expected = facts_of(committed.db)
    assert len(expected) == 7
    with committed.db.transaction() as session:
        first, *_ = sorted(expected, key=str)
        session.execute(delete(CustomerFacts).where(CustomerFacts.customer_id == first))
        session.execute(update(CustomerFacts).values(tags=[], staff=[]))
    assert facts_of(committed.db) != expected

    result = runner.invoke(
        app,
        ["rebuild-index", "--corp", committed.corp.wecom_corp_id, "--batch", "100"],
        obj=make_settings(fresh_db_url),
    )
    assert result.exit_code == 0, result.output
    assert "rebuilt the segment index of 7 people in 1 corp(s)" in result.output
    assert facts_of(committed.db) == expected


def test_unknown_corp_is_an_error(fresh_db_url: str) -> None:
    result = runner.invoke(
        app, ["rebuild-index", "--corp", "wwnosuchcorp"], obj=make_settings(fresh_db_url)
    )
    assert result.exit_code == 1
    assert "no corp with CorpID wwnosuchcorp" in result.output
