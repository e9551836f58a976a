"""Mass-message campaigns and the durable rows their sending is made of.

- `MassSettings`: the corp's WeCom quota rule, Siyu's own frequency caps and quiet hours.
- `MassCampaign`: what to send, to whom (a segment, a list of people or of groups), when.
- `MassRecipient`: one row per audience member: who sends it (the chosen owner), the chunk, why
  they were left out, and later WeCom's per-customer result. `counted_at` is set while the row
  uses up a quota slot; it is how the quota engine counts (a set-based SQL count over it).
- `MassTask`: one add_msg_template call, per (campaign, staff member, chunk); `msgid` is
  recorded in the transaction that marks it created, so a resumed worker never repeats it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base, IdMixin, TimestampMixin
from siyu.kit.clock import utcnow

# A per-row integer key: 1M recipients are inserted by one INSERT … SELECT, with no ids from Python.
RowId = BigInteger().with_variant(Integer(), "sqlite")


class MassSettings(Base):
    __tablename__ = "mass_settings"

    corp_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("corps.id", ondelete="CASCADE"), primary_key=True
    )
    # days_in_month (current doc) | four_per_month (older rule) | seven_per_week | one_per_day
    quota_rule: Mapped[str] = mapped_column(String(24), default="days_in_month")
    # Siyu's own caps across campaigns per customer (None: no cap).
    daily_cap: Mapped[int | None] = mapped_column(default=1)
    weekly_cap: Mapped[int | None] = mapped_column(default=3)
    # Quiet hours in China time, [start, end) and possibly across midnight; None: none.
    quiet_start_hour: Mapped[int | None] = mapped_column(default=22)
    quiet_end_hour: Mapped[int | None] = mapped_column(default=8)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class MassCampaign(IdMixin, TimestampMixin, Base):
    __tablename__ = "mass_campaigns"
    __table_args__ = (
        Index("ix_mass_campaigns_status_due_at", "status", "due_at"),
        Index("ix_mass_campaigns_corp_id_id", "corp_id", "id"),
    )

    corp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("corps.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # customers | groups
    name: Mapped[str] = mapped_column(String(128))
    text: Mapped[str | None] = mapped_column(Text)
    attachments: Mapped[list[Any]] = mapped_column(default=list)
    # Library materials (siyu/materials); turned into attachments with fresh media ids when
    # the campaign is planned, then appended to `attachments`.
    material_ids: Mapped[list[str]] = mapped_column(default=list)
    # The audience: a saved segment, a condition tree, people, groups or group owners.
    segment_id: Mapped[uuid.UUID | None]
    condition: Mapped[dict[str, Any] | None]
    customer_ids: Mapped[list[str] | None]
    chat_ids: Mapped[list[str] | None]
    owner_userids: Mapped[list[str] | None]
    owner_rule: Mapped[str] = mapped_column(String(24), default="most_recent")
    # The requester's data scope, snapshotted: the worker plans inside it, never wider.
    scope: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # scheduled → sending → sent → finished; or cancelled / failed.
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    due_at: Mapped[datetime]
    # Set when quiet hours moved the send (the time asked for).
    requested_at: Mapped[datetime | None]
    planned_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    audience_count: Mapped[int] = mapped_column(default=0)
    reachable_count: Mapped[int] = mapped_column(default=0)
    left_out: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(String(255))
    created_by_label: Mapped[str] = mapped_column(String(128), default="")


class MassTask(IdMixin, TimestampMixin, Base):
    __tablename__ = "mass_tasks"
    __table_args__ = (UniqueConstraint("campaign_id", "staff_userid", "chunk"),)

    campaign_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("mass_campaigns.id", ondelete="CASCADE")
    )
    corp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("corps.id", ondelete="CASCADE"))
    staff_userid: Mapped[str] = mapped_column(String(64))
    chunk: Mapped[int]
    recipients: Mapped[int] = mapped_column(default=0)
    # pending → created (msgid known) → done (results final); failed; cancelled.
    status: Mapped[str] = mapped_column(String(16), default="pending")
    msgid: Mapped[str | None] = mapped_column(String(128), index=True)
    fail_count: Mapped[int] = mapped_column(default=0)
    # get_groupmsg_task: 0 not sent, 2 sent (the staff member confirmed).
    wecom_status: Mapped[int | None]
    confirmed_at: Mapped[datetime | None]
    created_in_wecom_at: Mapped[datetime | None]
    reminders: Mapped[list[str]] = mapped_column(default=list)
    error: Mapped[str | None] = mapped_column(String(255))


class MassRecipient(Base):
    __tablename__ = "mass_recipients"
    __table_args__ = (
        Index("ix_mass_recipients_campaign_id_staff_userid_chunk", "campaign_id", "staff_userid",
              "chunk"),
        Index("ix_mass_recipients_campaign_id_status", "campaign_id", "status"),
        Index("ix_mass_recipients_corp_id_customer_id_counted_at", "corp_id", "customer_id",
              "counted_at"),
        Index("ix_mass_recipients_corp_id_chat_id_counted_at", "corp_id", "chat_id",
              "counted_at"),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    campaign_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("mass_campaigns.id", ondelete="CASCADE")
    )
    corp_id: Mapped[uuid.UUID]
    customer_id: Mapped[uuid.UUID | None]
    chat_id: Mapped[str | None] = mapped_column(String(64))
    external_userid: Mapped[str | None] = mapped_column(String(64))
    staff_userid: Mapped[str | None] = mapped_column(String(64))
    chunk: Mapped[int | None]
    # planned | left_out | sent | delivered | not_friend | got_other | unsent | failed | cancelled
    status: Mapped[str] = mapped_column(String(16))
    # Why left out: no_quota | frequency_cap | no_relation | lost | opted_out
    reason: Mapped[str | None] = mapped_column(String(16))
    counted_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]


class MassOptOut(Base):
    """People who asked not to receive mass messages (customer service records it)."""

    __tablename__ = "mass_opt_outs"

    corp_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("corps.id", ondelete="CASCADE"), primary_key=True
    )
    customer_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StaffMassMessage(Base):
    """A mass message a staff member made in their own WeCom client (get_groupmsg_list_v2
    `create_type` 1), imported so its sends use up quota like Siyu's own (staff_sends.py)."""

    __tablename__ = "mass_staff_messages"

    corp_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("corps.id", ondelete="CASCADE"), primary_key=True
    )
    msgid: Mapped[str] = mapped_column(String(128), primary_key=True)
    chat_type: Mapped[str] = mapped_column(String(16))  # single | group
    creator: Mapped[str | None] = mapped_column(String(64))
    created_in_wecom_at: Mapped[datetime]
    # Set once every task of it is sent and its results are read: it is not asked for again.
    imported_at: Mapped[datetime | None]


class StaffMassReceipt(Base):
    """One target that received a staff member's own mass message: a counted send in the quota
    ledger, next to the `MassRecipient` rows with `counted_at` (planner.py counts both)."""

    __tablename__ = "mass_staff_receipts"
    __table_args__ = (
        UniqueConstraint("corp_id", "msgid", "staff_userid", "target"),
        Index("ix_mass_staff_receipts_corp_id_customer_id_counted_at", "corp_id", "customer_id",
              "counted_at"),
        Index("ix_mass_staff_receipts_corp_id_chat_id_counted_at", "corp_id", "chat_id",
              "counted_at"),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    corp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("corps.id", ondelete="CASCADE"))
    msgid: Mapped[str] = mapped_column(String(128))
    staff_userid: Mapped[str] = mapped_column(String(64))
    # external_userid or chat_id: the natural key of the receipt (both are never NULL here).
    target: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[uuid.UUID | None]  # None: not (yet) a customer Siyu knows
    chat_id: Mapped[str | None] = mapped_column(String(64))
    counted_at: Mapped[datetime]
