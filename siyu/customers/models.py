"""External contacts (外部联系人) of a corp and the follow relations that tie them to staff.

A `Customer` is the person (decision 0005): the WeCom facts of its contact, if it has one,
plus identities in `siyu.identity`. A `FollowRelation` is one staff member's side of the
friendship: remark, channel (`state`), tags. WeCom is the source of truth for both; the full
sync and the callbacks write them through `siyu.sync.apply`, never field by field from elsewhere.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base, IdMixin, TimestampMixin
from siyu.db.search import trigram_index
from siyu.kit.clock import utcnow

# Customer.type as WeCom reports it.
CUSTOMER_TYPE_WECHAT = 1
CUSTOMER_TYPE_WECOM = 2
CUSTOMER_ACTIVE = "active"
CUSTOMER_LOST = "lost"


class Customer(IdMixin, TimestampMixin, Base):
    __tablename__ = "customers"
    __table_args__ = (
        UniqueConstraint("corp_id", "external_userid"),
        Index("ix_customers_corp_id_unionid", "corp_id", "unionid"),
        Index("ix_customers_corp_id_synced_at", "corp_id", "synced_at"),
        # Segment and list filters (siyu/segments): added-date windows and status.
        Index("ix_customers_corp_id_first_added_at", "corp_id", "first_added_at"),
        Index("ix_customers_corp_id_status_id", "corp_id", "status", "id"),
        # Name search (PostgreSQL; SQLite's FTS5 index is made by the migration): siyu/db/search.py.
        trigram_index("customers", "name"),
    )

    corp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("corps.id", ondelete="CASCADE"))
    # None for a person known only from elsewhere (the shop, an import) until WeCom meets them.
    external_userid: Mapped[str | None] = mapped_column(String(64))
    # Set when this person was merged into another (siyu.identity); the row stays for undo
    # and for the WeCom facts of its contact, and is hidden from lists.
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(128), default="")
    avatar: Mapped[str | None] = mapped_column(String(512))
    type: Mapped[int] = mapped_column(default=CUSTOMER_TYPE_WECHAT)
    # 0 unknown, 1 male, 2 female.
    gender: Mapped[int] = mapped_column(default=0)
    unionid: Mapped[str | None] = mapped_column(String(64))
    corp_name: Mapped[str | None] = mapped_column(String(128))
    corp_full_name: Mapped[str | None] = mapped_column(String(255))
    position: Mapped[str | None] = mapped_column(String(128))
    # "active" while any follow relation is active, else "lost" (derived, kept for filtering).
    status: Mapped[str] = mapped_column(String(16), default=CUSTOMER_ACTIVE)
    first_added_at: Mapped[datetime | None]
    # Set when a full sync no longer finds the contact anywhere; cleared when seen again.
    missing_since: Mapped[datetime | None]
    synced_at: Mapped[datetime | None]
    # Profile (siyu/profile): the sales stage, and the staff member chosen as primary owner
    # when several staff follow the person (siyu/duplicates).
    stage_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("sales_stages.id", ondelete="SET NULL"), index=True
    )
    primary_staff_userid: Mapped[str | None] = mapped_column(String(64))


class FollowRelation(IdMixin, TimestampMixin, Base):
    __tablename__ = "follow_relations"
    __table_args__ = (
        UniqueConstraint("corp_id", "staff_userid", "external_userid"),
        Index("ix_follow_relations_corp_id_staff_userid", "corp_id", "staff_userid"),
        Index("ix_follow_relations_corp_id_external_userid", "corp_id", "external_userid"),
        # Segment channel conditions and list filters read (channel → people) from this alone.
        Index("ix_follow_relations_corp_id_state_customer_id", "corp_id", "state", "customer_id"),
    )

    corp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("corps.id", ondelete="CASCADE"))
    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    external_userid: Mapped[str] = mapped_column(String(64))
    # The owner column for data scopes (siyu/auth/scope.py).
    staff_userid: Mapped[str] = mapped_column(String(64))
    remark: Mapped[str | None] = mapped_column(String(128))
    description: Mapped[str | None] = mapped_column(Text)
    remark_corp_name: Mapped[str | None] = mapped_column(String(128))
    remark_mobiles: Mapped[list[str]] = mapped_column(default=list)
    add_way: Mapped[int] = mapped_column(default=0)
    # The contact way's `state`, i.e. the acquisition channel.
    state: Mapped[str | None] = mapped_column(String(64))
    oper_userid: Mapped[str | None] = mapped_column(String(64))
    added_at: Mapped[datetime | None]
    deleted_by_customer_at: Mapped[datetime | None]
    deleted_by_staff_at: Mapped[datetime | None]
    # e.g. DELETE_BY_TRANSFER (del_external_contact's Source).
    delete_source: Mapped[str | None] = mapped_column(String(64))
    # The relation's tags exactly as WeCom holds them (corp, personal and rule tags).
    wecom_tag_ids: Mapped[list[str]] = mapped_column(default=list)
    missing_since: Mapped[datetime | None]
    synced_at: Mapped[datetime | None]
    # When the externalcontact/get answer this row mirrors was fetched (a callback handler
    # fetches before its write transaction): an answer fetched earlier is stale and is not
    # written over it (`customer_service.sync_contact`).
    fetched_at: Mapped[datetime | None]


class FollowRelationTag(IdMixin, Base):
    """Normalised copy of `FollowRelation.wecom_tag_ids` for segment queries."""

    __tablename__ = "follow_relation_tags"
    __table_args__ = (
        UniqueConstraint("relation_id", "tag_id"),
        # Covering (tag → relations) for segment tag conditions: no table lookup per link.
        Index("ix_follow_relation_tags_tag_id_relation_id", "tag_id", "relation_id"),
    )

    corp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("corps.id", ondelete="CASCADE"))
    relation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("follow_relations.id", ondelete="CASCADE")
    )
    tag_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
