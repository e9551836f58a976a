"""The call journal: every attempt recorded off the caller's transaction, and its console API."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi import FastAPI
from sqlalchemy import select, text

from siyu.auth.models import Role
from siyu.corps.schemas import CorpCreate, CorpUpdate
from siyu.corps.service import corp_service
from siyu.db.session import Database
from siyu.kit.clock import FrozenClock, utcnow
from siyu.kit.secrets import SecretBox
from siyu.runtime import Runtime, build_runtime
from siyu.sandbox.state import SandboxState
from siyu.telemetry.metrics import registry
from siyu.wecom.client import WeComApiError, client_for
from siyu.wecom.journal import CallRecord, JournalWriter
from siyu.wecom.models import WeComCall
from siyu.wecom.service import JOURNAL_RETENTION, wecom_call_service
from siyu.wecom.store import MemoryStore
from tests.conftest import TEST_SECRET_KEY, make_settings
from tests.helpers.auth import api_key_client, make_corp, member_client
from tests.wecom.conftest import CORP_ID, SECRET, MakeClient


def _calls(database: Database) -> list[WeComCall]:
    with database.transaction() as session:
        return list(session.scalars(select(WeComCall).order_by(WeComCall.id)))


class TestWriter:
    def test_a_rolled_back_caller_still_leaves_its_calls(
        self, make_client: MakeClient, client_db: Database
    ) -> None:
        wecom = make_client()
        with pytest.raises(WeComApiError), client_db.transaction() as session:
            session.execute(text("SELECT 1"))
            wecom.department_list()
            wecom.user_get(userid="nobody")  # raises: the caller's transaction rolls back
        wecom.transport.journal.flush()
        calls = _calls(client_db)
        assert [(c.api, c.errcode, c.attempt) for c in calls] == [
            ("gettoken", 0, 1),
            ("department/list", 0, 1),
            ("user/get", 60111, 1),
        ]
        assert calls[2].error and "60111" in calls[2].error
        assert all(c.wecom_corp_id == CORP_ID and c.http_status == 200 for c in calls)

    def test_each_retry_is_an_attempt(
        self, make_client: MakeClient, client_db: Database, sandbox_state: SandboxState
    ) -> None:
        wecom = make_client(wecom_max_attempts=3)
        wecom.department_list()
        sandbox_state.faults.configure({"api_errors": {"user/get": {"errcode": -1}}})
        with pytest.raises(WeComApiError):
            wecom.user_get(userid="x")
        wecom.transport.journal.flush()
        retried = [(c.attempt, c.errcode) for c in _calls(client_db) if c.api == "user/get"]
        assert retried == [(1, -1), (2, -1), (3, -1)]

    def test_calls_are_counted_in_metrics(self, make_client: MakeClient) -> None:
        def sample() -> float:
            value = registry.get_sample_value(
                "siyu_wecom_calls_total", {"api": "department/list", "errcode": "ok"}
            )
            return value or 0.0

        before = sample()
        make_client().department_list()
        assert sample() == before + 1


@pytest.fixture
def own_runtime(fresh_db_url: str) -> Iterator[Runtime]:
    runtime = build_runtime(make_settings(fresh_db_url))
    yield runtime
    runtime.close()


class TestClientFor:
    def test_a_registered_corp_calls_its_base_url_and_journals_its_id(
        self, own_runtime: Runtime, sandbox_url: str
    ) -> None:
        data = CorpCreate(
            wecom_corp_id=CORP_ID,
            name="沙箱",
            app_secret=SECRET,
            api_base_url=sandbox_url,  # type: ignore[arg-type]
        )
        with own_runtime.db.transaction() as session:
            corp = corp_service.create(session, data=data, box=SecretBox(TEST_SECRET_KEY))
        wecom = client_for(own_runtime, corp)
        assert wecom.get_follow_user_list().follow_user
        own_runtime.close()  # flushes the journal
        assert {c.corp_id for c in _calls(own_runtime.db)} == {corp.id}

    def test_a_test_runtime_keeps_state_in_memory_and_journals_on_close(
        self, runtime: Runtime, db: Database, sandbox_url: str
    ) -> None:
        """The `db` fixture is one connection: no background thread may use it."""
        corp = make_corp(db)
        with db.transaction() as session:
            corp = corp_service.get_or_404(session, corp.id)
            data = CorpUpdate(app_secret=SECRET, api_base_url=sandbox_url)  # type: ignore[arg-type]
            corp_service.update(session, corp=corp, data=data, box=SecretBox(TEST_SECRET_KEY))
            corp.wecom_corp_id = CORP_ID
        wecom = client_for(runtime, corp)
        assert isinstance(wecom.transport.store, MemoryStore)
        wecom.department_list()
        assert _calls(db) == []
        runtime.close()
        assert [c.api for c in _calls(db)] == ["gettoken", "department/list"]


def _record(writer: JournalWriter, corp_id: uuid.UUID, api: str, errcode: int) -> None:
    writer.record(
        CallRecord(
            corp_id=corp_id,
            wecom_corp_id="wwx",
            api=api,
            started_at=utcnow() - timedelta(seconds=1),
            duration_ms=12.5,
            errcode=errcode,
            http_status=200,
            attempt=1,
        )
    )


class TestListRoute:
    def test_owner_pages_newest_first_with_filters(self, app: FastAPI, db: Database) -> None:
        corp, other = make_corp(db), make_corp(db)
        writer = JournalWriter(db)
        for api, errcode in [("user/get", 0), ("user/get", -1), ("externalcontact/get", 0)]:
            _record(writer, corp.id, api, errcode)
        _record(writer, other.id, "user/get", 0)
        writer.flush()
        owner = member_client(app, db, corp=corp, role=Role.owner).client
        url = f"/api/v1/corps/{corp.id}/wecom/calls"

        first = owner.get(url, params={"limit": 2}).json()
        second = owner.get(url, params={"limit": 2, "cursor": first["next_cursor"]}).json()
        apis = [c["api"] for c in first["items"] + second["items"]]
        assert apis == ["externalcontact/get", "user/get", "user/get"]
        assert second["next_cursor"] is None
        only = owner.get(url, params={"api": "user/get", "errcode": -1}).json()["items"]
        assert [(c["api"], c["errcode"]) for c in only] == [("user/get", -1)]

    def test_staff_and_unscoped_keys_are_refused(self, app: FastAPI, db: Database) -> None:
        corp = make_corp(db)
        url = f"/api/v1/corps/{corp.id}/wecom/calls"
        staff = member_client(app, db, corp=corp, role=Role.staff).client
        assert staff.get(url).status_code == 403
        assert api_key_client(app, db, corp=corp, scopes=["staff:read"]).get(url).status_code == 403
        allowed = api_key_client(app, db, corp=corp, scopes=["wecom:read"])
        assert allowed.get(url).status_code == 200


class TestPrune:
    def test_rows_older_than_the_retention_go(self, db: Database, clock: FrozenClock) -> None:
        corp = make_corp(db)
        writer = JournalWriter(db)
        _record(writer, corp.id, "user/get", 0)
        writer.flush()
        clock.advance(JOURNAL_RETENTION - timedelta(hours=1))
        _record(writer, corp.id, "externalcontact/get", 0)
        writer.flush()
        with db.transaction() as session:
            assert wecom_call_service.prune(session, now=utcnow()) == 0
        clock.advance(timedelta(hours=2))
        with db.transaction() as session:
            assert wecom_call_service.prune(session, now=utcnow()) == 1
        assert [c.api for c in _calls(db)] == ["externalcontact/get"]
