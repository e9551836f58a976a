"""A corp with people for segment tests."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from siyu.db.session import Database
from tests.helpers.auth import make_corp
from tests.segments.people import Town


@pytest.fixture
def town(db: Database) -> Town:
    return Town(db=db, corp=make_corp(db))


@pytest.fixture
def cast(town: Town) -> Town:
    """Five people: who has which tag, staff, channel, date and status."""
    town.person("ann", tags=("vip", "new"), state="poster", added=datetime(2026, 1, 5, tzinfo=UTC))
    town.person("ben", tags=("vip",), siyu_tags=("risk",), staff="bob", state="store")
    town.person("cat", tags=("new",), staff="bob", state="poster")
    town.person("dan", siyu_tags=("risk",), status="lost")
    town.person("eve")
    return town


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
    "cast",
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
