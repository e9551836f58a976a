"""A handler's prefetch runs before its write transaction: it holds no database write lock
(on SQLite the only one, which the callback gateway needs too), its result reaches the handler,
and a row another worker handled meanwhile is left alone."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import select, text

from siyu.corps.models import Corp
from siyu.inbox.models import InboxEvent, InboxStatus
from siyu.inbox.service import inbox_service
from siyu.jobs.models import JobRun, JobStatus
from siyu.jobs.runner import execute_run
from siyu.runtime import Runtime, build_runtime
from siyu.wecom.events import parse_event
from tests.conftest import make_settings
from tests.helpers.auth import make_corp
from tests.inbox.probe_handlers import PROBE_TABLE_DDL, probe_xml

PROBE_MODULES = ["tests.inbox.probe_handlers"]


@pytest.fixture
def committed_runtime(fresh_db_url: str) -> Iterator[Runtime]:
    """Real commits on a database of its own, so a second connection can try to write."""
    runtime = build_runtime(make_settings(fresh_db_url, job_modules=PROBE_MODULES))
    with runtime.db.transaction() as session:
        session.execute(text(PROBE_TABLE_DDL))
    yield runtime
    runtime.close()


def store(runtime: Runtime, corp: Corp, change_type: str) -> uuid.UUID:
    xml = probe_xml(corp.wecom_corp_id, change_type, uuid.uuid4().hex)
    with runtime.db.transaction() as session:
        row = inbox_service.new_row(corp_id=corp.id, event=parse_event(xml), payload=xml)
        (event_id,) = inbox_service.store(session, rows=[row])
    return event_id


def run_pending(runtime: Runtime) -> None:
    for _ in range(3):
        with runtime.db.transaction(write=False) as session:
            ids = list(session.scalars(select(JobRun.id).where(JobRun.status == JobStatus.pending)))
        for run_id in ids:
            execute_run(runtime, str(run_id))


def effect_ids(runtime: Runtime) -> list[str]:
    with runtime.db.transaction(write=False) as session:
        return [
            r[0] for r in session.execute(text("SELECT inbox_event_id FROM inbox_probe_effects"))
        ]


class TestPrefetch:
    def test_prefetch_writes_while_the_job_waits_and_feeds_the_handler(
        self, committed_runtime: Runtime
    ) -> None:
        corp = make_corp(committed_runtime.db)
        event_id = store(committed_runtime, corp, "prefetched")
        run_pending(committed_runtime)
        with committed_runtime.db.transaction(write=False) as session:
            row = session.get(InboxEvent, event_id)
            assert row is not None and row.status == InboxStatus.handled, row and row.last_error
        # The prefetch's own committed write, then the handler's effect (which asserts it saw
        # the prefetched value).
        assert effect_ids(committed_runtime) == [f"prefetch:{corp.wecom_corp_id}", str(event_id)]

    def test_a_row_handled_meanwhile_is_left_alone(self, committed_runtime: Runtime) -> None:
        corp = make_corp(committed_runtime.db)
        event_id = store(committed_runtime, corp, "count")
        prefetched = inbox_service.prefetch(runtime=committed_runtime, event_id=event_id)
        assert prefetched is not None
        run_pending(committed_runtime)  # another worker handles the row first
        assert effect_ids(committed_runtime) == [str(event_id)]
        with committed_runtime.db.transaction() as session:
            outcome = inbox_service.process(
                session,
                runtime=committed_runtime,
                event_id=event_id,
                attempt=1,
                prefetched=prefetched,
            )
        assert outcome is None
        assert effect_ids(committed_runtime) == [str(event_id)]

    def test_nothing_to_prefetch_for_a_handled_row(self, committed_runtime: Runtime) -> None:
        corp = make_corp(committed_runtime.db)
        event_id = store(committed_runtime, corp, "count")
        run_pending(committed_runtime)
        assert inbox_service.prefetch(runtime=committed_runtime, event_id=event_id) is None
        replay = inbox_service.prefetch(runtime=committed_runtime, event_id=event_id, replay=True)
        assert replay is not None and replay.value is None
