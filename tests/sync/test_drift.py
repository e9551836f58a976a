"""The drift check's signals: equal right after a sync, different once WeCom changed behind
Siyu's back (a lost callback)."""

from __future__ import annotations

import uuid

from siyu.db.session import Database
from siyu.sandbox.state import SandboxState
from siyu.sync.drift import database_signals, drifted, wecom_signals
from siyu.wecom.client import WeComClient
from tests.sync.conftest import CORP_ID, RunSync


class TestDrift:
    def test_no_drift_after_a_sync_then_groups_and_follow_users_drift(
        self,
        run_sync: RunSync,
        sync_db: Database,
        wecom: WeComClient,
        corp_id: uuid.UUID,
        sandbox_state: SandboxState,
    ) -> None:
        with sync_db.transaction(write=False) as session:
            assert database_signals(session, corp_id) is None  # never synced: nothing to compare
        run_sync()
        with sync_db.transaction(write=False) as session:
            database = database_signals(session, corp_id)
        assert database is not None
        assert drifted(database, wecom_signals(wecom)) == []

        corp = sandbox_state.corps[CORP_ID]
        corp.groups.pop(next(iter(corp.groups)))
        next(s for s in corp.staff.values() if s.can_follow).can_follow = False
        assert drifted(database, wecom_signals(wecom)) == ["follow_users", "groups"]
