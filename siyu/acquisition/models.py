"""Channels, live codes, welcome defaults and the rows the welcome path and capacity keep.

A `LiveCode` is Siyu's rules around one WeCom 「联系我」 contact way (API-FACTS §4.3): the way's
`state` identifies the code in every add callback, and `active_userids` is the user list Siyu
last gave WeCom (WeCom picks among those users itself, so routing means choosing that list).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base, IdMixin, TimestampMixin
from siyu.kit.clock import utcnow

ROUTING_STRATEGIES = ("round_robin", "weighted", "least_loaded")


class Channel(IdMixin, TimestampMixin, Base):
    """A grouping of codes (a store, parcel cards, an ad campaign) with tags for all of them."""

    __tablename__ = "acquisition_channels"
    __table_args__ = (UniqueConstraint("corp_id", "name"),)

    corp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("corps.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="")
    # Siyu corp-tag ids (tags.id) every customer of the channel's codes is marked with.
    tag_ids: Mapped[list[str]] = mapped_column(default=list)


class LiveCode(IdMixin, TimestampMixin, Base):
    __tablename__ = "acquisition_codes"
    __table_args__ = (
        UniqueConstraint("corp_id", "state"),
        Index("ix_acquisition_codes_corp_id_channel_id", "corp_id", "channel_id"),
    )

    corp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("corps.id", ondelete="CASCADE"))
    channel_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("acquisition_channels.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(String(64))
    # The contact way's state (≤30 chars): what the add callback carries back.
    state: Mapped[str] = mapped_column(String(30))
    enabled: Mapped[bool] = mapped_column(default=True)
    expires_at: Mapped[datetime | None]
    # The pool: WeCom userids and WeCom department ids (members expanded at routing time).
    staff_userids: Mapped[list[str]] = mapped_column(default=list)
    department_ids: Mapped[list[Any]] = mapped_column(default=list)
    backup_userids: Mapped[list[str]] = mapped_column(default=list)
    routing: Mapped[str] = mapped_column(String(16), default="round_robin")
    weights: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Adds per staff member per China day through this code (null: only the staff's own cap).
    daily_cap: Mapped[int | None]
    # {"start": "09:00", "end": "21:00", "weekdays": [1..7]} in China time; null: always.
    working_hours: Mapped[dict[str, Any] | None]
    skip_verify: Mapped[bool] = mapped_column(default=True)
    # [{"start": "HH:MM", "end": "HH:MM"}]: skip verification only inside these windows.
    skip_verify_windows: Mapped[list[Any]] = mapped_column(default=list)
    tag_ids: Mapped[list[str]] = mapped_column(default=list)
    remark_template: Mapped[str] = mapped_column(String(128), default="")
    description_template: Mapped[str] = mapped_column(String(300), default="")
    welcome_text: Mapped[str] = mapped_column(Text, default="")
    # WeCom attachment bodies ({"msgtype": "link", "link": {...}}), at most 9.
    welcome_attachments: Mapped[list[Any]] = mapped_column(default=list)
    welcome_material_ids: Mapped[list[str]] = mapped_column(default=list)
    # What WeCom holds: the way, its QR, the user list and skip_verify last pushed.
    config_id: Mapped[str | None] = mapped_column(String(64))
    qr_code: Mapped[str | None] = mapped_column(String(512))
    active_userids: Mapped[list[str]] = mapped_column(default=list)
    active_skip_verify: Mapped[bool | None]
    synced_at: Mapped[datetime | None]
    sync_error: Mapped[str | None] = mapped_column(String(255))


class WelcomeDefault(IdMixin, TimestampMixin, Base):
    """The welcome when no code matches: per staff member, else the corp's (`staff_userid` "")."""

    __tablename__ = "acquisition_welcome_defaults"
    __table_args__ = (UniqueConstraint("corp_id", "staff_userid"),)

    corp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("corps.id", ondelete="CASCADE"))
    staff_userid: Mapped[str] = mapped_column(String(64), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    attachments: Mapped[list[Any]] = mapped_column(default=list)
    material_ids: Mapped[list[str]] = mapped_column(default=list)


class WelcomeSend(IdMixin, Base):
    """One welcome per WelcomeCode: the row is the claim (inserted before calling WeCom, so a
    duplicated callback finds it and sends nothing) and then the outcome, for analytics."""

    __tablename__ = "acquisition_welcomes"
    __table_args__ = (
        UniqueConstraint("corp_id", "welcome_code"),
        Index("ix_acquisition_welcomes_corp_id_code_id", "corp_id", "code_id"),
    )

    corp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("corps.id", ondelete="CASCADE"))
    welcome_code: Mapped[str] = mapped_column(String(128))
    inbox_event_id: Mapped[uuid.UUID | None]
    code_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("acquisition_codes.id", ondelete="SET NULL")
    )
    staff_userid: Mapped[str] = mapped_column(String(64))
    external_userid: Mapped[str] = mapped_column(String(64))
    # code | staff | corp: which welcome was used.
    source: Mapped[str] = mapped_column(String(8))
    # sending (claimed) | sent | failed | expired (claimed past WeCom's 20 s window, so never
    # sent) | uncertain (the sender died between its call and recording the answer: never
    # resent, see welcome.settle_stale)
    status: Mapped[str] = mapped_column(String(16), default="sending")
    errcode: Mapped[int | None]
    event_time: Mapped[datetime | None]  # the callback's CreateTime
    received_at: Mapped[datetime | None]  # the gateway stored the callback
    sent_at: Mapped[datetime | None]  # WeCom accepted send_welcome_msg
    latency_ms: Mapped[float | None]  # sent_at - received_at
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CodeAdd(IdMixin, Base):
    """A customer added a staff member through a code: counts for caps and analytics."""

    __tablename__ = "acquisition_code_adds"
    __table_args__ = (
        UniqueConstraint("corp_id", "code_id", "staff_userid", "external_userid"),
        Index(
            "ix_acquisition_code_adds_corp_id_day_staff_userid", "corp_id", "day", "staff_userid"
        ),
        Index("ix_acquisition_code_adds_code_id_day", "code_id", "day"),
    )

    corp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("corps.id", ondelete="CASCADE"))
    code_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("acquisition_codes.id", ondelete="CASCADE")
    )
    channel_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("acquisition_channels.id", ondelete="CASCADE")
    )
    staff_userid: Mapped[str] = mapped_column(String(64))
    external_userid: Mapped[str] = mapped_column(String(64))
    day: Mapped[date]  # China calendar day of the add
    added_at: Mapped[datetime]


class CapacityWarning(IdMixin, Base):
    """One warning per staff member, kind, threshold and day: the unique key makes it once."""

    __tablename__ = "acquisition_capacity_warnings"
    __table_args__ = (UniqueConstraint("corp_id", "staff_userid", "day", "kind", "threshold"),)

    corp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("corps.id", ondelete="CASCADE"))
    staff_userid: Mapped[str] = mapped_column(String(64))
    day: Mapped[date]
    kind: Mapped[str] = mapped_column(String(16))  # friends | daily_adds
    threshold: Mapped[int]  # 80 | 95
    count: Mapped[int]
    cap: Mapped[int]
    recipients: Mapped[list[str]] = mapped_column(default=list)
    sent_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
