"""The gateway's group-commit writer: every submitted row is answered only once stored, a burst
shares transactions, a lone callback is written at once, and duplicates are told apart."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from siyu.corps.models import Corp
from siyu.db.session import Database
from siyu.inbox.models import InboxEvent
from siyu.inbox.service import FAN_OUT_JOB, inbox_service
from siyu.inbox.writer import InboxWriter
from siyu.jobs.models import JobRun
from siyu.runtime import Runtime, build_runtime
from siyu.wecom.events import parse_event
from tests.conftest import make_settings
from tests.helpers.auth import make_corp
from tests.inbox.probe_handlers import probe_xml


@pytest.fixture
def runtime(db: Database) -> Iterator[Runtime]:
    runtime = build_runtime(make_settings(db.url), db=db)  # wake-ups queue up, jobs don't run
    yield runtime
    runtime.close()


@pytest.fixture
def writer(runtime: Runtime) -> Iterator[InboxWriter]:
    writer = InboxWriter(runtime)
    yield writer
    writer.close()


def _row(corp: Corp, ident: str) -> dict[str, Any]:
    xml = probe_xml(corp.wecom_corp_id, "writer", ident)
    return inbox_service.new_row(corp_id=corp.id, event=parse_event(xml), payload=xml)


def _counts(db: Database) -> tuple[int, int]:
    with db.transaction(write=False) as session:
        events = session.scalar(select(func.count()).select_from(InboxEvent)) or 0
        batches = (
            session.scalar(
                select(func.count()).select_from(JobRun).where(JobRun.name == FAN_OUT_JOB)
            )
            or 0
        )
    return events, batches


def test_a_burst_is_stored_in_shared_transactions(
    db: Database, runtime: Runtime, writer: InboxWriter
) -> None:
    corp = make_corp(db)
    rows = [_row(corp, f"burst-{n}") for n in range(200)]

    async def burst() -> list[bool]:
        # Like the gateway: every request is verified on the loop, then waits for its commit.
        async def request(row: dict[str, Any]) -> bool:
            return await writer.submit(row)

        return await asyncio.gather(*(request(row) for row in rows))

    assert asyncio.run(burst()) == [True] * 200
    events, batches = _counts(db)
    assert events == 200
    assert 1 <= batches < 20  # one fan-out job per transaction
    assert _wait_for(lambda: runtime.queue.depth() == batches)  # and one wake-up each


def _wait_for(condition: Callable[[], bool], timeout: float = 5) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_the_answer_does_not_wait_for_the_wake_up(
    db: Database, runtime: Runtime, writer: InboxWriter, monkeypatch: pytest.MonkeyPatch
) -> None:
    corp = make_corp(db)
    answered = threading.Event()
    wakes: list[bool] = []

    def slow_wake(run_id: str, *, delay_seconds: float = 0) -> None:
        wakes.append(answered.wait(5))  # True only if the answer was already out

    monkeypatch.setattr(runtime.queue, "wake", slow_wake)

    async def one() -> bool:
        stored = await asyncio.wait_for(writer.submit(_row(corp, "early")), timeout=4)
        answered.set()
        return stored

    assert asyncio.run(one()) is True
    assert _wait_for(lambda: len(wakes) == 1)
    assert wakes == [True]


def test_a_lone_callback_is_written_and_a_repeat_is_a_duplicate(
    db: Database, writer: InboxWriter
) -> None:
    corp = make_corp(db)
    row = _row(corp, "lone")

    async def one(values: dict[str, Any]) -> bool:
        return await asyncio.wait_for(writer.submit(values), timeout=5)

    assert asyncio.run(one(row)) is True
    assert asyncio.run(one(row | {"id": _row(corp, "lone")["id"]})) is False
    assert _counts(db) == (1, 1)


def test_rows_of_a_closed_loop_do_not_stop_the_writer(db: Database, writer: InboxWriter) -> None:
    corp = make_corp(db)
    gone = asyncio.new_event_loop()

    async def submit_and_leave() -> None:
        writer.submit(_row(corp, "orphan-1"))
        writer.submit(_row(corp, "orphan-2"))

    gone.run_until_complete(submit_and_leave())
    gone.close()

    async def later() -> bool:
        return await asyncio.wait_for(writer.submit(_row(corp, "after")), timeout=5)

    assert asyncio.run(later()) is True
    assert _counts(db)[0] == 3
