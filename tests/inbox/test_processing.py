"""Handling stored events: the outcome mirrored on the row (handled, failed → retried, dead,
unsupported), dedup at store time, re-drive and pruning, driven through the real job runner."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from siyu.corps.models import Corp
from siyu.db.session import Database
from siyu.inbox.handlers import UnsupportedCallbackEvent, callback_handler, remove_handler
from siyu.inbox.models import InboxEvent, InboxStatus
from siyu.inbox.service import inbox_service
from siyu.jobs.models import JobRun, JobStatus
from siyu.jobs.runner import execute_run
from siyu.kit.clock import FrozenClock
from siyu.runtime import Runtime, build_runtime
from siyu.telemetry.metrics import inbox_events_total
from siyu.wecom.events import parse_event
from tests.conftest import make_settings
from tests.helpers.auth import make_corp
from tests.inbox.probe_handlers import PROBE_EVENT, PROBE_TABLE_DDL, probe_xml


@pytest.fixture
def probe_runtime(db: Database, clock: FrozenClock) -> Iterator[Runtime]:  # noqa: ARG001
    runtime = build_runtime(make_settings(db.url), db=db)
    with db.transaction() as session:
        session.execute(text(PROBE_TABLE_DDL))
    yield runtime
    runtime.close()


@pytest.fixture
def corp(db: Database) -> Corp:
    return make_corp(db)


def store(runtime: Runtime, corp: Corp, xml: str) -> set[uuid.UUID]:
    event = parse_event(xml)
    with runtime.db.transaction() as session:
        row = inbox_service.new_row(corp_id=corp.id, event=event, payload=xml)
        return inbox_service.store(session, rows=[row])


def run_due(runtime: Runtime, clock: FrozenClock, *, rounds: int = 10) -> None:
    """Run every due job (fan-outs, then handlers, then retries), moving time past back-offs."""
    for _ in range(rounds):
        with runtime.db.transaction(write=False) as session:
            ids = list(session.scalars(select(JobRun.id).where(JobRun.status == JobStatus.pending)))
        if not ids:
            return
        for run_id in ids:
            execute_run(runtime, str(run_id))
        clock.advance(timedelta(hours=1))


def row_of(db: Database, event_id: uuid.UUID) -> InboxEvent:
    with db.transaction(write=False) as session:
        row = session.get(InboxEvent, event_id)
        assert row is not None
        return row


def effects(db: Database, event_id: uuid.UUID) -> list[int]:
    with db.transaction(write=False) as session:
        rows = session.execute(
            text("SELECT attempt FROM inbox_probe_effects WHERE inbox_event_id = :id"),
            {"id": str(event_id)},
        )
        return [r[0] for r in rows]


class TestHandled:
    def test_row_is_handled_and_the_effect_happens_once(
        self, probe_runtime: Runtime, db: Database, corp: Corp, clock: FrozenClock
    ) -> None:
        (event_id,) = store(probe_runtime, corp, probe_xml(corp.wecom_corp_id, "count", "a"))
        run_due(probe_runtime, clock)
        row = row_of(db, event_id)
        assert (row.status, row.attempts, row.last_error) == (InboxStatus.handled, 1, None)
        assert row.handled_at is not None
        assert effects(db, event_id) == [1]


class TestStoreOnce:
    def test_the_same_event_twice_is_one_row_and_one_job(
        self, probe_runtime: Runtime, db: Database, corp: Corp, clock: FrozenClock
    ) -> None:
        xml = probe_xml(corp.wecom_corp_id, "count", "dup")
        first = store(probe_runtime, corp, xml)
        second = store(probe_runtime, corp, xml)
        assert len(first) == 1 and second == set()
        run_due(probe_runtime, clock)
        with db.transaction(write=False) as session:
            jobs = session.scalars(select(JobRun.key).where(JobRun.name == "inbox.handle"))
            assert list(jobs) == [f"inbox:{next(iter(first))}"]
        assert effects(db, next(iter(first))) == [1]

    def test_same_ids_at_another_create_time_is_another_event(
        self, probe_runtime: Runtime, corp: Corp
    ) -> None:
        store(probe_runtime, corp, probe_xml(corp.wecom_corp_id, "count", "t", 100))
        assert len(store(probe_runtime, corp, probe_xml(corp.wecom_corp_id, "count", "t", 101)))


class TestRetries:
    def test_failures_are_mirrored_then_the_retry_succeeds(
        self, probe_runtime: Runtime, db: Database, corp: Corp, clock: FrozenClock
    ) -> None:
        (event_id,) = store(probe_runtime, corp, probe_xml(corp.wecom_corp_id, "fail_twice", "r"))
        run_due(probe_runtime, clock, rounds=2)  # fan-out, then the first attempt
        row = row_of(db, event_id)
        assert (row.status, row.attempts) == (InboxStatus.failed, 1)
        assert row.last_error is not None and "planned failure on attempt 1" in row.last_error
        run_due(probe_runtime, clock)
        row = row_of(db, event_id)
        assert (row.status, row.attempts, row.last_error) == (InboxStatus.handled, 3, None)
        assert effects(db, event_id) == [3]


class TestDeadLetters:
    def test_out_of_attempts_parks_dead_and_redrive_tries_again(
        self, probe_runtime: Runtime, db: Database, corp: Corp, clock: FrozenClock
    ) -> None:
        (event_id,) = store(probe_runtime, corp, probe_xml(corp.wecom_corp_id, "always_fails", "d"))
        run_due(probe_runtime, clock)
        row = row_of(db, event_id)
        assert (row.status, row.attempts) == (InboxStatus.dead, 8)  # the job default
        with probe_runtime.db.transaction() as session:
            assert inbox_service.redrive(session, corp_id=corp.id) == [event_id]
        assert row_of(db, event_id).status == InboxStatus.pending
        run_due(probe_runtime, clock)
        assert (row_of(db, event_id).status, row_of(db, event_id).attempts) == ("dead", 8)


class TestUnsupported:
    def test_no_handler_marks_the_row_and_counts_without_failing_the_job(
        self, probe_runtime: Runtime, db: Database, corp: Corp, clock: FrozenClock
    ) -> None:
        counter = inbox_events_total.labels(PROBE_EVENT, "nobody", "unsupported")
        before = counter._value.get()
        (event_id,) = store(probe_runtime, corp, probe_xml(corp.wecom_corp_id, "nobody", "u"))
        run_due(probe_runtime, clock)
        assert row_of(db, event_id).status == InboxStatus.unsupported
        assert counter._value.get() == before + 1
        with db.transaction(write=False) as session:
            statuses = session.scalars(select(JobRun.status).where(JobRun.name == "inbox.handle"))
            assert list(statuses) == [JobStatus.done]


class TestRegistry:
    def test_a_second_handler_for_the_same_pair_is_refused(self) -> None:
        def other(ctx: object, event: object) -> None:  # noqa: ARG001
            return None

        with pytest.raises(ValueError, match="already has a handler"):
            callback_handler(PROBE_EVENT, "count")(other)

    def test_register_and_remove(self) -> None:
        from siyu.inbox.handlers import get_handler

        event = parse_event(probe_xml("ww1", "temporary", "x"))
        with pytest.raises(UnsupportedCallbackEvent):
            get_handler(event)

        def temporary(ctx: object, event: object) -> None:  # noqa: ARG001
            return None

        callback_handler(PROBE_EVENT, "temporary")(temporary)
        try:
            assert get_handler(event) is temporary
        finally:
            remove_handler(PROBE_EVENT, "temporary")


class TestPrune:
    def test_deletes_old_handled_rows_only(
        self, probe_runtime: Runtime, db: Database, corp: Corp, clock: FrozenClock
    ) -> None:
        (handled,) = store(probe_runtime, corp, probe_xml(corp.wecom_corp_id, "count", "p1"))
        (dead,) = store(probe_runtime, corp, probe_xml(corp.wecom_corp_id, "always_fails", "p2"))
        run_due(probe_runtime, clock)
        (recent,) = store(probe_runtime, corp, probe_xml(corp.wecom_corp_id, "count", "p3"))
        run_due(probe_runtime, clock)
        clock.advance(timedelta(days=30) - timedelta(hours=2))
        with probe_runtime.db.transaction() as session:
            assert inbox_service.prune(session, retention_days=30) == 1
        with db.transaction(write=False) as session:
            left = set(session.scalars(select(InboxEvent.id)))
        assert handled not in left and {dead, recent} <= left
