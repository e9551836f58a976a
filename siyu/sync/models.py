"""Sync runs and their checkpoints.

A run is one reconciliation of a corp with WeCom. Its checkpoints are the units of work
(a batch of staff for batch/get_by_user, a page of groupchat/list, ...) with the cursor
reached so far, committed together with the rows they produced: a resumed run skips what is
done and continues an interrupted unit from its cursor instead of refetching it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base, IdMixin, TimestampMixin
from siyu.kit.clock import utcnow

RUN_RUNNING = "running"
RUN_DONE = "done"
RUN_FAILED = "failed"
RUN_INTERRUPTED = "interrupted"
RUN_STATUSES = (RUN_RUNNING, RUN_DONE, RUN_FAILED, RUN_INTERRUPTED)
KIND_FULL = "full"


class SyncRun(IdMixin, TimestampMixin, Base):
    __tablename__ = "sync_runs"
    __table_args__ = (Index("ix_sync_runs_corp_id_status", "corp_id", "status"),)

    corp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("corps.id", ondelete="CASCADE"))
    # "full", or a subset of stages ("directory", "customers", "tags", "groups") for drift.
    kind: Mapped[str] = mapped_column(String(32), default=KIND_FULL)
    status: Mapped[str] = mapped_column(String(16), default=RUN_RUNNING)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    # Live progress: {"stage": ..., "stages": {name: {"done": n, "total": m}}}.
    progress: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Rows seen/marked per entity: {"customers": n, "relations_missing": m, ...}.
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    requested_by_label: Mapped[str | None] = mapped_column(String(128))
    # Bumped while the run works; a "running" run with an old heartbeat was abandoned.
    heartbeat_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)


class SyncCheckpoint(IdMixin, TimestampMixin, Base):
    __tablename__ = "sync_checkpoints"
    __table_args__ = (UniqueConstraint("run_id", "stage", "key"),)

    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sync_runs.id", ondelete="CASCADE"))
    corp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("corps.id", ondelete="CASCADE"))
    stage: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(128))
    # What the unit covers, e.g. {"userids": [...]} for a batch of staff.
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    cursor: Mapped[str | None] = mapped_column(String(512))
    done: Mapped[bool] = mapped_column(default=False)
    items: Mapped[int] = mapped_column(default=0)
    # Pages fetched for this unit, across attempts (lets tests and the bench count refetches).
    pages: Mapped[int] = mapped_column(default=0)
