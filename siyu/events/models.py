"""The domain event outbox: one row per fact, written in the transaction that made it true."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base, IdMixin
from siyu.kit.clock import utcnow


class DomainEvent(IdMixin, Base):
    __tablename__ = "domain_events"
    __table_args__ = (
        Index("ix_domain_events_corp_id_name_id", "corp_id", "name", "id"),
        Index("ix_domain_events_corp_id_subject", "corp_id", "subject_type", "subject_id"),
    )

    corp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("corps.id", ondelete="CASCADE"))
    # "customer.added", "customer.lost", "tag.added", "tag.removed", "group.joined", ...
    name: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # When it happened in the world (e.g. WeCom's CreateTime), not when Siyu learnt of it.
    occurred_at: Mapped[datetime]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Natural key of the cause (inbox event key, sync run + row) so a replayed cause does not
    # emit the same fact twice.
    dedup_key: Mapped[str | None] = mapped_column(String(255), unique=True)
