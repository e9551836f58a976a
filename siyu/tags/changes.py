"""Outbound tag changes: what Siyu must tell WeCom, recorded before WeCom is called.

A row is written in the transaction that changes the local tags (the intent); the `tags.push`
job carries it to WeCom after commit and records the answer on the row (new WeCom ids, or the
errcode that refused it). Kept apart from `models.py`, which mirrors WeCom's own tag data.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base, IdMixin
from siyu.kit.clock import utcnow


class TagChangeKind(StrEnum):
    create_group = "create_group"  # add_corp_tag with group_name and its tags
    create_tag = "create_tag"  # add_corp_tag into an existing group
    edit_group = "edit_group"  # edit_corp_tag (name / order)
    edit_tag = "edit_tag"
    delete_group = "delete_group"  # del_corp_tag
    delete_tag = "delete_tag"
    mark = "mark"  # mark_tag on one follow relation


class TagChangeStatus(StrEnum):
    pending = "pending"
    done = "done"
    failed = "failed"  # WeCom refused it (errcode kept); not retried


class TagChange(IdMixin, Base):
    __tablename__ = "tag_changes"
    __table_args__ = (Index("ix_tag_changes_corp_id_status_id", "corp_id", "status", "id"),)

    corp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("corps.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    tag_group_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("tag_groups.id", ondelete="CASCADE")
    )
    tag_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"))
    relation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("follow_relations.id", ondelete="CASCADE")
    )
    # What to send beyond the rows' current state: fields edited, tag ids added/removed.
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default=TagChangeStatus.pending)
    errcode: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
