"""Tag groups and tags of a corp.

Corp tags (企业标签) mirror WeCom's and carry its ids; Siyu-only groups (origin "siyu", no
WeCom id) never go to WeCom. Deleted tags are soft-deleted (`deleted_at`) so relations and
history that point at them keep their meaning.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base, IdMixin, TimestampMixin

ORIGIN_WECOM = "wecom"
ORIGIN_SIYU = "siyu"
# Tag.type: 1 corp tag, 2 personal tag (客户个人标签), 3 rule tag (规则组标签).
TAG_TYPE_CORP = 1
TAG_TYPE_PERSONAL = 2
TAG_TYPE_RULE = 3


class TagGroup(IdMixin, TimestampMixin, Base):
    __tablename__ = "tag_groups"
    # NULLs are distinct in a unique constraint on both dialects, so Siyu-only groups pass.
    __table_args__ = (UniqueConstraint("corp_id", "wecom_group_id"),)

    corp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("corps.id", ondelete="CASCADE"))
    wecom_group_id: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(64))
    order: Mapped[int] = mapped_column(default=0)
    origin: Mapped[str] = mapped_column(String(16), default=ORIGIN_WECOM)
    deleted_at: Mapped[datetime | None]


class Tag(IdMixin, TimestampMixin, Base):
    __tablename__ = "tags"
    __table_args__ = (UniqueConstraint("corp_id", "wecom_tag_id"),)

    corp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("corps.id", ondelete="CASCADE"))
    group_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tag_groups.id", ondelete="CASCADE"), index=True
    )
    wecom_tag_id: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(64))
    order: Mapped[int] = mapped_column(default=0)
    type: Mapped[int] = mapped_column(default=1)
    deleted_at: Mapped[datetime | None]
