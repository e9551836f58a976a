"""Reply groups and quick replies. A reply's text may hold variables (`{nickname}`); its
attachments are materials, by id, turned into WeCom attachments when it is sent."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base, IdMixin, TimestampMixin


class ReplyGroup(IdMixin, TimestampMixin, Base):
    __tablename__ = "reply_groups"
    __table_args__ = (UniqueConstraint("corp_id", "name"),)

    corp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("corps.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(default=0)


class Reply(IdMixin, TimestampMixin, Base):
    __tablename__ = "replies"
    __table_args__ = (Index("ix_replies_group_id_position_id", "group_id", "position", "id"),)

    corp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("corps.id", ondelete="CASCADE"))
    group_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("reply_groups.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text, default="")
    # Material ids (as text), in the order they are attached.
    material_ids: Mapped[list[str]] = mapped_column(default=list)
    position: Mapped[int] = mapped_column(default=0)
    use_count: Mapped[int] = mapped_column(default=0)
    created_by: Mapped[str] = mapped_column(String(255), default="")
