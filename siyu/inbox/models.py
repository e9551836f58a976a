"""One row per distinct WeCom callback, written before the gateway answers 200.

The unique `(corp_id, dedup_key)` pair is what makes WeCom's retries (and the sandbox's
injected duplicates) land on the same row: the database, not a prior SELECT, decides.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base, IdMixin
from siyu.kit.clock import utcnow


class InboxStatus(StrEnum):
    pending = "pending"  # stored, its job not yet finished
    handled = "handled"  # the handler committed
    failed = "failed"  # the last attempt failed; the job retries with back-off
    dead = "dead"  # out of attempts; `redrive` puts it back in line
    unsupported = "unsupported"  # no handler is registered for (event, change type)


class InboxEvent(IdMixin, Base):
    __tablename__ = "inbox_events"
    __table_args__ = (
        # The dedup key ends with CreateTime, so putting create_time first is the same
        # uniqueness with time-ordered entries: a batch of new callbacks dirties a few index
        # pages at the right edge instead of one random page per row (~50 µs a row on SQLite).
        UniqueConstraint("corp_id", "create_time", "dedup_key"),
        # The console lists one corp's rows newest first, optionally by status.
        Index("ix_inbox_events_corp_id_status_id", "corp_id", "status", "id"),
        Index("ix_inbox_events_status_received_at", "status", "received_at"),
    )

    corp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("corps.id", ondelete="CASCADE"))
    # Event, ChangeType, the event's ids and CreateTime (FromUserName is always "sys").
    dedup_key: Mapped[str] = mapped_column(String(255))
    event: Mapped[str] = mapped_column(String(64))
    change_type: Mapped[str | None] = mapped_column(String(64))
    # WeCom's CreateTime (unix seconds), kept as sent.
    create_time: Mapped[int]
    # The decrypted XML document: the source of truth handlers re-parse, replay included.
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=InboxStatus.pending)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    handled_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
