"""The urgent lane: work that cannot wait its turn in the job queue, started the moment the
gateway has stored a callback.

A WeCom welcome must be sent within 20 s of the add (API-FACTS §3.1), and Siyu's target is
well under a second even while the worker is behind: a backlog of contact syncs, tag pushes or
a mass-message fan-out must never delay it. So a handler may register an `urgent` function
(`callback_handler(..., urgent=fn)`); the gateway hands each *new* stored event that has one to
this lane after its batch has committed, and the lane's own sender threads run it at once,
without a job row, a wake-up or a claim of its own.

The lane is an accelerator, not the owner of the work: nothing about it is durable. The urgent
function runs again in the handler's prefetch (the durable path: retried, swept, replayable),
so it must be idempotent by natural key (the welcome's claim row); if this process dies with
events still queued here, the inbox job does the work a little later.

A sender takes everything that has queued up since its last turn (up to `_BATCH` events) and
hands it to the urgent function at once: under a burst, the welcome's three short transactions
(read, claim, record) are paid once per batch rather than once per add, and the sender's time
goes to the WeCom calls. Under light load a batch is one event and nothing waits for company.
A batch that fails is run again one event at a time, so one bad event costs the others nothing.

The WeCom calls of a batch go out together (at most `calls` in flight): WeCom answers in
tens of milliseconds, and one after another a batch would wait for the sum. The sender does not
wait for them either (`dispatch`): it goes back for the next batch while the calls are out, so
an add that arrives meanwhile is claimed at once instead of after the slowest call of the batch
before it. It takes a batch only while fewer than `calls` calls are in flight, so under a burst
the lane's backlog stays in the lane, newest first, rather than claimed and queued for a call.

Senders take the newest events first. When the lane keeps up, nothing waits and the order does
not matter; when it falls behind (a burst, a starved CPU), first-in-first-out would make every
welcome wait out the whole backlog and most would miss WeCom's 20 s window, while newest-first
sends the ones that can still arrive and lets only the oldest expire (each is then claimed
`expired` without a call, which is cheap).

While the lane is busy (events waiting, a sender at work, calls out), this process's worker
threads take jobs only in rations (`busy`, `wait_quiet`; siyu/jobs/worker.py): on SQLite their
write transactions would take the database's only write lock from under the welcome claims,
and in any process they compete for the GIL, where a thread waiting for a WeCom answer waits
out the holder's whole switch interval (5 ms) every time it wants the GIL back.
"""

from __future__ import annotations

import collections
import functools
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import structlog

from siyu.corps.service import corp_service
from siyu.db.engine import prefer_this_threads_writes
from siyu.inbox.handlers import PrefetchContext, UrgentFunction
from siyu.kit.clock import utcnow

if TYPE_CHECKING:
    from siyu.corps.models import Corp
    from siyu.runtime import Runtime

log = structlog.get_logger("siyu.inbox")
T = TypeVar("T")
R = TypeVar("R")

# A corp's columns change rarely (secrets, API base); the lane re-reads them this often.
_CORP_TTL_SECONDS = 30.0
_MAX_QUEUED = 10_000  # beyond this the durable path does the work; memory stays bounded
# A sender's turn: enough to share the transactions' cost, few enough that the last send of a
# batch does not wait long behind the others.
_BATCH = 32


@dataclass(frozen=True)
class UrgentItem:
    run: UrgentFunction
    event: Any
    corp_id: uuid.UUID
    inbox_event_id: uuid.UUID
    received_at: datetime


