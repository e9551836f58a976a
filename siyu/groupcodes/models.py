"""Group live codes: the code (one WeCom join way), its ordered pool of groups, the joins it
brought, keyword routes to other codes, and the phone list and challenges of verified entry."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base, IdMixin, TimestampMixin

# GroupCodeSlot.status: active groups are the join way's chat_id_list (≤5, API-FACTS §4.5),
# standby groups wait in pool order, retired groups reached the threshold and left the way.
SLOT_ACTIVE = "active"
SLOT_STANDBY = "standby"
SLOT_RETIRED = "retired"


class GroupCode(IdMixin, TimestampMixin, Base):
    __tablename__ = "group_codes"
    __table_args__ = (UniqueConstraint("corp_id", "state"), UniqueConstraint("slug"))

    corp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("corps.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    # The owner column for data scopes, and the first recipient of alerts.
    owner_userid: Mapped[str] = mapped_column(String(64))
    operator_userids: Mapped[list[str]] = mapped_column(default=list)
    # The join way's state (≤30 chars): groupchat/get reports it on every member who joined.
    state: Mapped[str] = mapped_column(String(30))
    # The public page's address: random, 128 bits, so it cannot be guessed or enumerated.
    slug: Mapped[str] = mapped_column(String(32))
    config_id: Mapped[str | None] = mapped_column(String(64))
    qr_code: Mapped[str | None] = mapped_column(String(512))
    # Members a group may hold (200 for groups of WeChat users, 500 at most, API-FACTS §5) and
    # the share of it at which the group rotates out.
    group_cap: Mapped[int] = mapped_column(default=200)
    threshold_percent: Mapped[int] = mapped_column(default=90)
    auto_create_room: Mapped[bool] = mapped_column(default=False)
    room_base_name: Mapped[str | None] = mapped_column(String(40))
    room_base_id: Mapped[int | None]
    phone_verification: Mapped[bool] = mapped_column(default=False)
    alert_enabled: Mapped[bool] = mapped_column(default=True)
    # Set when the "no standby left" alert was queued; cleared when standbys are added, so the
    # alert goes out once per exhaustion.
    exhausted_alerted_at: Mapped[datetime | None]
    rotations: Mapped[int] = mapped_column(default=0)
    last_checked_at: Mapped[datetime | None]


class GroupCodeSlot(IdMixin, TimestampMixin, Base):
    __tablename__ = "group_code_slots"
    __table_args__ = (
        UniqueConstraint("code_id", "group_id"),
        Index("ix_group_code_slots_corp_id_chat_id", "corp_id", "chat_id"),
    )

    corp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("corps.id", ondelete="CASCADE"))
    code_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("group_codes.id", ondelete="CASCADE"))
    group_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customer_groups.id", ondelete="CASCADE")
    )
    chat_id: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(16), default=SLOT_STANDBY)
    activated_at: Mapped[datetime | None]
    retired_at: Mapped[datetime | None]


class GroupCodeJoin(IdMixin, Base):
    """One member who joined a group through a code (its state), for analytics."""

    __tablename__ = "group_code_joins"
    __table_args__ = (
        UniqueConstraint("code_id", "chat_id", "member_id"),
        Index("ix_group_code_joins_corp_id_state_joined_on", "corp_id", "state", "joined_on"),
    )

    corp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("corps.id", ondelete="CASCADE"))
    code_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("group_codes.id", ondelete="CASCADE"))
    chat_id: Mapped[str] = mapped_column(String(64))
    member_id: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(30))
    joined_at: Mapped[datetime]
    # The China calendar day, stored so daily counts group the same way on both dialects.
    joined_on: Mapped[date]


ROUTE_KEYWORD = "keyword"  # a choice the visitor taps
ROUTE_TAG = "tag"  # a visitor identified by a signed link who carries the tag
ROUTE_SEGMENT = "segment"  # … who is in the segment


class GroupCodeRoute(IdMixin, Base):
    """Sends a visitor of a code's page to another code: by a choice ("1–3 years"), or, for a
    customer identified by a signed link, by tag or segment (first match in position order)."""

    __tablename__ = "group_code_routes"
    __table_args__ = (UniqueConstraint("code_id", "position"),)

    code_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("group_codes.id", ondelete="CASCADE"))
    position: Mapped[int]
    label: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(16), default=ROUTE_KEYWORD)
    # The tag or segment id for tag / segment routes.
    match_id: Mapped[uuid.UUID | None]
    target_code_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("group_codes.id", ondelete="CASCADE")
    )


class GroupCodePhone(IdMixin, Base):
    """A phone number allowed in through a phone-verified code (imported by an operator)."""

    __tablename__ = "group_code_phones"
    __table_args__ = (UniqueConstraint("code_id", "phone"),)

    code_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("group_codes.id", ondelete="CASCADE"))
    phone: Mapped[str] = mapped_column(String(32))
    name: Mapped[str | None] = mapped_column(String(64))


class PhoneChallenge(IdMixin, Base):
    """One verification code sent by SMS; rows double as the rate-limit ledger."""

    __tablename__ = "group_code_phone_challenges"
    __table_args__ = (
        Index("ix_group_code_phone_challenges_phone_created_at", "phone", "created_at"),
        Index("ix_group_code_phone_challenges_ip_created_at", "ip", "created_at"),
    )

    code_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("group_codes.id", ondelete="CASCADE"))
    phone: Mapped[str] = mapped_column(String(32))
    ip: Mapped[str] = mapped_column(String(64))
    # sha256 of the code with the challenge id: never the code itself.
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    verified_at: Mapped[datetime | None]
