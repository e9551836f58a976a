"""Saved segments and the record of every evaluation.

A segment stores its condition tree as JSON (validated by `conditions.Condition` on the way
in and again on the way out, so a stored tree that no longer validates, e.g. after a tag was
deleted, is reported instead of silently matching nobody). Every count, preview and export
writes a `SegmentEvaluation` with its duration: that is how slow trees are found in production.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base, IdMixin, TimestampMixin
from siyu.kit.clock import utcnow


class Segment(IdMixin, TimestampMixin, Base):
    __tablename__ = "segments"
    __table_args__ = (Index("ix_segments_corp_id_deleted_at_id", "corp_id", "deleted_at", "id"),)

    corp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("corps.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(Text)
    condition: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_by_label: Mapped[str] = mapped_column(String(255), default="")
    # The last count anyone saw (in the caller's scope), for the saved-segments list.
    last_count: Mapped[int | None]
    last_evaluated_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]


class SegmentEvaluation(IdMixin, Base):
    __tablename__ = "segment_evaluations"
    __table_args__ = (
        Index("ix_segment_evaluations_corp_id_segment_id_id", "corp_id", "segment_id", "id"),
    )

    corp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("corps.id", ondelete="CASCADE"))
    # Null for an unsaved tree (the builder's live count).
    segment_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("segments.id", ondelete="CASCADE")
    )
    # count | preview | export | bulk_tag
    purpose: Mapped[str] = mapped_column(String(16))
    condition: Mapped[dict[str, Any]] = mapped_column(default=dict)
    scope_kind: Mapped[str] = mapped_column(String(16))
    actor_label: Mapped[str] = mapped_column(String(255), default="")
    result_count: Mapped[int | None]
    duration_ms: Mapped[float]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
