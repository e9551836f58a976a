"""Group commit for the callback gateway.

Committing each callback in its own transaction caps the gateway at the disk's commit rate.
Instead, requests hand their verified rows to one writer thread, which takes whatever has
queued up (up to `max_batch`), inserts it in one transaction and then releases every waiting
request at once. Under light load a batch is one row and nothing waits; under heavy load the
batch grows and the commit cost is shared. A request is answered only after its batch has
committed, so "200" always means "stored".

A new row's urgent work (the welcome; siyu/inbox/lane.py) goes to the urgent lane from this
thread the moment its batch has committed, not from the request once the event loop gets back
to it: under a burst the loop has a queue of requests to verify first, and the welcome's
20 s clock is already running.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import structlog

from siyu.db.engine import prefer_this_threads_writes
from siyu.db.session import run_after_commit, take_after_commit
from siyu.inbox.lane import UrgentItem
from siyu.inbox.service import inbox_service

if TYPE_CHECKING:
    from siyu.runtime import Runtime

log = structlog.get_logger("siyu.inbox")


@dataclass
class _Pending:
    row: dict[str, Any]
    future: asyncio.Future[bool]
    loop: asyncio.AbstractEventLoop
    urgent: UrgentItem | None


def _settle(future: asyncio.Future[bool], result: bool | BaseException) -> None:
    if future.done():  # the client went away and the request was cancelled
        return
    if isinstance(result, BaseException):
        future.set_exception(result)
    else:
        future.set_result(result)


def _settle_all(settled: list[tuple[asyncio.Future[bool], bool | BaseException]]) -> None:
    for future, result in settled:
        _settle(future, result)


class InboxWriter:
    def __init__(
        self, runtime: Runtime, *, max_batch: int = 500, linger_seconds: float = 0.005
    ) -> None:
        self._runtime = runtime
        self._linger = linger_seconds
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="siyu-inbox-writer", daemon=True)
        self._thread.start()

    def submit(
        self, row: dict[str, Any], *, urgent: UrgentItem | None = None
    ) -> asyncio.Future[bool]:
        """Queue one row; the future resolves to True (new) or False (a duplicate) after commit.
        `urgent` is offered to the urgent lane once the row has committed, if it was new."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bool] = loop.create_future()
        self._queue.put(_Pending(row, future, loop, urgent))
        return future

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(10)

    def _run(self) -> None:
        prefer_this_threads_writes()  # WeCom waits for this commit (a 5 s ack)
        previous = 0
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            stop = False
            # Under load, wait until the event loop has worked through the requests it already
            # has (they are being verified behind this one), so one commit serves all of them:
            # far cheaper than one each. A lone callback (the last batch was one row and
            # nothing else waits) is written at once, so light traffic pays nothing for it.
            if previous > 1 or not self._queue.empty():
                self._let_loop_catch_up(first.loop)
            while len(batch) < self._max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                batch.append(item)
            self._write(batch)
            previous = len(batch)
            if stop:
                return

    def _let_loop_catch_up(self, loop: asyncio.AbstractEventLoop) -> None:
        """Return once `loop` has run what was ready to run when asked (at most the linger).

        A request is verified in one step of its task, from its first byte to `submit`, so
        every request the loop had accepted by now has been queued here when this returns.
        Waiting for a fixed linger instead left the core idle whenever every client was waiting
        for this batch (nothing more could arrive), which capped the gateway at ~80 % of a core.
        """
        caught_up = threading.Event()
        try:
            loop.call_soon_threadsafe(caught_up.set)
        except RuntimeError:  # the loop has closed; its requests are gone with it
            return
        caught_up.wait(self._linger)

    def _write(self, batch: list[_Pending]) -> None:
        outcome: set[uuid.UUID] | BaseException
        wake_ups: list[Callable[[], None]] = []
        try:
            with self._runtime.db.transaction() as session:
                outcome = inbox_service.store(session, rows=[p.row for p in batch])
                wake_ups = take_after_commit(session)
        except Exception as exc:  # the database is down: every waiting request gets a 503
            log.exception("inbox_write_failed", batch=len(batch))
            outcome, wake_ups = exc, []
        # The worker's wake-up is not part of "stored", so it normally goes out after the
        # answers: on PostgreSQL it is a commit of its own (huey's queue table), which every
        # client of the batch would otherwise wait for. With inline jobs (tests) the wake-up
        # runs the job on this thread and connection, and the answer waits for it, so a test
        # sees the handled event as soon as its request returns.
        inline = self._runtime.queue.runs_inline
        if inline:
            run_after_commit(wake_ups)
        self._answer(batch, outcome)
        if not inline:
            run_after_commit(wake_ups)

    def _answer(self, batch: list[_Pending], outcome: set[uuid.UUID] | BaseException) -> None:
        # One hand-off per event loop, not per request: each call_soon_threadsafe writes to
        # the loop's self-pipe and makes it run a callback.
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[bool], Any]]] = {}
        for pending in batch:
            result = outcome if isinstance(outcome, BaseException) else pending.row["id"] in outcome
            by_loop.setdefault(pending.loop, []).append((pending.future, result))
            if result is True and pending.urgent is not None:
                self._runtime.urgent_lane().offer(pending.urgent)
        for loop, settled in by_loop.items():
            try:
                loop.call_soon_threadsafe(_settle_all, settled)
            except RuntimeError:  # that loop has closed: nobody waits for these answers
                log.warning("inbox_answers_dropped", batch=len(settled), reason="loop closed")
