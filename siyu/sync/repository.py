"""SQL over sync runs and their checkpoints."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from siyu.kit.ids import new_id
from siyu.sync.models import RUN_RUNNING, SyncCheckpoint, SyncRun


class SyncRunRepository:
    def add(self, session: Session, run: SyncRun) -> SyncRun:
        session.add(run)
        session.flush()
        return run

    def get(
        self, session: Session, run_id: uuid.UUID, *, corp_id: uuid.UUID | None = None
    ) -> SyncRun | None:
        stmt = select(SyncRun).where(SyncRun.id == run_id)
        if corp_id is not None:
            stmt = stmt.where(SyncRun.corp_id == corp_id)
        return session.scalar(stmt)

    def running(self, session: Session, corp_id: uuid.UUID) -> SyncRun | None:
        stmt = (
            select(SyncRun)
            .where(SyncRun.corp_id == corp_id, SyncRun.status == RUN_RUNNING)
            .order_by(SyncRun.id.desc())
            .limit(1)
        )
        return session.scalar(stmt)

    def list(
        self, session: Session, corp_id: uuid.UUID, *, before_id: uuid.UUID | None, limit: int
    ) -> list[SyncRun]:
        """Newest first (ids are UUIDv7), keyset on id."""
        stmt = select(SyncRun).where(SyncRun.corp_id == corp_id)
        if before_id is not None:
            stmt = stmt.where(SyncRun.id < before_id)
        return list(session.scalars(stmt.order_by(SyncRun.id.desc()).limit(limit)))

    def set_progress(
        self, session: Session, run_id: uuid.UUID, *, progress: dict[str, Any], now: datetime
    ) -> None:
        session.execute(
            update(SyncRun)
            .where(SyncRun.id == run_id)
            .values(progress=progress, heartbeat_at=now)
            .execution_options(synchronize_session=False)
        )


class CheckpointRepository:
    def get(
        self, session: Session, run_id: uuid.UUID, stage: str, key: str
    ) -> SyncCheckpoint | None:
        stmt = select(SyncCheckpoint).where(
            SyncCheckpoint.run_id == run_id,
            SyncCheckpoint.stage == stage,
            SyncCheckpoint.key == key,
        )
        return session.scalar(stmt)

    def of_stage(self, session: Session, run_id: uuid.UUID, stage: str) -> list[SyncCheckpoint]:
        stmt = (
            select(SyncCheckpoint)
            .where(SyncCheckpoint.run_id == run_id, SyncCheckpoint.stage == stage)
            .order_by(SyncCheckpoint.key)
        )
        return list(session.scalars(stmt))

    def add_many(
        self,
        session: Session,
        *,
        run_id: uuid.UUID,
        corp_id: uuid.UUID,
        stage: str,
        payloads: Sequence[tuple[str, dict[str, Any]]],
    ) -> None:
        session.add_all(
            SyncCheckpoint(
                id=new_id(), run_id=run_id, corp_id=corp_id, stage=stage, key=key, payload=payload
            )
            for key, payload in payloads
        )
        session.flush()

    def advance(
        self,
        session: Session,
        checkpoint_id: uuid.UUID,
        *,
        cursor: str | None,
        items: int,
        done: bool,
        now: datetime,
    ) -> None:
        """One more page of a unit is written: move its cursor (same transaction as the rows)."""
        session.execute(
            update(SyncCheckpoint)
            .where(SyncCheckpoint.id == checkpoint_id)
            .values(
                cursor=cursor,
                done=done,
                items=SyncCheckpoint.items + items,
                pages=SyncCheckpoint.pages + 1,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )

    def summary(self, session: Session, run_id: uuid.UUID) -> dict[str, dict[str, int]]:
        """Per stage: units done / total, items and pages so far (progress and the bench)."""
        stmt = (
            select(
                SyncCheckpoint.stage,
                func.count(),
                func.sum(case((SyncCheckpoint.done, 1), else_=0)),
                func.sum(SyncCheckpoint.items),
                func.sum(SyncCheckpoint.pages),
            )
            .where(SyncCheckpoint.run_id == run_id)
            .group_by(SyncCheckpoint.stage)
        )
        return {
            stage: {
                "total": total,
                "done": int(done or 0),
                "items": int(items or 0),
                "pages": int(pages or 0),
            }
            for stage, total, done, items, pages in session.execute(stmt)
        }


sync_runs = SyncRunRepository()
checkpoints = CheckpointRepository()
