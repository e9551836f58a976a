"""Moment posts, the per-staff publishing status WeCom reports, and the daily reminders.

A post is the unit of work: its `status` and `next_check_at` tell the periodic tick what to do
next (submit when due, poll the job result, refresh per-staff status), so a worker killed at any
point leaves a row that the next tick picks up again.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base, IdMixin, TimestampMixin
from siyu.kit.clock import utcnow


class MomentStatus(StrEnum):
    draft = "draft"
    scheduled = "scheduled"  # waiting for due_at (publish-now posts are due at once)
    submitting = "submitting"  # add_moment_task is being called; no jobid recorded yet
    publishing = "publishing"  # jobid recorded; polling get_moment_task_result
    published = "published"  # moment_id known; staff are confirming in their clients
    cancelling = "cancelling"
    cancelled = "cancelled"
    failed = "failed"
    # A worker stopped between calling add_moment_task and recording its answer: WeCom may or
    # may not hold a task. Siyu never resubmits on its own; an operator decides (retry/fail).
    uncertain = "uncertain"


class MomentPost(IdMixin, TimestampMixin, Base):
    __tablename__ = "moment_posts"
    __table_args__ = (
        Index("ix_moment_posts_corp_id_created_at", "corp_id", "created_at"),
        Index("ix_moment_posts_status_next_check_at", "status", "next_check_at"),
        Index("ix_moment_posts_status_due_at", "status", "due_at"),
    )

    corp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("corps.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default=MomentStatus.draft)
    text: Mapped[str] = mapped_column(Text, default="")
    # [{kind, material_id | media_id | title/url/...}] as the composer sent them (see schemas).
    attachments: Mapped[list[Any]] = mapped_column(default=list)
    sender_userids: Mapped[list[str]] = mapped_column(default=list)
    sender_department_ids: Mapped[list[Any]] = mapped_column(default=list)
    # Siyu tag ids; their WeCom ids are resolved when the post is submitted.
    tag_ids: Mapped[list[str]] = mapped_column(default=list)
    due_at: Mapped[datetime | None]
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    # Bumped by an operator's retry, so the new submit job gets a key of its own.
    submit_attempt: Mapped[int] = mapped_column(default=0)
    submitted_at: Mapped[datetime | None]
    jobid: Mapped[str | None] = mapped_column(String(128))
    jobid_expires_at: Mapped[datetime | None]
    moment_id: Mapped[str | None] = mapped_column(String(128))
    invalid_senders: Mapped[list[str]] = mapped_column(default=list)
    invalid_tags: Mapped[list[str]] = mapped_column(default=list)
    published_at: Mapped[datetime | None]
    # Per-staff status is re-read from WeCom until this moment (a few days after publishing).
    track_until: Mapped[datetime | None]
    next_check_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(String(500))


class MomentStaffTask(Base):
    """One sender of a published post, as get_moment_task reports them."""

    __tablename__ = "moment_staff_tasks"
    __table_args__ = (Index("ix_moment_staff_tasks_corp_id_userid", "corp_id", "userid"),)

    post_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("moment_posts.id", ondelete="CASCADE"), primary_key=True
    )
    userid: Mapped[str] = mapped_column(String(64), primary_key=True)
    corp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("corps.id", ondelete="CASCADE"))
    published: Mapped[bool] = mapped_column(default=False)
    # When Siyu first saw the member as published (WeCom does not say when they posted).
    seen_published_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class MomentReminder(IdMixin, Base):
    """At most one reminder per post per China calendar day (the unique key enforces it)."""

    __tablename__ = "moment_reminders"
    __table_args__ = (UniqueConstraint("post_id", "day"),)

    post_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("moment_posts.id", ondelete="CASCADE"))
    corp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("corps.id", ondelete="CASCADE"))
    day: Mapped[date]
    requested_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    recipients: Mapped[list[str]] = mapped_column(default=list)
    sent_at: Mapped[datetime | None]
    msgid: Mapped[str | None] = mapped_column(String(128))
    error: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
