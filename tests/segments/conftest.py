"""A corp with people for segment tests."""

from __future__ import annotations

import pytest

from siyu.db.session import Database
from tests.helpers.auth import make_corp
from tests.segments.people import Town


@pytest.fixture
def town(db: Database) -> Town:
    return Town(db=db, corp=make_corp(db))


# The full-sync fixtures (sandbox over HTTP, a fresh database) for the index tests.
from tests.customers.world import world  # noqa: E402
from tests.sync.conftest import (  # noqa: E402
    corp_id,
    gauge,
    run_sync,
    sandbox_state,
    sandbox_url,
    sync_db,
    wecom,
)

__all__ = [
    "corp_id",
    "gauge",
    "run_sync",
    "sandbox_state",
    "sandbox_url",
    "sync_db",
    "town",
    "wecom",
    "world",
]
