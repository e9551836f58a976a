"""A bulk tag job: the request, a snapshot of the caller's scope, and its progress.

Work happens in steps of a few hundred people; each step runs as its own job (key
`tags.bulk:{id}:{step}`) in a transaction that also advances `last_customer_id`, so a worker
killed mid-step repeats only that step, and the sweeper re-drives a step whose worker died.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base, IdMixin
from siyu.kit.clock import utcnow


class BulkTagStatus(StrEnum):
    pending = "pending"
    running = "running"
    done = "done"
    cancelled = "cancelled"
    failed = "failed"


class BulkTagJob(IdMixin, Base):
    __tablename__ = "bulk_tag_jobs"
    __table_args__ = (Index("ix_bulk_tag_jobs_corp_id_id", "corp_id", "id"),)

    corp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("corps.id", ondelete="CASCADE"))
    # "add" or "remove"
    action: Mapped[str] = mapped_column(String(8))
    tag_ids: Mapped[list[str]] = mapped_column(default=list)
    # Exactly one selection: explicit ids, or a condition tree (a saved segment's, snapshotted).
    customer_ids: Mapped[list[str] | None]
    condition: Mapped[dict[str, Any] | None]
    segment_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("segments.id", ondelete="SET NULL")
    )
    scope: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default=BulkTagStatus.pending)
    total: Mapped[int] = mapped_column(default=0)
    processed: Mapped[int] = mapped_column(default=0)
    # Siyu tag links written or removed, and WeCom mark_tag calls queued (one per relation).
    siyu_changes: Mapped[int] = mapped_column(default=0)
    wecom_marks: Mapped[int] = mapped_column(default=0)
    step: Mapped[int] = mapped_column(default=0)
    last_customer_id: Mapped[uuid.UUID | None]
    error: Mapped[str | None] = mapped_column(Text)
    requested_by_label: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
