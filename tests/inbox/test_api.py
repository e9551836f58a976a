"""The console API and the CLI over the inbox: list with filters and pages, the decoded
payload, replay (runs the handler again even if handled), re-drive of dead events, audit."""

from __future__ import annotations

import json
import uuid

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, text, update
from typer.testing import CliRunner

from siyu.audit.models import AuditEvent
from siyu.auth.models import Role
from siyu.cli import app as cli_app
from siyu.db.session import Database
from siyu.inbox.models import InboxEvent, InboxStatus
from tests.conftest import make_settings
from tests.helpers.auth import member_client
from tests.inbox.conftest import CallbackCorp, fixture_xml, give_callback_secrets, inbox_rows
from tests.inbox.probe_handlers import PROBE_TABLE_DDL, probe_xml


def effects(db: Database) -> int:
    with db.transaction(write=False) as session:
        return int(session.execute(text("SELECT COUNT(*) FROM inbox_probe_effects")).scalar_one())


def audit_actions(db: Database) -> list[str]:
    with db.transaction(write=False) as session:
        return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


class TestInboxApi:
    @pytest.fixture(autouse=True)
    def _setup(
        self, app: FastAPI, client: TestClient, db: Database, callback_corp: CallbackCorp
    ) -> None:
        with db.transaction() as session:
            session.execute(text(PROBE_TABLE_DDL))
        self.db, self.corp, self.gateway = db, callback_corp, client
        owner = member_client(app, db, corp=callback_corp.corp, role=Role.owner)
        self.owner = owner.client
        self.base = f"/api/v1/corps/{callback_corp.corp.id}/inbox"
        self.app = app

    def receive(self, xml: str) -> uuid.UUID:
        assert self.corp.post(self.gateway, xml).status_code == 200
        return inbox_rows(self.db)[-1].id

    def test_list_filters_and_pages_newest_first(self) -> None:
        corp_id = self.corp.corp.wecom_corp_id
        ids = [self.receive(probe_xml(corp_id, "count", f"l{i}")) for i in range(3)]
        self.receive(probe_xml(corp_id, "nobody", "no handler"))
        page = self.owner.get(
            self.base, params={"event": "siyu_probe", "change_type": "count", "limit": 2}
        ).json()
        assert [item["id"] for item in page["items"]] == [str(ids[2]), str(ids[1])]
        rest = self.owner.get(
            self.base,
            params={"change_type": "count", "limit": 2, "cursor": page["next_cursor"]},
        ).json()
        assert [item["id"] for item in rest["items"]] == [str(ids[0])]
        assert rest["next_cursor"] is None
        unsupported = self.owner.get(self.base, params={"status": "unsupported"}).json()
        assert [item["change_type"] for item in unsupported["items"]] == ["nobody"]

    def test_detail_has_the_decoded_payload(self) -> None:
        xml = fixture_xml("add_external_contact", corp_id=self.corp.corp.wecom_corp_id)
        event_id = self.receive(xml)
        body = self.owner.get(f"{self.base}/{event_id}").json()
        assert body["payload"] == xml
        assert body["fields"]["external_user_id"] == "wmAAAAexternal0001"
        assert body["fields"]["welcome_code"] == "WELCOMECODE0001"

    def test_replay_runs_a_handled_event_again_and_is_audited(self) -> None:
        event_id = self.receive(probe_xml(self.corp.corp.wecom_corp_id, "count", "again"))
        assert effects(self.db) == 1
        response = self.owner.post(f"{self.base}/{event_id}/replay")
        assert response.status_code == 202
        assert effects(self.db) == 2  # the probe counts non-idempotently, so the rerun shows
        assert self.owner.get(f"{self.base}/{event_id}").json()["status"] == "handled"
        assert "inbox.replay" in audit_actions(self.db)

    def test_redrive_puts_dead_events_back_and_is_audited(self) -> None:
        event_id = self.receive(probe_xml(self.corp.corp.wecom_corp_id, "count", "dead"))
        with self.db.transaction() as session:
            session.execute(
                update(InboxEvent).where(InboxEvent.id == event_id).values(status="dead")
            )
        response = self.owner.post(f"{self.base}/redrive")
        assert response.json() == {"redriven": 1}
        assert self.owner.get(f"{self.base}/{event_id}").json()["status"] == "handled"
        assert "inbox.redrive" in audit_actions(self.db)

    def test_other_corps_events_are_not_found(self) -> None:
        event_id = self.receive(probe_xml(self.corp.corp.wecom_corp_id, "count", "mine"))
        from tests.helpers.auth import make_corp

        other = make_corp(self.db)
        stranger = member_client(self.app, self.db, corp=other, role=Role.owner).client
        response = stranger.get(f"/api/v1/corps/{other.id}/inbox/{event_id}")
        assert response.status_code == 404

    def test_staff_may_not_read_the_inbox(self) -> None:
        staff = member_client(self.app, self.db, corp=self.corp.corp, role=Role.staff).client
        assert staff.get(self.base).status_code == 403


class TestInboxCli:
    def test_list_show_replay_redrive_prune(self, fresh_db_url: str) -> None:
        from siyu.runtime import build_runtime
        from tests.helpers.auth import make_corp
        from tests.inbox.conftest import TOKEN, CallbackCorp

        settings = make_settings(fresh_db_url)
        runtime = build_runtime(settings, immediate_jobs=True)
        try:
            corp = make_corp(runtime.db)
            give_callback_secrets(runtime.db, corp, token=TOKEN, aes_key="a" * 43)
            from siyu.app import create_app

            with TestClient(create_app(runtime=runtime, start_worker=False)) as client:
                cc = CallbackCorp(corp, TOKEN, "a" * 43)
                assert cc.post(client, probe_xml(corp.wecom_corp_id, "nobody", "cli"))
                (row,) = inbox_rows(runtime.db)
            runner = CliRunner()
            listed = runner.invoke(
                cli_app, ["inbox", "list", "--corp", corp.wecom_corp_id], obj=settings
            )
            assert listed.exit_code == 0, listed.output
            assert json.loads(listed.output.strip().splitlines()[-1]) == {"unsupported": 1}
            shown = runner.invoke(cli_app, ["inbox", "show", str(row.id)], obj=settings)
            assert json.loads(shown.output)["change_type"] == "nobody"
            replayed = runner.invoke(cli_app, ["inbox", "replay", str(row.id)], obj=settings)
            assert replayed.exit_code == 0, replayed.output
            with runtime.db.transaction() as session:
                session.execute(update(InboxEvent).values(status=InboxStatus.dead))
            redriven = runner.invoke(cli_app, ["inbox", "redrive"], obj=settings)
            assert "1 dead events re-driven" in redriven.output
            pruned = runner.invoke(cli_app, ["inbox", "prune", "--days", "1"], obj=settings)
            assert "0 handled events deleted" in pruned.output
            missing = runner.invoke(cli_app, ["inbox", "show", str(uuid.uuid4())], obj=settings)
            assert missing.exit_code == 1
        finally:
            runtime.close()
