"""The call journal: every HTTP attempt toward WeCom, for metrics and the console.

Callers only append to an in-memory queue; one writer thread per process inserts what has
queued up in its own transaction every `interval` seconds. The hot path never waits on the
database, and a caller whose transaction rolls back still leaves its calls in the journal.
Rows still queued when a process is killed are lost; metrics were already counted.
"""

from __future__ import annotations

import queue
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog

from siyu.db.session import Database
from siyu.kit.ids import new_id
from siyu.telemetry.metrics import wecom_call_duration, wecom_calls_total
from siyu.wecom.repository import wecom_calls

log = structlog.get_logger("siyu.wecom")

MAX_QUEUED = 100_000


@dataclass(frozen=True, slots=True)
class CallRecord:
    corp_id: uuid.UUID | None
    wecom_corp_id: str
    api: str
    started_at: datetime
    duration_ms: float
    errcode: int
    http_status: int | None
    attempt: int
    error: str | None = None

    def row(self) -> dict[str, Any]:
        return {
            "id": new_id(),
            "corp_id": self.corp_id,
            "wecom_corp_id": self.wecom_corp_id,
            "api": self.api,
            "started_at": self.started_at,
            "duration_ms": self.duration_ms,
            "errcode": self.errcode,
            "http_status": self.http_status,
            "attempt": self.attempt,
            "error": self.error[:500] if self.error else None,
        }


class JournalWriter:
    def __init__(
        self,
        db: Database,
        *,
        interval: float = 0.5,
        max_batch: int = 2000,
        background: bool = True,
    ) -> None:
        """`background=False` writes only on `flush()`/`close()`, from the caller's thread: for a
        database that is one shared test connection, which a second thread must not use."""
        self.db = db
        self.background = background
        self.interval = interval
        self.max_batch = max_batch
        self._queue: queue.Queue[CallRecord] = queue.Queue(MAX_QUEUED)
        self._stop = threading.Event()
        self._flushed = threading.Condition()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._retry: list[dict[str, Any]] = []
        self._flush_lock = threading.Lock()

    def record(self, call: CallRecord) -> None:
        outcome = "ok" if call.errcode == 0 else str(call.errcode)
        wecom_calls_total.labels(api=call.api, errcode=outcome).inc()
        wecom_call_duration.labels(api=call.api).observe(call.duration_ms / 1000)
        self._ensure_started()
        try:
            self._queue.put_nowait(call)
        except queue.Full:  # the database is far behind; keep calling WeCom, drop the row
            log.warning("wecom_journal_full", api=call.api)

    def _ensure_started(self) -> None:
        if self._thread is not None or not self.background:
            return
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="wecom-journal", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._stop.wait(self.interval)
            self.flush()
        self.flush()

    def flush(self) -> int:
        """Write everything queued so far; returns the number of rows written."""
        with self._flush_lock:
            return self._flush()

    def _flush(self) -> int:
        written = 0
        while True:
            batch, self._retry = self._retry, []
            while len(batch) < self.max_batch:
                try:
                    batch.append(self._queue.get_nowait().row())
                except queue.Empty:
                    break
            if not batch:
                return written
            try:
                with self.db.transaction() as session:
                    wecom_calls.insert_many(session, batch)
                written += len(batch)
            except Exception:
                # Typically SQLite's write lock held by a long caller transaction: try again on
                # the next tick (rows keep their ids, so a retried batch is the same rows).
                log.exception("wecom_journal_write_failed", rows=len(batch))
                self._retry = batch + self._retry[: MAX_QUEUED - len(batch)]
                return written

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.flush()
