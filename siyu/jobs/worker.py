"""The worker: threads that run wake-ups, plus a scheduler that promotes delayed wake-ups,
enqueues periodic jobs and sweeps overdue work.

We drive huey's storage ourselves instead of using `huey.Consumer`, because the consumer installs
process signal handlers, which must not happen inside `siyu serve` (uvicorn owns the signals).
The same class runs in-process (`siyu serve`) and standalone (`siyu worker`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal

import structlog

from siyu.jobs.enqueue import enqueue
from siyu.jobs.registry import periodic_jobs
from siyu.jobs.repository import job_runs
from siyu.kit.clock import utcnow

if TYPE_CHECKING:
    from siyu.runtime import Runtime

log = structlog.get_logger("siyu.worker")

_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


def periodic_slot(now: datetime, every: timedelta) -> datetime:
    slots = (now - _EPOCH) // every
    return _EPOCH + slots * every


def sweep(runtime: Runtime, *, limit: int = 1000) -> int:
    """Wake runs that should be running but are not, while fewer than `limit` wake-ups wait
    in the queue; returns how many were woken.

    A due pending run whose wake-up is lost (a crash between commit and enqueue, a worker
    killed between dequeue and claim) looks the same as one whose wake-up is still queued
    behind a backlog, so the sweeper only tops the queue up to `limit`. Waking every overdue
    run on every sweep fed a backlog faster than the workers drained it: each extra wake-up
    is a dequeue and a claim that finds nothing, and under a backlog deeper than the grace
    the queue grew by a thousand of them per sweep (the inbox chaos test's drain took minutes
    instead of seconds). Under such a backlog a lost run waits until the queue runs short.
    """
    budget = limit - runtime.queue.depth()
    if budget <= 0:
        return 0
    grace = timedelta(seconds=max(5, runtime.settings.sweeper_interval_seconds))
    with runtime.db.transaction(write=False) as session:
        overdue = job_runs.overdue(session, now=utcnow(), grace=grace, limit=budget)
    for run_id in overdue:
        runtime.queue.wake(str(run_id))
    if overdue:
        log.info("sweeper_redrove", count=len(overdue))
    return len(overdue)


def enqueue_due_periodic(runtime: Runtime, last_slots: dict[str, datetime]) -> None:
    now = utcnow()
    for definition in periodic_jobs():
        slot = periodic_slot(now, definition.every)
        if last_slots.get(definition.name) == slot:
            continue
        with runtime.db.transaction() as session:
            # The slot is part of the key, so across any number of workers it runs once.
            enqueue(session, definition.name, key=f"periodic:{definition.name}:{slot.isoformat()}")
        last_slots[definition.name] = slot


class Ration:
    """Worker jobs while this process's urgent lane is busy (siyu/inbox/lane.py): one at a
    time, each followed by a pause long enough that jobs get at most `share` of the time.

    Holding off entirely would stop every other job (mass messages, syncs, SOP) for as long as
    a burst of adds lasts; taking jobs freely gave the worker a third of the process's GIL
    during a 200 adds/s burst and pushed the welcomes' p50 from tens of milliseconds into the
    hundreds. A job's own length sets its pause, so a long sync job waits longer for its next
    turn than a short inbox event does."""

    def __init__(self, share: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._gap_per_second = (1.0 - share) / share
        self._clock = clock
        self._lock = threading.Lock()
        self._started: float | None = None  # the running turn's start
        self._next_turn = 0.0

    def take(self) -> bool:
        with self._lock:
            now = self._clock()
            if self._started is not None or now < self._next_turn:
                return False
            self._started = now
            return True

    def wait_for(self) -> float:
        """How long until the next turn may be free."""
        with self._lock:
            return max(self._next_turn - self._clock(), _RATION_POLL_SECONDS)

    def done(self, *, ran: bool) -> None:
        with self._lock:
            now = self._clock()
            started = self._started
            took = now - started if ran and started is not None else 0.0
            self._started = None
            self._next_turn = now + max(took * self._gap_per_second, _RATION_POLL_SECONDS)


# While the urgent lane is busy, worker jobs get at most this share of the time (see `Ration`).
URGENT_BUSY_JOB_SHARE = 0.1
_RATION_POLL_SECONDS = 0.02


class Worker:
    def __init__(
        self,
        runtime: Runtime,
        *,
        threads: int | None = None,
        min_idle_seconds: float = 0.05,
        max_idle_seconds: float = 0.5,
    ) -> None:
        self.runtime = runtime
        self.thread_count = threads or runtime.settings.worker_threads
        # An idle thread polls the queue after `min_idle_seconds`, backing off to the max.
        self.min_idle_seconds = min_idle_seconds
        self.max_idle_seconds = max_idle_seconds
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._ration = Ration(URGENT_BUSY_JOB_SHARE)

    def start(self) -> None:
        for index in range(self.thread_count):
            thread = threading.Thread(
                target=self._run_tasks, name=f"siyu-worker-{index}", daemon=True
            )
            thread.start()
            self._threads.append(thread)
        scheduler = threading.Thread(target=self._run_scheduler, name="siyu-scheduler", daemon=True)
        scheduler.start()
        self._threads.append(scheduler)
        log.info("worker_started", threads=self.thread_count)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self.runtime.queue.nudge.notify_all()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()
        log.info("worker_stopped")

    def wait(self) -> None:
        while not self._stop.wait(0.5):
            pass

    def _run_tasks(self) -> None:
        idle = self.min_idle_seconds
        while not self._stop.is_set():
            turn = self._turn()
            if turn is None:
                continue
            if turn == "rationed":
                ran = False
                try:
                    ran = self._take_one(wait=0.0)  # an empty queue gives the turn back at once
                finally:
                    self._ration.done(ran=ran)
                continue
            ran = self._take_one(wait=idle)
            idle = self.min_idle_seconds if ran else min(idle * 2, self.max_idle_seconds)

    def _turn(self) -> Literal["free", "rationed"] | None:
        """free: the urgent lane is quiet, take jobs as they come; rationed: it is busy and
        this thread has the one turn (`Ration`); None: not yet, ask again."""
        lane = self.runtime.urgent
        if lane is None or not lane.busy():
            return "free"
        if self._ration.take():
            return "rationed"
        lane.wait_quiet(min(self._ration.wait_for(), self.max_idle_seconds))
        return None

    def _take_one(self, *, wait: float) -> bool:
        """Run one job if one is waiting; False after waiting `wait` for one in vain."""
        queue = self.runtime.queue
        try:
            task = queue.dequeue()
        except Exception:
            log.exception("dequeue_failed")
            self._stop.wait(1.0)
            return True
        if task is None:
            # A wake-up enqueued in this process ends the wait at once (`Nudge`); others
            # are found by polling, backing off while the queue stays empty.
            return bool(wait) and bool(queue.nudge.wait(wait))
        try:
            queue.execute(task)
        except Exception:  # execute_run handles job errors; this is a bug or a DB outage
            log.exception("task_crashed")
        return True

    def _run_scheduler(self) -> None:
        last_slots: dict[str, datetime] = {}
        next_sweep = 0.0
        while not self._stop.is_set():
            try:
                self.runtime.queue.promote_scheduled()
                enqueue_due_periodic(self.runtime, last_slots)
                if time.monotonic() >= next_sweep:
                    sweep(self.runtime)
                    next_sweep = time.monotonic() + self.runtime.settings.sweeper_interval_seconds
            except Exception:
                log.exception("scheduler_tick_failed")
            self._stop.wait(1.0)
