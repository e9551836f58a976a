"""The full sync of one corp: directory, corp tags, contacts with follow relations, customer
groups with members, then deletion marks. Resumable at every step.

Each unit of work (the directory, the tag list, a batch of staff for batch/get_by_user, a
chunk of group chats) is a checkpoint row. A page of results is written in the same
transaction that moves its checkpoint's cursor, so after a crash the run continues exactly
where the database says it stopped: finished units are skipped, an unfinished one continues
from its cursor. Units run on a bounded thread pool; the WeCom client caps calls per API on
top of that (shared by every process).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any

import structlog
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from siyu.customers.repository import customers, follow_relations
from siyu.db.dialect import is_transient_write_conflict
from siyu.db.session import Database
from siyu.groups.repository import customer_groups
from siyu.kit.clock import utcnow
from siyu.segments import facts as segment_facts
from siyu.staff.sync import apply_directory, fetch_directory
from siyu.sync.apply import apply_corp_tags, apply_groups
from siyu.sync.models import RUN_DONE, RUN_FAILED, RUN_INTERRUPTED, RUN_RUNNING, SyncCheckpoint
from siyu.sync.repository import checkpoints, sync_runs
from siyu.sync.writer import Page, PageWriter
from siyu.tags.repository import tags
from siyu.wecom.client import WeComClient
from siyu.wecom.exceptions import RETRYABLE, WeComApiError
from siyu.wecom.schemas import GroupChatGet

log = structlog.get_logger("siyu.sync")

STAGES = ("directory", "tags", "customers", "groups", "finalize")
WHOLE = "all"  # key of single-unit stages


class SyncInterrupted(Exception):
    """The run was asked to stop; its checkpoints hold everything done so far."""


@dataclass(frozen=True)
class SyncOptions:
    concurrency: int = 8
    # Staff per batch/get_by_user unit (≤100, WeCom's cap). Smaller units spread the work over
    # more threads and make resumption finer; each costs one extra short page at most.
    staff_per_batch: int = 10
    page_limit: int = 100
    chats_per_unit: int = 50
    # Attempts per unit on top of the client's per-call retries (a unit resumes from its cursor).
    unit_attempts: int = 4
    progress_every: float = 0.5


ProgressCallback = Callable[[dict[str, Any]], None]
# Writes one fetched answer inside the caller's transaction; returns counts for the run.
Applier = Callable[[Session], dict[str, int]]


class SyncEngine:
    def __init__(
        self,
        db: Database,
        client: WeComClient,
        *,
        run_id: uuid.UUID,
        options: SyncOptions | None = None,
        on_progress: ProgressCallback | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.db = db
        self.client = client
        self.run_id = run_id
        self.options = options or SyncOptions()
        self.on_progress = on_progress
        self.stop = stop or threading.Event()
        with db.transaction(write=False) as session:
            run = sync_runs.get(session, run_id)
            if run is None:
                raise LookupError(f"no sync run {run_id}")
            self.corp_id, self.started_at = run.corp_id, run.started_at
        self.counts: dict[str, int] = {}
        self._lock = threading.Lock()
        # One writer at a time from this run: SQLite has a single write lock whose busy handler
        # is not fair, so eight threads queueing on it starve each other (and the client's own
        # rate-limit rows) past the busy timeout. A Python lock queues them cheaply instead;
        # each write is a few milliseconds, far below the time spent waiting on WeCom.
        self._write_lock = threading.Lock()
        self._tag_ids: dict[str, uuid.UUID] = {}

    # -- the run ---------------------------------------------------------------------------
    def run(self) -> str:
        """Run (or resume) to the end; returns the final status and never raises for WeCom."""
        with self._writing() as session:
            run = sync_runs.get(session, self.run_id)
            assert run is not None
            run.status, run.attempts, run.error, run.finished_at = (
                RUN_RUNNING,
                run.attempts + 1,
                None,
                None,
            )
        status, error = RUN_DONE, None
        try:
            self._once("directory", self._directory)
            self._once("tags", self._tags)
            self._customers()
            self._groups()
            self._once("finalize", self._finalize)
        except SyncInterrupted:
            status = RUN_INTERRUPTED
        except Exception as exc:  # recorded on the run: the console shows why it failed
            log.warning("sync_failed", run_id=str(self.run_id), exc_info=True)
            status, error = RUN_FAILED, f"{type(exc).__name__}: {exc}"[:2000]
        self._report(force=True)
        with self._writing() as session:
            run = sync_runs.get(session, self.run_id)
            assert run is not None
            run.status, run.error, run.finished_at = status, error, utcnow()
            run.counts = {**run.counts, **self.counts}
        return status

    def _count(self, values: dict[str, int]) -> None:
        with self._lock:
            for key, value in values.items():
                self.counts[key] = self.counts.get(key, 0) + value

    def _check_stop(self) -> None:
        if self.stop.is_set():
            raise SyncInterrupted

    def _once(self, stage: str, fetch: Callable[[], Applier]) -> None:
        """A single-unit stage: skipped when its checkpoint is done. `fetch` calls WeCom outside
        any transaction and returns what writes the answer, run with the checkpoint's mark."""
        self._check_stop()
        with self._writing() as session:
            done = checkpoints.get(session, self.run_id, stage, WHOLE)
            if done is not None and done.done:
                return
        apply = fetch()
        with self._writing() as session:
            counts = apply(session)
            checkpoint = checkpoints.get(session, self.run_id, stage, WHOLE)
            if checkpoint is None:
                checkpoints.add_many(
                    session,
                    run_id=self.run_id,
                    corp_id=self.corp_id,
                    stage=stage,
                    payloads=[(WHOLE, {})],
                )
                checkpoint = checkpoints.get(session, self.run_id, stage, WHOLE)
            assert checkpoint is not None
            checkpoints.advance(
                session,
                checkpoint.id,
                cursor=None,
                items=sum(counts.values()),
                done=True,
                now=utcnow(),
            )
            run = sync_runs.get(session, self.run_id)
            assert run is not None
            run.counts = {**run.counts, **counts}
        self._report(force=True)

    # -- stages ----------------------------------------------------------------------------
    def _directory(self) -> Applier:
        departments, users = self._retrying(lambda: fetch_directory(self.client))
        return lambda s: apply_directory(s, self.corp_id, departments, users, now=utcnow())

    def _tags(self) -> Applier:
        answer = self._retrying(self.client.get_corp_tag_list)
        groups = [g.model_dump() for g in answer.tag_group]
        return lambda s: apply_corp_tags(s, self.corp_id, groups, now=utcnow())

    def _finalize(self) -> Applier:
        def apply(session: Session) -> dict[str, int]:
            now = utcnow()
            lost = follow_relations.mark_missing(
                session, self.corp_id, seen_since=self.started_at, now=now
            )
            segment_facts.touch(session, lost)
            customers.refresh_status(session, self.corp_id)
            return {
                "relations_missing": len(lost),
                "customers_missing": customers.mark_missing(
                    session, self.corp_id, seen_since=self.started_at, now=now
                ),
                "groups_missing": customer_groups.mark_missing(
                    session, self.corp_id, seen_since=self.started_at, now=now
                ),
            }

        return apply

    def _customers(self) -> None:
        self._check_stop()
        with self.db.transaction(write=False) as session:
            units = checkpoints.of_stage(session, self.run_id, "customers")
            self._tag_ids = tags.ids_by_wecom_id(session, self.corp_id)
        if not units:
            follow = self._retrying(self.client.get_follow_user_list).follow_user
            size = max(1, min(100, self.options.staff_per_batch))
            batches = [follow[i : i + size] for i in range(0, len(follow), size)]
            with self._writing() as session:
                checkpoints.add_many(
                    session,
                    run_id=self.run_id,
                    corp_id=self.corp_id,
                    stage="customers",
                    payloads=[(f"{i:06d}", {"userids": b}) for i, b in enumerate(batches)],
                )
                units = checkpoints.of_stage(session, self.run_id, "customers")
        self._writer = PageWriter(
            self._writing,
            self.corp_id,
            self._tag_ids,
            on_written=lambda n: self._count({"relations": n}),
        )
        try:
            self._pool([u for u in units if not u.done], self._customer_unit)
        finally:
            self._writer.close()

    def _customer_unit(self, unit: SyncCheckpoint) -> None:
        userids: list[str] = unit.payload["userids"]
        cursor = unit.cursor
        while True:
            self._check_stop()
            # The raw answer: this is the hot path, and apply_follows wants plain dicts anyway,
            # so validating 100 items into models only to dump them again is wasted CPU.
            body = {
                "userid_list": userids,
                "cursor": cursor or "",
                "limit": self.options.page_limit,
            }
            page: dict[str, Any] = self._retrying(
                partial(self.client.call, "externalcontact/batch/get_by_user", body=body)
            )
            pairs = [
                (item["external_contact"], item["follow_info"])
                for item in page.get("external_contact_list") or []
            ]
            cursor = page.get("next_cursor") or None
            self._writer.put(Page(unit.id, pairs, cursor))
            if cursor is None:
                return

    def _groups(self) -> None:
        self._check_stop()
        with self.db.transaction(write=False) as session:
            listed = checkpoints.get(session, self.run_id, "group_list", WHOLE)
        if listed is None or not listed.done:
            chats = [
                [ref.chat_id, ref.status]
                for ref in self._retrying(lambda: list(self.client.iter_groupchat_list(limit=1000)))
            ]
            size = self.options.chats_per_unit
            with self._writing() as session:
                checkpoints.add_many(
                    session,
                    run_id=self.run_id,
                    corp_id=self.corp_id,
                    stage="groups",
                    payloads=[
                        (f"{i:06d}", {"chats": chats[i : i + size]})
                        for i in range(0, len(chats), size)
                    ],
                )
                checkpoints.add_many(
                    session,
                    run_id=self.run_id,
                    corp_id=self.corp_id,
                    stage="group_list",
                    payloads=[(WHOLE, {"chats": len(chats)})],
                )
                marker = checkpoints.get(session, self.run_id, "group_list", WHOLE)
                assert marker is not None
                checkpoints.advance(
                    session, marker.id, cursor=None, items=len(chats), done=True, now=utcnow()
                )
        with self.db.transaction(write=False) as session:
            units = checkpoints.of_stage(session, self.run_id, "groups")
        self._pool([u for u in units if not u.done], self._group_unit)

    def _group_unit(self, unit: SyncCheckpoint) -> None:
        fetched: list[tuple[dict[str, Any], int]] = []
        for chat_id, status in unit.payload["chats"]:
            self._check_stop()
            try:
                answer: GroupChatGet = self._retrying(
                    partial(self.client.groupchat_get, chat_id=chat_id)
                )
            except WeComApiError as exc:
                if exc.errcode in RETRYABLE:
                    raise
                # Dismissed between list and get: the final marks will catch it.
                log.info("sync_group_skipped", chat_id=chat_id, errcode=exc.errcode)
                continue
            fetched.append((answer.group_chat.model_dump(), int(status)))
        with self._writing() as session:
            now = utcnow()
            apply_groups(session, self.corp_id, fetched, now=now)
            checkpoints.advance(
                session, unit.id, cursor=None, items=len(fetched), done=True, now=now
            )
        self._count({"groups": len(fetched)})

    # -- machinery -------------------------------------------------------------------------
    @contextmanager
    def _writing(self) -> Iterator[Session]:
        with self._write_lock, self.db.transaction() as session:
            yield session

    def _retrying(self, call: Callable[[], Any]) -> Any:
        """The client already retried each call; a unit gets a few more rounds before the run
        gives up, since a 10% fault rate makes a four-times failure happen in big syncs.

        A call also fails when the client's shared store (token, rate and slot rows) stayed
        locked past the busy timeout on a loaded machine; nothing was written, so it is
        retried the same way."""
        for attempt in range(1, self.options.unit_attempts + 1):
            try:
                return call()
            except WeComApiError as exc:
                if exc.errcode not in RETRYABLE or attempt == self.options.unit_attempts:
                    raise
            except DBAPIError as exc:
                if not is_transient_write_conflict(exc) or attempt == self.options.unit_attempts:
                    raise
                log.warning("sync_store_conflict_retry", attempt=attempt)
            time.sleep(min(2.0, 0.1 * 2**attempt))
        raise AssertionError("unreachable")

    def _pool(self, units: list[SyncCheckpoint], work: Callable[[SyncCheckpoint], None]) -> None:
        if not units:
            return
        with ThreadPoolExecutor(
            max_workers=self.options.concurrency, thread_name_prefix="sync"
        ) as pool:
            futures: set[Future[None]] = {pool.submit(work, unit) for unit in units}
            pending = futures
            try:
                while pending:
                    done, pending = wait(
                        pending, timeout=self.options.progress_every, return_when=FIRST_EXCEPTION
                    )
                    self._report()
                    failed = [f for f in done if f.exception() is not None]
                    if failed:
                        exc = failed[0].exception()
                        assert exc is not None
                        raise exc
            except BaseException:
                # Ctrl-C or a failed unit: the others stop at their next page (all resumable).
                self.stop.set()
                raise

    _last_report = 0.0

    def _report(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_report < self.options.progress_every:
            return
        self._last_report = now
        with self._writing() as session:
            summary = checkpoints.summary(session, self.run_id)
            progress = {"stages": summary}
            sync_runs.set_progress(session, self.run_id, progress=progress, now=utcnow())
        if self.on_progress is not None:
            self.on_progress(progress)
