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
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base, IdMixin, TimestampMixin
from siyu.db.types import TokenSet
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


def _gin(name: str, column: str) -> Index:
    """A GIN index on PostgreSQL; on SQLite an always-empty partial index (WHERE 0), because
    SQLite tests token sets by scanning (a b-tree over the whole text would only cost writes)."""
    return Index(name, column, postgresql_using="gin", sqlite_where=sql_text("0"))


class CustomerFacts(Base):
    """One row per person with what segments test, kept in step with the source rows.

    A maintained index (see `facts.py`): every transaction that changes a person's relations,
    relation tags, Siyu tags or contact row refreshes that person's row before it commits, so a
    count reads one narrow table with no joins. Tokens: tag ids (WeCom tags on any relation
    and Siyu tags on the person), staff userids of live relations, channels of any relation.
    """

    __tablename__ = "customer_facts"
    __table_args__ = (
        # PostgreSQL: date windows as an index-only scan carrying the token sets (INCLUDE), so a
        # windowed count never visits the heap; the GIN indexes serve trees without a window.
        Index(
            "ix_customer_facts_corp_id_first_added_at",
            "corp_id",
            "first_added_at",
            postgresql_include=["status", "tags", "channels"],
            sqlite_where=sql_text("0"),
        ),
        # SQLite: the same range, covering every token set, so a windowed count reads only this
        # index in order and never the table (about 5x faster than fetching each row).
        Index(
            "ix_customer_facts_covering",
            "corp_id",
            "first_added_at",
            "status",
            "tags",
            "channels",
            "staff",
            postgresql_where=sql_text("false"),
        ),
        Index("ix_customer_facts_corp_id_status_customer_id", "corp_id", "status", "customer_id"),
        _gin("ix_customer_facts_tags", "tags"),
        _gin("ix_customer_facts_staff", "staff"),
        _gin("ix_customer_facts_channels", "channels"),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    # No corps FK: the customer_id FK already cascades from customers (which cascades from
    # corps), and the FK check on every COPY was the largest cost of an identity load
    # (decision 0007).
    corp_id: Mapped[uuid.UUID]
    # "active" while any relation is live, else "lost" (the rule of customers.status).
    status: Mapped[str] = mapped_column(String(16))
    first_added_at: Mapped[datetime | None]
    tags: Mapped[list[str]] = mapped_column(TokenSet(), default=list)
    staff: Mapped[list[str]] = mapped_column(TokenSet(), default=list)
    channels: Mapped[list[str]] = mapped_column(TokenSet(), default=list)
