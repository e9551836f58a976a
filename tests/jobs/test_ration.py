"""Worker jobs while the urgent lane is busy: rationed, never stopped (siyu/jobs/worker.py)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Sequence
from typing import Any

import pytest

from siyu.inbox.handlers import PrefetchContext
from siyu.inbox.lane import UrgentItem, UrgentLane
from siyu.jobs import enqueue
from siyu.jobs.worker import Ration
from siyu.kit.clock import utcnow
from siyu.runtime import Runtime
from tests.helpers.auth import make_corp
from tests.jobs.conftest import effects, wait_for
from tests.jobs.probe_jobs import Overlap


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class TestRation:
    def test_one_turn_at_a_time_and_a_pause_after_each(self) -> None:
        clock = Clock()
        ration = Ration(0.1, clock=clock)
        assert ration.take()
        assert not ration.take()  # the turn is taken
        clock.now += 0.5  # the job took half a second
        ration.done(ran=True)
        # At a tenth of the time, the next turn comes 4.5 s later.
        assert not ration.take()
        assert ration.wait_for() == pytest.approx(4.5)
        clock.now += 4.4
        assert not ration.take()
        clock.now += 0.2
        assert ration.take()

    def test_a_turn_that_found_no_job_gives_it_back_at_once(self) -> None:
        clock = Clock()
        ration = Ration(0.1, clock=clock)
        assert ration.take()
        clock.now += 3.0  # however long the empty dequeue took
        ration.done(ran=False)
        assert ration.wait_for() <= 0.05
        clock.now += 0.05
        assert ration.take()


def test_jobs_still_run_one_at_a_time_while_the_lane_is_busy(job_runtime: Runtime) -> None:
    corp = make_corp(job_runtime.db)
    held, release = threading.Event(), threading.Event()

    def hold(items: Sequence[tuple[PrefetchContext, Any]]) -> None:
        held.set()
        assert release.wait(60)

    lane = job_runtime.urgent = UrgentLane(job_runtime, senders=1)
    assert lane.offer(UrgentItem(hold, "held", corp.id, uuid.uuid4(), utcnow()))
    assert held.wait(30)
    assert lane.busy()
    Overlap.most = 0
    try:
        job_runtime.start_worker()
        with job_runtime.db.transaction() as session:
            for index in range(6):
                enqueue(session, "probe.overlap", key=f"overlap-{index}", args={"label": "ov"})
        wait_for(lambda: len(effects(job_runtime.db, "ov")) == 6, timeout=60, what="six jobs")
        assert lane.busy()  # the whole time: the jobs ran in rations, not after the lane
        assert Overlap.most == 1  # four worker threads, one rationed turn at a time
    finally:
        release.set()
    assert lane.wait_quiet(30)
