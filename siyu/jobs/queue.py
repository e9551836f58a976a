"""The wake-up transport: a huey instance chosen by `SIYU_QUEUE_URL`.

Only run ids travel through huey. Losing a wake-up (a crash between commit and enqueue, a Redis
flush) delays work until the sweeper notices; it never loses it.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from huey import Huey, MemoryHuey, RedisHuey
from huey.storage import SqliteStorage

WAKE_TASK = "siyu.wake"


class WakeSqliteStorage(SqliteStorage):  # type: ignore[misc]
    """huey's SQLite storage at synchronous=NORMAL instead of its default FULL.

    A wake-up lost to a power cut is re-driven by the sweeper, so it needs no fsync of its own;
    FULL made every enqueue (one per callback batch on the gateway's hot path) wait for the disk.
    """

    def _create_connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection = super()._create_connection()
        connection.execute("PRAGMA synchronous=NORMAL")
        return connection


def build_huey(url: str, *, immediate: bool = False, name: str = "siyu") -> Huey:
    """`name` namespaces the queue inside shared storage (Redis, PostgreSQL)."""
    parsed = urlparse(url)
    if parsed.scheme == "memory" or immediate:
        return MemoryHuey(name, immediate=immediate, utc=True)
    if parsed.scheme == "sqlite":
        path = url.removeprefix("sqlite:///").removeprefix("sqlite://")
        if not path:
            raise ValueError("SIYU_QUEUE_URL=sqlite:///path needs a file path")
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return Huey(name, storage_class=WakeSqliteStorage, filename=path, utc=True, timeout=15)
    if parsed.scheme in ("redis", "rediss"):
        return RedisHuey(name, url=url, utc=True, blocking=True, read_timeout=1)
    if parsed.scheme in ("postgresql", "postgresql+psycopg", "postgres"):
        from siyu.jobs.pg_storage import PostgresStorage

        return Huey(name, storage_class=PostgresStorage, url=url, utc=True)
    raise ValueError(
        f"SIYU_QUEUE_URL scheme {parsed.scheme!r} is not supported: use sqlite:///path, "
        "redis://host:port/db, postgresql://user@host/db or memory://"
    )


class Nudge:
    """Tells this process's idle worker threads that a wake-up was just enqueued.

    Workers poll the queue and back off to half a second when it is empty; for a callback
    handled by the worker inside `siyu serve`, two such hops (fan-out, then handle) would add up
    to a second to every welcome. A wake-up enqueued in this process nudges one idle thread at
    once; wake-ups from other processes still arrive by polling. Nudges are counted, so one sent
    while no thread is waiting yet is not lost; the count is capped, because a process with no
    worker threads (`--no-worker`) nudges nobody, and a thread only waits on an empty queue.
    """

    MAX_PENDING = 64

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._pending = 0

    def notify(self) -> None:
        with self._cond:
            self._pending = min(self._pending + 1, self.MAX_PENDING)
            self._cond.notify()

    def notify_all(self) -> None:
        with self._cond:
            self._pending = self.MAX_PENDING
            self._cond.notify_all()

    def wait(self, timeout: float) -> bool:
        """Return at the first nudge or after `timeout`; True if nudged."""
        with self._cond:
            if self._pending == 0:
                self._cond.wait(timeout)
            nudged = self._pending > 0
            self._pending = max(0, self._pending - 1)
            return nudged


class WakeQueue:
    """Wraps huey so the rest of Siyu never imports it."""

    def __init__(self, huey: Huey, execute: Callable[[str], None]) -> None:
        self.huey = huey
        self.nudge = Nudge()
        self._task = huey.task(name=WAKE_TASK, retries=0)(execute)

    @property
    def runs_inline(self) -> bool:
        """True when a wake-up runs its job at once, in the waking thread (tests, CLI)."""
        return bool(self.huey.immediate)

    def wake(self, run_id: str, *, delay_seconds: float = 0) -> None:
        if delay_seconds > 0:
            self._task.schedule(args=(run_id,), delay=delay_seconds)
        else:
            self._task(run_id)
            self.nudge.notify()

    def run_pending(self, *, max_tasks: int | None = None) -> int:
        """Execute queued wake-ups in this thread until the queue is empty (tests, CLI)."""
        done = 0
        self.promote_scheduled()
        while max_tasks is None or done < max_tasks:
            task = self.huey.dequeue()
            if task is None:
                break
            self.huey.execute(task)
            done += 1
        return done

    def promote_scheduled(self) -> None:
        for task in self.huey.read_schedule():
            self.huey.enqueue(task)
            self.nudge.notify()

    def dequeue(self) -> Any:
        return self.huey.dequeue()

    def execute(self, task: Any) -> None:
        self.huey.execute(task)

    def depth(self) -> int:
        return int(self.huey.pending_count())

    def ping(self) -> None:
        self.huey.pending_count()

    def flush(self) -> None:
        self.huey.flush()
