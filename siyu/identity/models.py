"""Identities of a person and the bookkeeping of merges and conflicts between persons.

An identity is unique per corp: `(corp_id, kind, namespace, value)` belongs to at most one
person, so "two persons share a strong identifier" can only appear as a claim that the
resolver turns into a merge or a conflict, never as two rows.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base, IdMixin
from siyu.kit.clock import utcnow

KIND_BUSINESS_ID = "business_id"
KIND_UNIONID = "unionid"
KIND_EXTERNAL_USERID = "external_userid"
KIND_PHONE = "phone"
KIND_OPENID = "openid"
KINDS = (KIND_BUSINESS_ID, KIND_UNIONID, KIND_EXTERNAL_USERID, KIND_PHONE, KIND_OPENID)

SOURCE_WECOM = "wecom"

CONFLICT_OPEN = "open"
CONFLICT_MERGED = "merged"
CONFLICT_KEPT_APART = "kept_apart"


class CustomerIdentity(IdMixin, Base):
    __tablename__ = "customer_identities"
    __table_args__ = (
        UniqueConstraint("corp_id", "kind", "namespace", "value"),
        Index("ix_customer_identities_customer_id", "customer_id"),
    )

    # No corps FK: the customer_id FK already cascades from customers (which cascades from
    # corps), and the FK check on every COPY was the largest cost of an identity load
    # (decision 0007).
    corp_id: Mapped[uuid.UUID]
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    # The appid for openids (one user has one openid per app); '' for every other kind.
    namespace: Mapped[str] = mapped_column(String(64), default="")
    value: Mapped[str] = mapped_column(String(128))
    source: Mapped[str] = mapped_column(String(32))
    verified: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class IdentityRules(Base):
    """A corp's resolution rules; absent means the defaults in `siyu.identity.rules`."""

    __tablename__ = "identity_rules"

    corp_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("corps.id", ondelete="CASCADE"), primary_key=True
    )
    # {"priority": [...kinds], "limits": {kind: n}, "blocklist": [...values]}
    rules: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class IdentityMerge(IdMixin, Base):
    """One merge of `merged_id` into `survivor_id` and exactly which rows it moved.

    `moved` maps "table.column" to the ids of the rows whose column was changed from
    merged_id to survivor_id; undo sets exactly those back.
    """

    __tablename__ = "identity_merges"
    __table_args__ = (
        Index("ix_identity_merges_corp_id_survivor_id", "corp_id", "survivor_id"),
        Index("ix_identity_merges_corp_id_merged_id", "corp_id", "merged_id"),
    )

    # No corps FK: the customer_id FK already cascades from customers (which cascades from
    # corps), and the FK check on every COPY was the largest cost of an identity load
    # (decision 0007).
    corp_id: Mapped[uuid.UUID]
    survivor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    merged_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    # "auto" (the resolver, with the shared identifier) or "manual" (a person, audited).
    reason: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str | None] = mapped_column(String(32))
    value: Mapped[str | None] = mapped_column(String(128))
    actor_label: Mapped[str | None] = mapped_column(String(255))
    moved: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    undone_at: Mapped[datetime | None]


class IdentityConflict(IdMixin, Base):
    """Two persons claim one identifier, or joining them would break a limit (e.g. two
    different business ids): listed for a person to merge or keep apart."""

    __tablename__ = "identity_conflicts"
    __table_args__ = (
        UniqueConstraint("corp_id", "person_a_id", "person_b_id", "kind", "value"),
        Index("ix_identity_conflicts_corp_id_status", "corp_id", "status"),
    )

    # No corps FK: the customer_id FK already cascades from customers (which cascades from
    # corps), and the FK check on every COPY was the largest cost of an identity load
    # (decision 0007).
    corp_id: Mapped[uuid.UUID]
    person_a_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    person_b_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    namespace: Mapped[str] = mapped_column(String(64), default="")
    value: Mapped[str] = mapped_column(String(128))
    # Why the resolver did not merge: "limit:business_id", "unverified_phone", ...
    reason: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=CONFLICT_OPEN)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]


BATCH_PENDING = "pending"
BATCH_RUNNING = "running"
BATCH_DONE = "done"
BATCH_FAILED = "failed"


class IdentityBatch(IdMixin, Base):
    """A durable resolution run over staged claims, resumed from `done_records` after a crash:
    records are resolved in order, one chunk per transaction together with the checkpoint."""

    __tablename__ = "identity_batches"
    __table_args__ = (Index("ix_identity_batches_corp_id_created_at", "corp_id", "created_at"),)

    corp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("corps.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=BATCH_PENDING)
    total_records: Mapped[int] = mapped_column(default=0)
    done_records: Mapped[int] = mapped_column(default=0)
    # created / attached / merged / conflicts / rejected counts so far.
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


class IdentityClaim(Base):
    """One identifier claimed by one record of a batch (rows of a record share record_no)."""

    __tablename__ = "identity_claims"

    batch_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("identity_batches.id", ondelete="CASCADE"), primary_key=True
    )
    record_no: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    namespace: Mapped[str] = mapped_column(String(64), default="")
    value: Mapped[str] = mapped_column(String(128))
    verified: Mapped[bool] = mapped_column(default=True)
    source: Mapped[str] = mapped_column(String(32))
    name: Mapped[str | None] = mapped_column(String(128))
