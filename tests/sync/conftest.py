"""Fixtures for the sync: a sandbox world over real HTTP, a migrated database, a client."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from siyu.corps.models import Corp
from siyu.db.session import Database
from siyu.sandbox.app import create_sandbox_app
from siyu.sandbox.state import SandboxState
from siyu.sandbox.world import generate_world
from siyu.sync.engine import SyncEngine, SyncOptions
from siyu.sync.service import sync_service
from siyu.wecom.client import WeComClient
from siyu.wecom.journal import JournalWriter
from siyu.wecom.repository import DbStore
from siyu.wecom.tokens import AppCredentials
from siyu.wecom.transport import WeComTransport
from tests.conftest import make_settings
from tests.sandbox.helpers import serve_in_thread
from tests.wecom.conftest import Gauge

CORP_ID = "wwsynctest0000001"
SECRET = "s" * 43


@pytest.fixture
def sandbox_state() -> SandboxState:
    state = SandboxState(seed=11)
    corp = state.create_corp(corp_id=CORP_ID, name="同步测试", secret=SECRET)
    generate_world(state, corp, customers=400, staff=12, groups=6, seed=11)
    return state


@pytest.fixture
def gauge(sandbox_state: SandboxState) -> Gauge:
    return Gauge(create_sandbox_app(sandbox_state))


@pytest.fixture
def sandbox_url(gauge: Gauge) -> Iterator[str]:
    with serve_in_thread(gauge) as url:  # type: ignore[arg-type]
        yield url


@pytest.fixture
def sync_db(fresh_db_url: str) -> Iterator[Database]:
    database = Database(fresh_db_url)
    yield database
    database.dispose()


@pytest.fixture
def corp_id(sync_db: Database, sandbox_url: str) -> uuid.UUID:
    with sync_db.transaction() as session:
        corp = Corp(
            wecom_corp_id=CORP_ID,
            name="同步测试",
            api_base_url=sandbox_url,
            callback_key=uuid.uuid4().hex,
            is_sandbox=True,
        )
        session.add(corp)
        session.flush()
        return corp.id


@pytest.fixture
def wecom(sync_db: Database, sandbox_url: str) -> Iterator[WeComClient]:
    settings = make_settings(sync_db.url, wecom_max_concurrency=4)
    transport = WeComTransport.build(settings, JournalWriter(sync_db), store=DbStore(sync_db))
    credentials = AppCredentials(wecom_corp_id=CORP_ID, secret=SECRET, base_url=sandbox_url)
    yield WeComClient(credentials, transport=transport)
    transport.close()


RunSync = Callable[..., tuple[uuid.UUID, str]]


@pytest.fixture
def run_sync(sync_db: Database, wecom: WeComClient, corp_id: uuid.UUID) -> RunSync:
    """Start a new run (or resume `run_id`) inline; returns (run id, final status)."""

    def run(run_id: uuid.UUID | None = None, **options: Any) -> tuple[uuid.UUID, str]:
        if run_id is None:
            with sync_db.transaction() as session:
                run_id = sync_service.create_run(
                    session, corp_id=corp_id, requested_by_label="test", enqueue_job=False
                ).id
        stop = options.pop("stop", None)
        engine = SyncEngine(
            sync_db, wecom, run_id=run_id, options=SyncOptions(**options), stop=stop
        )
        return run_id, engine.run()

    return run
