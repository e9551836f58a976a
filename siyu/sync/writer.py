"""Group commit for the customers stage: one thread writes the pages the fetching threads queue.

Per-page transactions from many threads made SQLite's write lock the bottleneck (its busy
handler sleeps in coarse steps and is unfair, so commits of ~5 ms cost ~150 ms under load).
One writer draining the queue writes every waiting page in one transaction, together with
each page's checkpoint move, so the resumption guarantee is unchanged: a page is either
written with its cursor or fetched again from the previous cursor.
"""

from __future__ import annotations

import queue
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy.orm import Session

from siyu.db.dialect import is_transient_write_conflict
from siyu.kit.clock import utcnow
from siyu.sync.apply import apply_follows, refresh_contact_statistics
from siyu.sync.repository import checkpoints

log = structlog.get_logger("siyu.sync")

# Pages per transaction at most: bigger batches gain little and hold the lock longer.
MAX_PAGES_PER_COMMIT = 32
# A batch that lost a write conflict (SQLite's busy timeout ran out on a loaded machine, a
# PostgreSQL deadlock) is written again: it is one transaction, so nothing half-landed. Only
# after this many attempts does the run fail (resumable from the last written checkpoint).
WRITE_ATTEMPTS = 5
# The tables' statistics are refreshed once this many relations are written, and again each
# time the count has grown this many times over: estimates need the tables' shape, not
# exact counts (the planner scales them by the current size), so a few rounds suffice.
ANALYZE_FIRST_AT = 2_000
ANALYZE_GROWTH = 8


@dataclass
class Page:
    unit_id: uuid.UUID
    pairs: list[tuple[dict[str, Any], dict[str, Any]]]
    cursor: str | None


class PageWriter:
    def __init__(
        self,
        writing: Callable[[], AbstractContextManager[Session]],
        corp_id: uuid.UUID,
        tag_ids: Mapping[str, uuid.UUID],
        *,
        on_written: Callable[[int], None],
        capacity: int = 64,
    ) -> None:
        self.writing = writing
        self.corp_id = corp_id
        self.tag_ids = tag_ids
        self.on_written = on_written
        # Bounded: fetchers wait when the writer falls behind instead of filling memory.
        self.queue: queue.Queue[Page | None] = queue.Queue(maxsize=capacity)
        self.error: BaseException | None = None
        self.written = 0
        self.analyze_at = ANALYZE_FIRST_AT
        self.thread = threading.Thread(target=self._run, name="sync-writer", daemon=True)
        self.thread.start()

    def put(self, page: Page) -> None:
        if self.error is not None:
            raise RuntimeError("the sync writer failed") from self.error
        self.queue.put(page)

    def close(self) -> None:
        """Write what is queued, stop, and re-raise the writer's failure if it had one."""
        self.queue.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error

    def _batches(self) -> Iterator[list[Page]]:
        while True:
            first = self.queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < MAX_PAGES_PER_COMMIT:
                try:
                    item = self.queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    yield batch
                    return
                batch.append(item)
            yield batch

    def _run(self) -> None:
        try:
            for batch in self._batches():
                self._write_retrying(batch)
        except BaseException as exc:  # surfaced by put() and close()
            self.error = exc
            while True:  # unblock fetchers waiting on a full queue
                try:
                    self.queue.get_nowait()
                except queue.Empty:
                    break

    def _write_retrying(self, batch: list[Page]) -> None:
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                self._write(batch)
                return
            except Exception as exc:
                if attempt == WRITE_ATTEMPTS or not is_transient_write_conflict(exc):
                    raise
                log.warning("sync_write_conflict_retry", attempt=attempt, pages=len(batch))
                time.sleep(0.2 * attempt)

    def _write(self, batch: list[Page]) -> None:
        with self.writing() as session:
            now = utcnow()
            pairs = [pair for page in batch for pair in page.pairs]
            apply_follows(session, self.corp_id, pairs, tag_ids=self.tag_ids, now=now)
            analyze = self.written + len(pairs) >= self.analyze_at
            if analyze:
                refresh_contact_statistics(session)
            for page in batch:
                checkpoints.advance(
                    session,
                    page.unit_id,
                    cursor=page.cursor,
                    items=len(page.pairs),
                    done=page.cursor is None,
                    now=now,
                )
        self.written += len(pairs)
        if analyze:
            self.analyze_at = self.written * ANALYZE_GROWTH
        self.on_written(len(pairs))
