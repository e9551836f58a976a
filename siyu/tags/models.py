"""Tag groups and tags of a corp.

Corp tags (企业标签) mirror WeCom's and carry its ids; Siyu-only groups (origin "siyu", no
WeCom id) never go to WeCom. Deleted tags are soft-deleted (`deleted_at`) so relations and
history that point at them keep their meaning.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base, IdMixin, TimestampMixin
from siyu.identity.movers import register_mover
from siyu.kit.clock import utcnow

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


class CustomerTag(Base):
    """A Siyu-only tag on a person (not on one relation): it never goes to WeCom.

    Keyed (customer_id, tag_id) so a segment's tag test is one primary-key range per tag; the
    reverse index serves "who has tag X" (bulk untag, tag deletion).
    """

    __tablename__ = "customer_tags"
    __table_args__ = (Index("ix_customer_tags_tag_id_customer_id", "tag_id", "customer_id"),)

    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True
    )
    corp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("corps.id", ondelete="CASCADE"))
    # Who or what put it there: "manual", "bulk:<job id>", a rule name.
    source: Mapped[str] = mapped_column(String(64), default="manual")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# A merge gives the survivor the merged person's Siyu tags it does not have yet.
register_mover(
    CustomerTag.__table__,  # type: ignore[arg-type]
    "customer_id",
    row_key="tag_id",
    unique_with=("tag_id",),
)
