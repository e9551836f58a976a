"""The urgent lane on real threads: newest first, what queued up taken as one batch, the
worker's hold while events wait, and a failing item that fails alone."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from siyu.inbox.handlers import PrefetchContext
from siyu.inbox.lane import UrgentItem, UrgentLane
from siyu.kit.clock import utcnow
from siyu.runtime import Runtime, build_runtime
from tests.conftest import make_settings
from tests.helpers.auth import make_corp


@pytest.fixture
def lane_runtime(fresh_db_url: str) -> Iterator[Runtime]:
    """A database of its own: the lane's threads open their own connections."""
    runtime = build_runtime(make_settings(fresh_db_url))
    yield runtime
    runtime.close()


class TestUrgentLane:
    def test_newest_first_and_the_hold_lasts_while_events_wait(self, lane_runtime: Runtime) -> None:
        corp = make_corp(lane_runtime.db)
        started, release = threading.Event(), threading.Event()
        done: list[str] = []
        batches: list[list[str]] = []
        finished = threading.Semaphore(0)

        def run(items: Sequence[tuple[PrefetchContext, Any]]) -> None:
            events = [event for _, event in items]
            batches.append(events)
            assert all(ctx.corp.id == corp.id for ctx, _ in items)
            if events == ["first"]:
                started.set()
                release.wait(30)
            if "boom" in events:
                if len(events) == 1:
                    finished.release()
                raise RuntimeError("an urgent function failed")
            done.extend(events)
            finished.release()

        def item(name: str) -> UrgentItem:
            return UrgentItem(run, name, corp.id, uuid.uuid4(), utcnow())

        lane = UrgentLane(lane_runtime, senders=1)
        try:
            assert lane.offer(item("first"))
            assert started.wait(30)
            for name in ("a", "boom", "b", "c"):
                assert lane.offer(item(name))
            assert lane.queued() == 4
            assert lane.wait_idle(0.05) is False  # the worker would hold off now
            release.set()
            for _ in range(5):
                assert finished.acquire(timeout=30)
            assert done == ["first", "c", "b", "a"]  # newest first; "boom" did not stop it
            # What waited went as one batch; failing, it was run again one event at a time.
            assert batches == [["first"], ["c", "b", "boom", "a"], ["c"], ["b"], ["boom"], ["a"]]
            assert lane.wait_idle(0.05) is True
        finally:
            lane.close()

    def test_without_senders_it_takes_nothing(self, lane_runtime: Runtime) -> None:
        lane = UrgentLane(lane_runtime, senders=0)
        item = UrgentItem(lambda *_: None, "x", uuid.uuid4(), uuid.uuid4(), utcnow())
        assert lane.offer(item) is False
        assert lane.wait_idle(0.01) is True
