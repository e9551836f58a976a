"""A corp with people for segment tests."""

from __future__ import annotations

import pytest

from siyu.db.session import Database
from tests.helpers.auth import make_corp
from tests.segments.people import Town


@pytest.fixture
def town(db: Database) -> Town:
    return Town(db=db, corp=make_corp(db))
