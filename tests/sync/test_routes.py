"""The sync API: start (audited, one at a time), history and progress, owners/admins only."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from siyu.audit.models import AuditEvent
from siyu.auth.models import Role
from siyu.corps.models import Corp
from siyu.db.session import Database
from tests.helpers.auth import make_corp, member_client

URL = "/api/v1/corps/{corp}/sync"


@pytest.fixture
def corp(db: Database) -> Corp:
    return make_corp(db)


class TestCreateSyncRun:
    def test_owner_starts_a_run_once_and_it_is_audited(
        self, app: FastAPI, db: Database, corp: Corp
    ) -> None:
        owner = member_client(app, db, corp=corp, role=Role.owner)
        response = owner.client.post(URL.format(corp=corp.id))
        assert response.status_code == 202, response.text
        run = response.json()
        assert run["kind"] == "full" and run["corp_id"] == str(corp.id)
        again = owner.client.post(URL.format(corp=corp.id))
        assert again.status_code == 409
        assert again.json()["error"]["code"] == "sync_running"
        with db.transaction(write=False) as session:
            actions = list(
                session.scalars(select(AuditEvent.action).where(AuditEvent.corp_id == corp.id))
            )
        assert actions.count("sync.start") == 1

    def test_staff_may_not_start_a_sync(self, app: FastAPI, db: Database, corp: Corp) -> None:
        staff = member_client(app, db, corp=corp, role=Role.staff)
        assert staff.client.post(URL.format(corp=corp.id)).status_code == 403


class TestListAndGetSyncRuns:
    def test_history_and_progress(self, app: FastAPI, db: Database, corp: Corp) -> None:
        admin = member_client(app, db, corp=corp, role=Role.admin)
        run_id = admin.client.post(URL.format(corp=corp.id)).json()["id"]
        page = admin.client.get(f"{URL.format(corp=corp.id)}/runs").json()
        assert [item["id"] for item in page["items"]] == [run_id]
        one = admin.client.get(f"{URL.format(corp=corp.id)}/runs/{run_id}")
        assert one.status_code == 200 and "progress" in one.json()

    def test_runs_of_another_corp_are_not_found(
        self, app: FastAPI, db: Database, corp: Corp
    ) -> None:
        other = make_corp(db)
        admin = member_client(app, db, corp=corp, role=Role.admin)
        run_id = admin.client.post(URL.format(corp=corp.id)).json()["id"]
        outsider = member_client(app, db, corp=other, role=Role.admin)
        assert outsider.client.get(f"{URL.format(corp=other.id)}/runs/{run_id}").status_code == 404