class UrgentLane:
    """`senders` threads running urgent work (0: none, the inbox job does it all), each
    making up to `calls` WeCom calls at once; `inline` runs it in the caller of `offer`
    instead (tests with one database connection)."""

    def __init__(
        self, runtime: Runtime, *, senders: int, calls: int = 1, inline: bool = False
    ) -> None:
        self._runtime = runtime
        self._inline = inline
        self._calls = max(1, calls)
        self._pool: ThreadPoolExecutor | None = None
        self._waiting: collections.deque[UrgentItem | None] = collections.deque()
        self._lock = threading.Lock()
        self._ready = threading.Condition(self._lock)  # notified when something waits
        self._room = threading.Condition(self._lock)  # notified when a call returns
        self._quiet = threading.Condition(self._lock)  # notified when the lane falls quiet
        self._in_flight = 0  # dispatched calls not yet returned
        self._working = 0  # senders between taking a batch and handing its calls over
        self._corps: dict[uuid.UUID, tuple[Corp, float]] = {}
        self._threads = [
            threading.Thread(target=self._run, name=f"siyu-urgent-{i}", daemon=True)
            for i in range(0 if inline else senders)
        ]
        for thread in self._threads:
            thread.start()

    def offer(self, item: UrgentItem) -> bool:
        """Queue one stored event's urgent work; False when the lane is full (the inbox job
        will do it)."""
        if self._inline:
            self._execute_batch([item])
            return True
        if not self._threads:
            return False
        with self._lock:
            if len(self._waiting) >= _MAX_QUEUED:
                return False
            self._waiting.append(item)
            self._ready.notify()
        return True

    def fan_out(self, call: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """`call` on every item, several at once (the batch's WeCom calls), in order."""
        if len(items) <= 1 or self._calls == 1 or self._inline:
            return [call(item) for item in items]
        return list(self._call_pool().map(call, items))

    def dispatch(
        self,
        call: Callable[[T], R],
        items: Sequence[T],
        then: Callable[[list[R | None]], None],
    ) -> None:
        """`call` on every item in the lane's call threads, without waiting for them: once the
        last has returned, `then(results)` (in order; None where a call raised or was dropped
        at close) runs in that call's thread. Inline, or from a thread that is not a sender
        (the durable path has no sender to free), the calls are made here and now."""
        if self._inline or threading.current_thread() not in self._threads:
            then(list(self.fan_out(call, items)))
            return
        if not items:
            then([])
            return
        results: list[R | None] = [None] * len(items)
        left = [len(items)]
        with self._lock:
            self._in_flight += len(items)
        pool = self._call_pool()

        def done(index: int, future: Future[R]) -> None:
            if not future.cancelled():
                error = future.exception()
                if error is None:
                    results[index] = future.result()
                else:
                    log.error("urgent_call_failed", exc_info=error)
            with self._lock:
                self._in_flight -= 1
                left[0] -= 1
                last = left[0] == 0
                self._room.notify_all()
                self._notify_if_quiet()
            if last:
                try:
                    then(results)
                except Exception:  # the durable path records what it can; the claim holds
                    log.exception("urgent_then_failed")

        for index, item in enumerate(items):
            pool.submit(call, item).add_done_callback(functools.partial(done, index))

    def _call_pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                # Their threads record WeCom's answers too: short writes that go first as well.
                self._pool = ThreadPoolExecutor(
                    self._calls,
                    thread_name_prefix="siyu-urgent-call",
                    initializer=prefer_this_threads_writes,
                )
            return self._pool

    def queued(self) -> int:
        with self._lock:
            return len(self._waiting)

    def busy(self) -> bool:
        """Events waiting, a sender at work or calls out: the lane wants the process."""
        with self._lock:
            return self._is_busy()

    def wait_quiet(self, timeout: float) -> bool:
        """Block while the lane is busy (at most `timeout`); True when it is quiet."""
        with self._lock:
            if self._is_busy():
                self._quiet.wait(timeout)
            return not self._is_busy()

    def _is_busy(self) -> bool:  # with the lock held
        return bool(self._waiting) or self._working > 0 or self._in_flight > 0

    def _notify_if_quiet(self) -> None:  # with the lock held
        if not self._is_busy():
            self._quiet.notify_all()

    def close(self, timeout: float = 10.0) -> None:
        with self._lock:
            # Stop marks go first in line (senders take from the right): queued work is left
            # to the inbox jobs, which do it durably.
            self._waiting.clear()
            self._waiting.extend([None] * len(self._threads))
            self._ready.notify_all()
            self._room.notify_all()
            self._quiet.notify_all()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    def _run(self) -> None:
        prefer_this_threads_writes()  # a welcome claim must not queue behind the worker
        while True:
            with self._lock:
                while not self._waiting:
                    self._ready.wait()
                # Room for more calls first: what waits meanwhile stays here, newest first.
                while self._in_flight >= self._calls and self._waiting[-1] is not None:
                    self._room.wait()
                batch: list[UrgentItem] = []
                stop = False
                while self._waiting and len(batch) < _BATCH:
                    item = self._waiting.pop()  # the newest: see the module docstring
                    if item is None:
                        stop = True
                        break
                    batch.append(item)
                if batch:
                    self._working += 1
            if batch:
                try:
                    self._execute_batch(batch)
                finally:
                    with self._lock:
                        self._working -= 1
                        self._notify_if_quiet()
            if stop:
                return

    def _execute_batch(self, batch: list[UrgentItem]) -> None:
        by_function: dict[UrgentFunction, list[UrgentItem]] = {}
        for item in batch:
            by_function.setdefault(item.run, []).append(item)
        for run, items in by_function.items():
            try:
                run([(self._context(item), item.event) for item in items])
            except Exception:  # the inbox job runs the same work again, durably
                if len(items) == 1:
                    log.exception("urgent_work_failed", inbox_event_id=str(items[0].inbox_event_id))
                else:  # one at a time, so the bad one fails alone
                    for item in items:
                        self._execute_batch([item])

    def _context(self, item: UrgentItem) -> PrefetchContext:
        return PrefetchContext(
            self._corp(item.corp_id),
            self._runtime,
            utcnow(),
            item.inbox_event_id,
            item.received_at,
        )

    def _corp(self, corp_id: uuid.UUID) -> Corp:
        cached = self._corps.get(corp_id)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        with self._runtime.db.transaction(write=False) as session:
            corp = corp_service.get_or_404(session, corp_id)
            session.expunge(corp)
        self._corps[corp_id] = (corp, time.monotonic() + _CORP_TTL_SECONDS)
        return corp
