"""Starting, listing and reading sync runs; the rules around them.

One run at a time per corp: a second start while one is running is a conflict, unless the
running one stopped sending heartbeats (its process died), in which case it is marked
interrupted and a new run may start. Runs execute as the durable job "sync.full".
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.orm import Session

from siyu.audit.service import audit_service
from siyu.jobs import enqueue
from siyu.kit.clock import utcnow
from siyu.kit.errors import Conflict, NotFound
from siyu.kit.pagination import decode_id_cursor, split_id_page
from siyu.sync.models import KIND_FULL, RUN_INTERRUPTED, RUN_RUNNING, SyncRun
from siyu.sync.repository import checkpoints, sync_runs

# A running run whose heartbeat is older than this has no live process behind it.
STALE_AFTER = timedelta(minutes=5)
JOB_NAME = "sync.full"


class SyncService:
    def create_run(
        self,
        session: Session,
        *,
        corp_id: uuid.UUID,
        kind: str = KIND_FULL,
        requested_by_label: str | None = None,
        enqueue_job: bool = True,
    ) -> SyncRun:
        """A new run, enqueued as a job after commit (or left for the caller to run inline)."""
        running = sync_runs.running(session, corp_id)
        if running is not None:
            beat = running.heartbeat_at or running.started_at
            if utcnow() - beat < STALE_AFTER:
                raise Conflict(
                    "a sync of this corp is already running",
                    code="sync_running",
                    details={"run_id": str(running.id)},
                )
            running.status = RUN_INTERRUPTED
        now = utcnow()
        run = sync_runs.add(
            session,
            SyncRun(
                corp_id=corp_id,
                kind=kind,
                status=RUN_RUNNING,
                started_at=now,
                heartbeat_at=now,
                requested_by_label=(requested_by_label or "")[:128] or None,
            ),
        )
        if enqueue_job:
            enqueue(
                session,
                JOB_NAME,
                key=f"sync:{run.id}",
                args={"run_id": str(run.id)},
                corp_id=corp_id,
                max_attempts=5,
            )
        return run

    def start(
        self, session: Session, *, corp_id: uuid.UUID, requested_by_label: str | None
    ) -> SyncRun:
        """The API's start: a new full run, audited."""
        run = self.create_run(session, corp_id=corp_id, requested_by_label=requested_by_label)
        audit_service.record(
            session,
            action="sync.start",
            target_type="sync_run",
            target_id=run.id,
            details={"kind": run.kind},
            corp_id=corp_id,
        )
        return run

    def get_or_404(self, session: Session, *, corp_id: uuid.UUID, run_id: uuid.UUID) -> SyncRun:
        run = sync_runs.get(session, run_id, corp_id=corp_id)
        if run is None:
            raise NotFound("no such sync run")
        return run

    def list(
        self, session: Session, *, corp_id: uuid.UUID, cursor: str | None, limit: int
    ) -> tuple[list[SyncRun], str | None]:
        rows = sync_runs.list(session, corp_id, before_id=decode_id_cursor(cursor), limit=limit + 1)
        return split_id_page(rows, limit)

    def stage_summary(self, session: Session, *, run_id: uuid.UUID) -> dict[str, dict[str, int]]:
        return checkpoints.summary(session, run_id)


sync_service = SyncService()
