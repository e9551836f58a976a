"""The job system's contract, run unchanged on every queue backend (SQLite, and Redis when
SIYU_TEST_REDIS_URL is set), with real worker threads and real commits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from siyu.jobs import JobRun, JobStatus, enqueue
from siyu.jobs.repository import job_runs
from siyu.jobs.worker import Worker, enqueue_due_periodic, sweep
from siyu.kit.clock import utcnow
from siyu.runtime import Runtime
from tests.jobs.conftest import effects, wait_for


def run_status(runtime: Runtime, key: str) -> JobRun:
    with runtime.db.transaction(write=False) as session:
        run = job_runs.get_by_key(session, key)
        assert run is not None, f"no run with key {key}"
        return run


@pytest.fixture
def worker(job_runtime: Runtime):
    running = job_runtime.start_worker()
    yield running
    job_runtime.close()


class TestEnqueueAfterCommit:
    def test_committed_job_runs_once(self, job_runtime: Runtime, worker: Worker) -> None:
        with job_runtime.db.transaction() as session:
            enqueue(session, "probe.effect", key="k1", args={"label": "a"})
        wait_for(lambda: run_status(job_runtime, "k1").status == JobStatus.done, what="k1 done")
        assert effects(job_runtime.db, "a") == [1]

    def test_rolled_back_job_never_exists(self, job_runtime: Runtime, worker: Worker) -> None:
        with pytest.raises(RuntimeError), job_runtime.db.transaction() as session:
            enqueue(session, "probe.effect", key="k2", args={"label": "b"})
            raise RuntimeError("the request failed")
        with job_runtime.db.transaction(write=False) as session:
            assert job_runs.get_by_key(session, "k2") is None
            names = session.scalars(select(JobRun.name)).all()
        assert "probe.effect" not in names
        assert effects(job_runtime.db, "b") == []

    def test_same_key_twice_is_one_run(self, job_runtime: Runtime, worker: Worker) -> None:
        with job_runtime.db.transaction() as session:
            assert enqueue(session, "probe.effect", key="dup", args={"label": "c"}) is True
        with job_runtime.db.transaction() as session:
            assert enqueue(session, "probe.effect", key="dup", args={"label": "c"}) is False
        wait_for(lambda: run_status(job_runtime, "dup").status == JobStatus.done, what="dup")
        assert effects(job_runtime.db, "c") == [1]

    def test_unknown_job_name_is_refused_at_enqueue(self, job_runtime: Runtime) -> None:
        with pytest.raises(LookupError, match="no job handler"), job_runtime.db.transaction() as s:
            enqueue(s, "probe.nope", key="x")


class TestRetries:
    def test_failures_back_off_then_succeed(self, job_runtime: Runtime, worker: Worker) -> None:
        with job_runtime.db.transaction() as session:
            enqueue(session, "probe.flaky", key="f", args={"label": "f", "fail_times": 2})
        wait_for(lambda: run_status(job_runtime, "f").status == JobStatus.done, what="flaky done")
        run = run_status(job_runtime, "f")
        assert run.attempts == 3
        # Failed attempts rolled back their writes: only the successful attempt's effect stays.
        assert effects(job_runtime.db, "f") == [3]

    def test_exhausted_run_is_dead_and_can_be_redriven(
        self, job_runtime: Runtime, worker: Worker
    ) -> None:
        with job_runtime.db.transaction() as session:
            enqueue(session, "probe.always_fails", key="dead", args={"label": "d"})
        wait_for(lambda: run_status(job_runtime, "dead").status == JobStatus.dead, what="dead")
        run = run_status(job_runtime, "dead")
        assert run.attempts == 3
        assert "d cannot succeed" in (run.last_error or "")
        with job_runtime.db.transaction() as session:
            assert job_runs.redrive(session, run.id, now=utcnow()) is True
        sweep(job_runtime)  # redrive leaves waking to the sweeper; call it instead of waiting
        wait_for(
            lambda: (
                run_status(job_runtime, "dead").attempts == 3
                and run_status(job_runtime, "dead").status == JobStatus.dead
                and run_status(job_runtime, "dead").started_at != run.started_at
            ),
            what="second round of attempts",
        )


class TestScheduling:
    def test_run_at_in_the_future_waits(self, job_runtime: Runtime, worker: Worker) -> None:
        later = utcnow() + timedelta(seconds=1.5)
        with job_runtime.db.transaction() as session:
            enqueue(session, "probe.effect", key="later", args={"label": "l"}, run_at=later)
        assert effects(job_runtime.db, "l") == []
        wait_for(lambda: run_status(job_runtime, "later").status == JobStatus.done, what="later")
        assert run_status(job_runtime, "later").finished_at >= later  # type: ignore[operator]

    def test_periodic_job_runs_once_per_slot_across_workers(self, job_runtime: Runtime) -> None:
        first_worker_slots: dict = {}
        second_worker_slots: dict = {}
        enqueue_due_periodic(job_runtime, first_worker_slots)
        enqueue_due_periodic(job_runtime, second_worker_slots)
        with job_runtime.db.transaction(write=False) as session:
            ticks = session.scalars(select(JobRun).where(JobRun.name == "probe.tick")).all()
        assert len(ticks) == 1
        job_runtime.queue.run_pending()
        assert effects(job_runtime.db, "tick") == [1]


class TestSweeper:
    def test_lost_wakeup_is_redriven(self, job_runtime: Runtime) -> None:
        # Write the row without any wake-up, as if the process died between commit and enqueue.
        with job_runtime.db.transaction() as session:
            session.info.pop("siyu.wake_queue", None)
            enqueue(
                session,
                "probe.effect",
                key="lost",
                args={"label": "lost"},
                run_at=utcnow() - timedelta(minutes=5),
            )
        assert job_runtime.queue.depth() == 0
        assert sweep(job_runtime) == 1
        job_runtime.queue.run_pending()
        assert effects(job_runtime.db, "lost") == [1]
        assert sweep(job_runtime) == 0

    def test_a_backlog_is_topped_up_not_doubled(self, job_runtime: Runtime) -> None:
        # Six due runs, all overdue: with their wake-ups still queued the sweeper cannot tell
        # them from lost ones, so it only fills the queue up to its limit.
        with job_runtime.db.transaction() as session:
            for n in range(6):
                enqueue(
                    session,
                    "probe.effect",
                    key=f"backlog{n}",
                    args={"label": "backlog"},
                    run_at=utcnow() - timedelta(minutes=5),
                )
        assert job_runtime.queue.depth() == 6
        assert sweep(job_runtime, limit=6) == 0
        assert sweep(job_runtime, limit=8) == 2
        assert job_runtime.queue.depth() == 8
        # Every wake-up lost (the queue emptied without a worker): the next sweep wakes them,
        # as many as its limit allows.
        job_runtime.queue.flush()
        assert sweep(job_runtime, limit=4) == 4
        job_runtime.queue.run_pending()
        assert sweep(job_runtime, limit=4) == 2
        job_runtime.queue.run_pending()
        assert effects(job_runtime.db, "backlog") == [1] * 6
        assert sweep(job_runtime) == 0

    def test_expired_lease_is_reclaimed_but_live_lease_is_not(self, job_runtime: Runtime) -> None:
        with job_runtime.db.transaction() as session:
            enqueue(session, "probe.effect", key="lease", args={"label": "lease"})
        job_runtime.queue.flush()
        now = utcnow()
        with job_runtime.db.transaction() as session:
            run = job_runs.get_by_key(session, "lease")
            assert run is not None
            assert job_runs.claim(session, run.id, now=now, lease=timedelta(seconds=60))
            # A second claim while the first lease is alive must fail: one worker at a time.
            assert not job_runs.claim(session, run.id, now=now, lease=timedelta(seconds=60))
            # The worker holding it died: its lease runs out.
            session.execute(
                update(JobRun)
                .where(JobRun.id == run.id)
                .values(lease_until=now - timedelta(seconds=1))
            )
        assert sweep(job_runtime) == 1
        job_runtime.queue.run_pending()
        assert run_status(job_runtime, "lease").status == JobStatus.done
        assert effects(job_runtime.db, "lease") == [2]


class TestNudge:
    def test_a_wake_up_from_this_process_ends_an_idle_wait(self, job_runtime: Runtime) -> None:
        """The thread polls only hourly here: the job can run in time only if enqueueing it
        nudged the waiting thread (the embedded worker of `siyu serve` relies on this)."""
        idle = Worker(job_runtime, threads=1, min_idle_seconds=3600, max_idle_seconds=3600)
        idle.start()
        try:
            with job_runtime.db.transaction() as session:
                enqueue(session, "probe.effect", key="nudged", args={"label": "n"})
            wait_for(lambda: run_status(job_runtime, "nudged").status == JobStatus.done, what="n")
            assert effects(job_runtime.db, "n") == [1]
        finally:
            idle.stop()

    def test_a_nudge_sent_before_anyone_waits_is_kept(self, job_runtime: Runtime) -> None:
        nudge = job_runtime.queue.nudge
        nudge.notify()
        assert nudge.wait(3600) is True
        assert nudge.wait(0.01) is False
