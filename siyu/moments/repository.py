"""SQL of the moments domain."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, or_, select, true, update
from sqlalchemy.orm import Session

from siyu.auth.models import ScopeKind
from siyu.auth.scope import DataScope
from siyu.db.dialect import insert_ignoring_conflicts, upsert
from siyu.moments.models import MomentPost, MomentReminder, MomentStaffTask, MomentStatus

CHECKED = (MomentStatus.publishing, MomentStatus.published, MomentStatus.cancelling)


def _visible(scope: DataScope) -> ColumnElement[bool]:
    """Everything for corp-wide scopes; otherwise posts with a sender in the caller's scope."""
    if scope.kind is ScopeKind.all:
        return MomentPost.corp_id == scope.corp_id
    sender = exists().where(
        MomentStaffTask.post_id == MomentPost.id,
        scope.condition(corp_column=MomentStaffTask.corp_id, owner_column=MomentStaffTask.userid),
    )
    return and_(MomentPost.corp_id == scope.corp_id, sender)


class MomentRepository:
    def get(self, session: Session, scope: DataScope, post_id: uuid.UUID) -> MomentPost | None:
        return session.scalar(select(MomentPost).where(MomentPost.id == post_id, _visible(scope)))

    def page(
        self,
        session: Session,
        scope: DataScope,
        *,
        status: str | None,
        after: tuple[datetime, uuid.UUID] | None,
        limit: int,
    ) -> list[MomentPost]:
        """Newest first, keyset on (created_at, id); `limit + 1` rows to tell if more follow."""
        stmt = select(MomentPost).where(_visible(scope))
        if status:
            stmt = stmt.where(MomentPost.status == status)
        if after is not None:
            at, last = after
            stmt = stmt.where(
                or_(
                    MomentPost.created_at < at,
                    and_(MomentPost.created_at == at, MomentPost.id < last),
                )
            )
        stmt = stmt.order_by(MomentPost.created_at.desc(), MomentPost.id.desc()).limit(limit + 1)
        return list(session.scalars(stmt))

    def progress(
        self, session: Session, post_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, tuple[int, int]]:
        """post id → (senders WeCom listed, of whom published)."""
        if not post_ids:
            return {}
        published = func.sum(case((MomentStaffTask.published, 1), else_=0))
        stmt = (
            select(MomentStaffTask.post_id, func.count(), published)
            .where(MomentStaffTask.post_id.in_(post_ids))
            .group_by(MomentStaffTask.post_id)
        )
        return {row[0]: (int(row[1]), int(row[2] or 0)) for row in session.execute(stmt)}

    def claim_submit(self, session: Session, post_id: uuid.UUID, *, now: datetime) -> bool:
        """scheduled → submitting, atomically: of two racing workers only one gets True."""
        stmt = (
            update(MomentPost)
            .where(MomentPost.id == post_id, MomentPost.status == MomentStatus.scheduled)
            .values(status=MomentStatus.submitting, submitted_at=now, updated_at=now)
        )
        return bool(session.execute(stmt).rowcount)  # type: ignore[attr-defined]

    def due_for_submit(self, session: Session, *, now: datetime, limit: int) -> list[MomentPost]:
        stmt = (
            select(MomentPost)
            .where(MomentPost.status == MomentStatus.scheduled, MomentPost.due_at <= now)
            .order_by(MomentPost.due_at)
            .limit(limit)
        )
        return list(session.scalars(stmt))

    def due_for_check(self, session: Session, *, now: datetime, limit: int) -> list[MomentPost]:
        stmt = (
            select(MomentPost)
            .where(MomentPost.status.in_(CHECKED), MomentPost.next_check_at <= now)
            .order_by(MomentPost.next_check_at)
            .limit(limit)
        )
        return list(session.scalars(stmt))

    def upsert_tasks(self, session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
        """A member once seen published stays published (WeCom never un-publishes one)."""
        if not rows:
            return
        stmt = upsert(
            session,
            MomentStaffTask,
            conflict_columns=("post_id", "userid"),
            update=lambda excluded: {
                "published": or_(MomentStaffTask.published, excluded.published),
                "seen_published_at": func.coalesce(
                    MomentStaffTask.seen_published_at, excluded.seen_published_at
                ),
                "updated_at": excluded.updated_at,
            },
        )
        session.execute(stmt, list(rows))

    def tasks(
        self, session: Session, scope: DataScope, post_id: uuid.UUID
    ) -> list[MomentStaffTask]:
        condition = (
            true()
            if scope.kind is ScopeKind.all
            else scope.condition(
                corp_column=MomentStaffTask.corp_id, owner_column=MomentStaffTask.userid
            )
        )
        stmt = (
            select(MomentStaffTask)
            .where(MomentStaffTask.post_id == post_id, condition)
            .order_by(MomentStaffTask.published, MomentStaffTask.userid)
        )
        return list(session.scalars(stmt))

    def unpublished_userids(self, session: Session, post_id: uuid.UUID) -> list[str]:
        stmt = (
            select(MomentStaffTask.userid)
            .where(MomentStaffTask.post_id == post_id, MomentStaffTask.published.is_(False))
            .order_by(MomentStaffTask.userid)
        )
        return list(session.scalars(stmt))

    def add_reminder(self, session: Session, row: Mapping[str, Any]) -> bool:
        """False when the post already has a reminder for that day."""
        stmt = insert_ignoring_conflicts(
            session, MomentReminder, dict(row), conflict_columns=("post_id", "day")
        ).returning(MomentReminder.id)
        # RETURNING yields a row only when the insert happened (rowcount is -1 on psycopg).
        return session.execute(stmt).first() is not None

    def reminder(self, session: Session, post_id: uuid.UUID, day: date) -> MomentReminder | None:
        stmt = select(MomentReminder).where(
            MomentReminder.post_id == post_id, MomentReminder.day == day
        )
        return session.scalar(stmt)

    def reminders(self, session: Session, post_id: uuid.UUID) -> list[MomentReminder]:
        stmt = (
            select(MomentReminder)
            .where(MomentReminder.post_id == post_id)
            .order_by(MomentReminder.day.desc())
        )
        return list(session.scalars(stmt))


moment_repository = MomentRepository()
