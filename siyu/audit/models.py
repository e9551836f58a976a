"""Audit events: an append-only record of every write, bulk action and export."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base, IdMixin
from siyu.kit.clock import utcnow


class AuditEvent(IdMixin, Base):
    """No foreign keys on purpose: the log must outlive the users, keys and corps it names."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_corp_id_id", "corp_id", "id"),
        Index("ix_audit_events_corp_id_action", "corp_id", "action"),
    )

    corp_id: Mapped[uuid.UUID | None]
    actor_user_id: Mapped[uuid.UUID | None]
    actor_api_key_id: Mapped[uuid.UUID | None]
    actor_label: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(100))
    target_type: Mapped[str | None] = mapped_column(String(100))
    target_id: Mapped[str | None] = mapped_column(String(100))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(255))
    request_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
