"""SQL for follow-ups, the materialised timeline and the event-outbox cursors."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from siyu.db.dialect import insert_ignoring_conflicts, upsert
from siyu.profile.models import EventCursor, FollowUp, TimelineEntry


class TimelineQueries:
    def add_entries(self, session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert entries, skipping any whose cause (`dedup_key`) is already recorded."""
        for row in rows:
            session.execute(
                insert_ignoring_conflicts(
                    session, TimelineEntry, dict(row), conflict_columns=["dedup_key"]
                )
            )

    def page(
        self,
        session: Session,
        *,
        customer_id: uuid.UUID,
        after: tuple[datetime, uuid.UUID] | None,
        limit: int,
        kinds: Sequence[str] = (),
    ) -> list[TimelineEntry]:
        """Newest first over (occurred_at, id): the index range scan the bench measures."""
        stmt = select(TimelineEntry).where(TimelineEntry.customer_id == customer_id)
        if kinds:
            stmt = stmt.where(TimelineEntry.kind.in_(list(kinds)))
        if after is not None:
            at, last_id = after
            # Spelled out instead of a row-value comparison so SQLite uses the index too.
            stmt = stmt.where(
                or_(
                    TimelineEntry.occurred_at < at,
                    (TimelineEntry.occurred_at == at) & (TimelineEntry.id < last_id),
                )
            )
        stmt = stmt.order_by(TimelineEntry.occurred_at.desc(), TimelineEntry.id.desc())
        return list(session.scalars(stmt.limit(limit)))

    # -- follow-ups ----------------------------------------------------------------------------
    def add_follow_up(self, session: Session, row: FollowUp) -> FollowUp:
        session.add(row)
        session.flush()
        return row

    def follow_ups(
        self, session: Session, *, customer_id: uuid.UUID, after: uuid.UUID | None, limit: int
    ) -> list[FollowUp]:
        """Newest first; ids are UUIDv7, so id order is creation order."""
        stmt = select(FollowUp).where(FollowUp.customer_id == customer_id)
        if after is not None:
            stmt = stmt.where(FollowUp.id < after)
        return list(session.scalars(stmt.order_by(FollowUp.id.desc()).limit(limit)))

    # -- outbox cursors ------------------------------------------------------------------------
    def cursor(self, session: Session, consumer: str, corp_id: uuid.UUID) -> uuid.UUID | None:
        return session.scalar(
            select(EventCursor.last_event_id).where(
                EventCursor.consumer == consumer, EventCursor.corp_id == corp_id
            )
        )

    def advance(
        self, session: Session, consumer: str, corp_id: uuid.UUID, last_event_id: uuid.UUID
    ) -> None:
        stmt = upsert(
            session,
            EventCursor,
            conflict_columns=["consumer", "corp_id"],
            update=lambda excluded: {"last_event_id": excluded.last_event_id},
        )
        session.execute(
            stmt, [{"consumer": consumer, "corp_id": corp_id, "last_event_id": last_event_id}]
        )


timeline_queries = TimelineQueries()
