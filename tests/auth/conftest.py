"""Small, explicit limits so lockout and rate-limit tests read as arithmetic."""

from __future__ import annotations

import pytest

from siyu.db.session import Database
from siyu.settings import Settings
from tests.conftest import make_settings


@pytest.fixture
def settings(db: Database) -> Settings:
    return make_settings(
        db.url,
        login_max_failures=3,
        login_lockout_minutes=15,
        login_ip_attempts_per_window=5,
        login_ip_window_seconds=300,
        session_ttl_hours=12,
    )
