"""SQL for reply groups and replies."""

from __future__ import annotations

import uuid

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from siyu.replies.models import Reply, ReplyGroup


class ReplyRepository:
    def groups(self, session: Session, corp_id: uuid.UUID) -> list[tuple[ReplyGroup, int]]:
        """Groups in order, with how many replies each holds."""
        counts = (
            select(Reply.group_id, func.count().label("n"))
            .where(Reply.corp_id == corp_id)
            .group_by(Reply.group_id)
            .subquery()
        )
        stmt = (
            select(ReplyGroup, func.coalesce(counts.c.n, 0))
            .outerjoin(counts, counts.c.group_id == ReplyGroup.id)
            .where(ReplyGroup.corp_id == corp_id)
            .order_by(ReplyGroup.position, ReplyGroup.name)
        )
        return [(g, int(n)) for g, n in session.execute(stmt)]

    def group(self, session: Session, corp_id: uuid.UUID, group_id: uuid.UUID) -> ReplyGroup | None:
        row = session.get(ReplyGroup, group_id)
        return row if row is not None and row.corp_id == corp_id else None

    def group_named(self, session: Session, corp_id: uuid.UUID, name: str) -> ReplyGroup | None:
        stmt = select(ReplyGroup).where(ReplyGroup.corp_id == corp_id, ReplyGroup.name == name)
        return session.scalar(stmt)

    def reply(self, session: Session, corp_id: uuid.UUID, reply_id: uuid.UUID) -> Reply | None:
        row = session.get(Reply, reply_id)
        return row if row is not None and row.corp_id == corp_id else None

    def page(
        self,
        session: Session,
        corp_id: uuid.UUID,
        *,
        group_id: uuid.UUID | None,
        search: str | None,
        after: tuple[int, uuid.UUID] | None,
        limit: int,
    ) -> list[Reply]:
        """In the group's order (position, then id); matches title or text when searching."""
        stmt = select(Reply).where(Reply.corp_id == corp_id)
        if group_id is not None:
            stmt = stmt.where(Reply.group_id == group_id)
        if search:
            needle = search.lower()
            stmt = stmt.where(
                or_(
                    func.lower(Reply.title).contains(needle, autoescape=True),
                    func.lower(Reply.text).contains(needle, autoescape=True),
                )
            )
        if after is not None:
            position, last = after
            stmt = stmt.where(
                or_(Reply.position > position, and_(Reply.position == position, Reply.id > last))
            )
        return list(session.scalars(stmt.order_by(Reply.position, Reply.id).limit(limit)))

    def count_use(self, session: Session, reply_id: uuid.UUID) -> None:
        session.execute(
            update(Reply).where(Reply.id == reply_id).values(use_count=Reply.use_count + 1)
        )


reply_repository = ReplyRepository()
