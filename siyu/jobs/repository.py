"""SQL over `job_runs`."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from siyu.db.dialect import insert_ignoring_conflicts
from siyu.jobs.models import JobRun, JobStatus


class JobRunRepository:
    def insert_if_new(self, session: Session, values: dict[str, Any]) -> bool:
        # The Core table with the row as a parameter: the statement is compiled once and
        # cached. Binding the values into it (`.values(row)`) recompiles on every enqueue, which
        # was most of the callback gateway's per-batch cost (bench/callbacks.py).
        table: Any = JobRun.__table__
        stmt = insert_ignoring_conflicts(session, table, None, conflict_columns=["key"]).returning(
            table.c.id
        )
        # RETURNING yields a row only when the insert happened (rowcount is -1 on some drivers).
        return session.execute(stmt, [values]).first() is not None

    def get(self, session: Session, run_id: uuid.UUID) -> JobRun | None:
        return session.get(JobRun, run_id)

    def get_by_key(self, session: Session, key: str) -> JobRun | None:
        return session.scalar(select(JobRun).where(JobRun.key == key))

    def claim(
        self, session: Session, run_id: uuid.UUID, *, now: datetime, lease: timedelta
    ) -> bool:
        """Take the run if it is due, or if its previous worker's lease ran out (it died)."""
        stmt = (
            update(JobRun)
            .where(
                JobRun.id == run_id,
                or_(
                    (JobRun.status == JobStatus.pending) & (JobRun.available_at <= now),
                    (JobRun.status == JobStatus.running) & (JobRun.lease_until < now),
                ),
            )
            .values(
                status=JobStatus.running,
                attempts=JobRun.attempts + 1,
                lease_until=now + lease,
                started_at=now,
            )
        )
        return session.execute(stmt.returning(JobRun.id)).first() is not None

    def mark_done(self, session: Session, run_id: uuid.UUID, *, now: datetime) -> None:
        session.execute(
            update(JobRun)
            .where(JobRun.id == run_id)
            .values(status=JobStatus.done, finished_at=now, lease_until=None, last_error=None)
        )

    def mark_failed(
        self,
        session: Session,
        run_id: uuid.UUID,
        *,
        error: str,
        retry_at: datetime | None,
        now: datetime,
    ) -> None:
        values: dict[str, Any] = {"last_error": error[:4000], "lease_until": None}
        if retry_at is None:
            values |= {"status": JobStatus.dead, "finished_at": now}
        else:
            values |= {"status": JobStatus.pending, "available_at": retry_at}
        session.execute(update(JobRun).where(JobRun.id == run_id).values(**values))

    def overdue(
        self, session: Session, *, now: datetime, grace: timedelta, limit: int
    ) -> list[Any]:
        """Runs nobody is working on although they should be: due pending rows whose wake-up
        was lost, and running rows whose worker died (lease expired)."""
        stmt = (
            select(JobRun.id)
            .where(
                or_(
                    (JobRun.status == JobStatus.pending) & (JobRun.available_at <= now - grace),
                    (JobRun.status == JobStatus.running) & (JobRun.lease_until < now),
                )
            )
            .order_by(JobRun.available_at)
            .limit(limit)
        )
        return list(session.scalars(stmt))

    def redrive(self, session: Session, run_id: uuid.UUID, *, now: datetime) -> bool:
        """Put a dead run back in line with a fresh attempt budget (console / CLI action)."""
        stmt = (
            update(JobRun)
            .where(JobRun.id == run_id, JobRun.status == JobStatus.dead)
            .values(status=JobStatus.pending, available_at=now, attempts=0, finished_at=None)
        )
        return session.execute(stmt.returning(JobRun.id)).first() is not None

    def counts_by_status(self, session: Session) -> dict[str, int]:
        rows = session.execute(select(JobRun.status, func.count()).group_by(JobRun.status))
        return {str(status): int(count) for status, count in rows}


job_runs = JobRunRepository()
