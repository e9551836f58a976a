"""Lost-alert settings per corp and the durable alert rows.

An alert row is one (ended relation, recipient) pair: the customer deleted the staff member
(`deleted_by` "customer": the member and their managers are told) or the staff member deleted
the customer (`deleted_by` "staff": their managers are told; a transfer's deletion is not one).
Rows are created once (unique key) and grouped into a batch per recipient and window
(`batch_key`); the send job sends one app message per batch and stamps every row of it, so a
re-run finds nothing left to send.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base, IdMixin
from siyu.identity.movers import register_mover
from siyu.kit.clock import utcnow

DEFAULT_BATCH_MINUTES = 10


class LostAlertSetting(Base):
    __tablename__ = "lost_alert_settings"

    corp_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("corps.id", ondelete="CASCADE"), primary_key=True
    )
    enabled: Mapped[bool] = mapped_column(default=False)
    # The app that sends the message; null means the corp's configured agent id.
    agent_id: Mapped[int | None]
    # Also tell the managers (Siyu members with the manager role whose departments hold the
    # staff member).
    notify_managers: Mapped[bool] = mapped_column(default=True)
    batch_minutes: Mapped[int] = mapped_column(default=DEFAULT_BATCH_MINUTES)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class LostAlert(IdMixin, Base):
    __tablename__ = "lost_alerts"
    __table_args__ = (
        UniqueConstraint("relation_id", "recipient_userid", "lost_at"),
        Index("ix_lost_alerts_corp_id_batch_key", "corp_id", "batch_key"),
    )

    corp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("corps.id", ondelete="CASCADE"))
    relation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("follow_relations.id", ondelete="CASCADE")
    )
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    # The staff member of the relation, and who is told (them or their manager).
    staff_userid: Mapped[str] = mapped_column(String(64))
    recipient_userid: Mapped[str] = mapped_column(String(64))
    # Who ended the relation: "customer" or "staff"; `lost_at` is when.
    deleted_by: Mapped[str] = mapped_column(String(8), default="customer")
    lost_at: Mapped[datetime]
    batch_key: Mapped[str] = mapped_column(String(160))
    sent_at: Mapped[datetime | None]
    msgid: Mapped[str | None] = mapped_column(String(128))
    # Why sending failed for good (recipient not in the app, no agent id, ...).
    error: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


register_mover(LostAlert.__table__, "customer_id")  # type: ignore[arg-type]  # merges move them
