"""Profile tables: custom fields and their values, sales stages, follow-ups, the timeline.

`customer_field_values` has a fixed shape (customer_id, field_id, value_text, value_number,
value_date) because the segments compiler builds conditions against it; a multi-select value is
one row per chosen option with `value_text` = the option key.

The timeline is materialised (`customer_timeline`): reading it merges nothing at request time,
so its first page is one index range scan on (customer_id, occurred_at, id) however many events
the person has. Rows come from this domain's own writes and from the domain event outbox.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base, IdMixin, TimestampMixin
from siyu.identity.movers import register_mover
from siyu.kit.clock import utcnow

FIELD_TYPES = ("text", "number", "date", "single_select", "multi_select")


class CustomerField(IdMixin, TimestampMixin, Base):
    __tablename__ = "customer_fields"
    __table_args__ = (UniqueConstraint("corp_id", "key"),)

    corp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("corps.id", ondelete="CASCADE"))
    # Stable machine name (segments and imports refer to it); the label may change.
    key: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(128))
    type: Mapped[str] = mapped_column(String(16))
    # [{"key": "k", "label": "..."}] for the select types; empty otherwise.
    options: Mapped[list[Any]] = mapped_column(default=list)
    required: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)


class CustomerFieldValue(IdMixin, Base):
    __tablename__ = "customer_field_values"
    __table_args__ = (
        Index("ix_customer_field_values_customer_id_field_id", "customer_id", "field_id"),
        Index("ix_customer_field_values_field_id_value_text", "field_id", "value_text"),
        Index("ix_customer_field_values_field_id_value_number", "field_id", "value_number"),
        Index("ix_customer_field_values_field_id_value_date", "field_id", "value_date"),
    )

    corp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("corps.id", ondelete="CASCADE"))
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    field_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customer_fields.id", ondelete="CASCADE")
    )
    value_text: Mapped[str | None] = mapped_column(Text)
    value_number: Mapped[float | None] = mapped_column(Float)
    value_date: Mapped[date | None] = mapped_column(Date)


class SalesStage(IdMixin, TimestampMixin, Base):
    __tablename__ = "sales_stages"
    __table_args__ = (UniqueConstraint("corp_id", "key"),)

    corp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("corps.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(default=0)
    # Done / abandoned stages end the funnel; counts still include them.
    is_final: Mapped[bool] = mapped_column(default=False)


class StageMove(IdMixin, Base):
    __tablename__ = "stage_moves"
    __table_args__ = (Index("ix_stage_moves_customer_id_moved_at", "customer_id", "moved_at"),)

    corp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("corps.id", ondelete="CASCADE"))
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    from_stage_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("sales_stages.id", ondelete="SET NULL")
    )
    to_stage_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("sales_stages.id", ondelete="SET NULL")
    )
    # The staff member who moved it (null for an API key or a system move).
    staff_userid: Mapped[str | None] = mapped_column(String(64))
    moved_at: Mapped[datetime] = mapped_column(default=utcnow)


class StageDailyCount(Base):
    """Customers in each stage per owning staff member on a day, plus moves into it that day.

    The periodic job rewrites today's rows from the customers table (exact); stage moves adjust
    them in between, so the chart is current without a scan per move.
    """

    __tablename__ = "stage_daily_counts"
    __table_args__ = (
        Index("ix_stage_daily_counts_corp_id_staff_userid_day", "corp_id", "staff_userid", "day"),
    )

    corp_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("corps.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    stage_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sales_stages.id", ondelete="CASCADE"), primary_key=True
    )
    staff_userid: Mapped[str] = mapped_column(String(64), primary_key=True)
    customers: Mapped[int] = mapped_column(default=0)
    entered: Mapped[int] = mapped_column(default=0)


class FollowUp(IdMixin, Base):
    __tablename__ = "follow_ups"
    __table_args__ = (Index("ix_follow_ups_customer_id_created_at", "customer_id", "created_at"),)

    corp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("corps.id", ondelete="CASCADE"))
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    # Who wrote it: their WeCom userid when known, else the console user's name.
    staff_userid: Mapped[str | None] = mapped_column(String(64))
    author: Mapped[str] = mapped_column(String(128), default="")
    kind: Mapped[str] = mapped_column(String(16), default="follow_up")  # or "note"
    content: Mapped[str] = mapped_column(Text)
    next_follow_up_at: Mapped[datetime | None]
    stage_move_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("stage_moves.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TimelineEntry(IdMixin, Base):
    __tablename__ = "customer_timeline"
    __table_args__ = (
        Index(
            "ix_customer_timeline_customer_id_occurred_at_id", "customer_id", "occurred_at", "id"
        ),
    )

    corp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("corps.id", ondelete="CASCADE"))
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    # customer.added, customer.lost, customer.removed, tag.added, tag.removed, stage.moved,
    # follow_up.added, field.changed, group.joined, group.left, message.sent
    kind: Mapped[str] = mapped_column(String(32))
    staff_userid: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    occurred_at: Mapped[datetime]
    # The cause ("event:<domain event id>", "move:<id>"), so feeding twice adds nothing.
    dedup_key: Mapped[str] = mapped_column(String(128), unique=True)


class EventCursor(Base):
    """How far a consumer of the domain event outbox got, per corp (UUIDv7 ids are ordered)."""

    __tablename__ = "event_cursors"

    consumer: Mapped[str] = mapped_column(String(32), primary_key=True)
    corp_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("corps.id", ondelete="CASCADE"), primary_key=True
    )
    last_event_id: Mapped[uuid.UUID | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


# A merge moves the merged person's profile to the survivor (siyu.identity.movers); for a field
# both people have a value for, the survivor's value wins.
register_mover(
    CustomerFieldValue.__table__,  # type: ignore[arg-type]
    "customer_id",
    unique_with=("field_id",),
)
register_mover(StageMove.__table__, "customer_id")  # type: ignore[arg-type]
register_mover(FollowUp.__table__, "customer_id")  # type: ignore[arg-type]
register_mover(TimelineEntry.__table__, "customer_id")  # type: ignore[arg-type]
