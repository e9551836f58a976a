"""Customer groups (客户群) and their members, mirrored from WeCom's groupchat APIs."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base, IdMixin, TimestampMixin

# CustomerGroup.status as groupchat/list reports it: 0 normal, 1 owner left, 2 transfer in
# progress, 3 transfer done.
GROUP_STATUSES = (0, 1, 2, 3)
MEMBER_STAFF = 1
MEMBER_EXTERNAL = 2


class CustomerGroup(IdMixin, TimestampMixin, Base):
    __tablename__ = "customer_groups"
    __table_args__ = (
        UniqueConstraint("corp_id", "chat_id"),
        Index("ix_customer_groups_corp_id_owner_userid", "corp_id", "owner_userid"),
    )

    corp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("corps.id", ondelete="CASCADE"))
    chat_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(128), default="")
    # The owner column for data scopes.
    owner_userid: Mapped[str] = mapped_column(String(64))
    notice: Mapped[str | None] = mapped_column(Text)
    created_in_wecom_at: Mapped[datetime | None]
    # groupchat/get's member_version; unchanged version means an unchanged member list.
    member_version: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(default=0)
    member_count: Mapped[int] = mapped_column(default=0)
    dismissed_at: Mapped[datetime | None]
    missing_since: Mapped[datetime | None]
    synced_at: Mapped[datetime | None]


class GroupMember(IdMixin, TimestampMixin, Base):
    __tablename__ = "group_members"
    __table_args__ = (
        UniqueConstraint("group_id", "member_id"),
        Index("ix_group_members_corp_id_member_id", "corp_id", "member_id"),
    )

    corp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("corps.id", ondelete="CASCADE"))
    group_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customer_groups.id", ondelete="CASCADE")
    )
    # A staff userid or an external_userid, per member_type.
    member_id: Mapped[str] = mapped_column(String(64))
    member_type: Mapped[int] = mapped_column(default=MEMBER_EXTERNAL)
    unionid: Mapped[str | None] = mapped_column(String(64))
    join_time: Mapped[datetime | None]
    join_scene: Mapped[int | None]
    invitor_userid: Mapped[str | None] = mapped_column(String(64))
    group_nickname: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(128))
    # The join way's state (channel), when the member joined through one.
    state: Mapped[str | None] = mapped_column(String(64))
    left_at: Mapped[datetime | None]
    quit_scene: Mapped[int | None]
