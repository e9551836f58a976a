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
            assert lane.busy()  # the worker takes jobs in rations now
            assert lane.wait_quiet(0.05) is False
            release.set()
            for _ in range(5):
                assert finished.acquire(timeout=30)
            assert done == ["first", "c", "b", "a"]  # newest first; "boom" did not stop it
            # What waited went as one batch; failing, it was run again one event at a time.
            assert batches == [["first"], ["c", "b", "boom", "a"], ["c"], ["b"], ["boom"], ["a"]]
            assert lane.wait_quiet(30) is True  # nothing waits, nothing is out
        finally:
            lane.close()

    def test_without_senders_it_takes_nothing(self, lane_runtime: Runtime) -> None:
        lane = UrgentLane(lane_runtime, senders=0)
        item = UrgentItem(lambda *_: None, "x", uuid.uuid4(), uuid.uuid4(), utcnow())
        assert lane.offer(item) is False
        assert not lane.busy()


class TestDispatch:
    """The batch's calls go out without holding the sender: the next add is taken while they
    are out, and no batch is taken while `calls` calls are in flight."""

    def test_the_sender_takes_the_next_batch_while_calls_are_out(
        self, lane_runtime: Runtime
    ) -> None:
        corp = make_corp(lane_runtime.db)
        lane = UrgentLane(lane_runtime, senders=1, calls=2)
        release = threading.Event()
        taken: list[str] = []
        recorded: list[list[str | None]] = []
        ran = threading.Semaphore(0)
        finished = threading.Semaphore(0)

        def call(name: str) -> str:
            ran.release()
            if name.startswith("slow"):
                assert release.wait(30)
            if name == "boom":
                raise RuntimeError("a call failed")
            return name.upper()

        def then(results: list[str | None]) -> None:
            recorded.append(results)
            finished.release()

        def run(items: Sequence[tuple[PrefetchContext, Any]]) -> None:
            names = [event for _, event in items]
            taken.append(",".join(names))
            lane.dispatch(call, [n for name in names for n in name.split("+")], then)

        def item(name: str) -> UrgentItem:
            return UrgentItem(run, name, corp.id, uuid.uuid4(), utcnow())

        try:
            assert lane.offer(item("slow1"))
            assert ran.acquire(timeout=30)  # slow1 is out; the sender is free again
            assert lane.offer(item("fast+boom"))
            for _ in range(2):
                assert ran.acquire(timeout=30)
            assert finished.acquire(timeout=30)
            assert recorded == [["FAST", None]]  # the failed call is None; slow1 still out
            # Two calls in flight again: slow1 and slow2; a third add waits in the lane.
            assert lane.offer(item("slow2"))
            assert ran.acquire(timeout=30)
            assert lane.offer(item("late"))
            assert not ran.acquire(timeout=0.3)
            assert lane.queued() == 1
            assert lane.busy()
            release.set()
            for _ in range(3):
                assert finished.acquire(timeout=30)
            assert lane.wait_quiet(30) is True
            assert sorted(map(str, recorded[1:])) == sorted(["['LATE']", "['SLOW1']", "['SLOW2']"])
            assert taken == ["slow1", "fast+boom", "slow2", "late"]
        finally:
            release.set()
            lane.close()

    def test_outside_a_sender_the_calls_are_made_in_place(self, lane_runtime: Runtime) -> None:
        lane = UrgentLane(lane_runtime, senders=1, calls=4)
        recorded: list[list[int | None]] = []
        try:
            lane.dispatch(lambda n: n * 2, [1, 2, 3], recorded.append)
            assert recorded == [[2, 4, 6]]  # done before dispatch returned
        finally:
            lane.close()
