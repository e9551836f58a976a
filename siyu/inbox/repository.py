"""SQL over `inbox_events`."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from siyu.db.bulk import insert_new_returning
from siyu.inbox.models import InboxEvent, InboxStatus


class InboxRepository:
    def insert_new(self, session: Session, rows: Sequence[dict[str, Any]]) -> set[uuid.UUID]:
        """Insert rows whose (corp, dedup key) is new, in one statement; returns their ids.

        Duplicates (WeCom retries, the same event twice in one batch) are skipped by the unique
        key, so the ids that come back are exactly the events seen for the first time.
        """
        if not rows:
            return set()
        table: Any = InboxEvent.__table__
        ids = insert_new_returning(
            session,
            table,
            rows,
            conflict_columns=("corp_id", "create_time", "dedup_key"),
            returning="id",
        )
        return set(ids)

    def get(self, session: Session, event_id: uuid.UUID) -> InboxEvent | None:
        return session.get(InboxEvent, event_id)

    def get_for_corp(
        self, session: Session, corp_id: uuid.UUID, event_id: uuid.UUID
    ) -> InboxEvent | None:
        return session.scalar(
            select(InboxEvent).where(InboxEvent.id == event_id, InboxEvent.corp_id == corp_id)
        )

    def get_by_key(self, session: Session, corp_id: uuid.UUID, dedup_key: str) -> InboxEvent | None:
        return session.scalar(
            select(InboxEvent).where(
                InboxEvent.corp_id == corp_id, InboxEvent.dedup_key == dedup_key
            )
        )

    def search(
        self,
        session: Session,
        *,
        corp_id: uuid.UUID | None,
        status: str | None = None,
        event: str | None = None,
        change_type: str | None = None,
        before_id: uuid.UUID | None = None,
        limit: int = 50,
    ) -> list[InboxEvent]:
        """Newest first (UUIDv7 ids follow arrival); fetch `limit + 1` to know if more exist."""
        stmt = select(InboxEvent).order_by(InboxEvent.id.desc()).limit(limit)
        if corp_id is not None:
            stmt = stmt.where(InboxEvent.corp_id == corp_id)
        if status is not None:
            stmt = stmt.where(InboxEvent.status == status)
        if event is not None:
            stmt = stmt.where(InboxEvent.event == event)
        if change_type is not None:
            stmt = stmt.where(InboxEvent.change_type == change_type)
        if before_id is not None:
            stmt = stmt.where(InboxEvent.id < before_id)
        return list(session.scalars(stmt))

    def set_outcome(
        self,
        session: Session,
        event_id: uuid.UUID,
        *,
        status: InboxStatus,
        attempts: int,
        error: str | None,
        now: datetime,
    ) -> None:
        values: dict[str, Any] = {
            "status": status,
            "attempts": attempts,
            "last_error": error[:4000] if error else None,
            "updated_at": now,
        }
        if status is InboxStatus.handled:
            values["handled_at"] = now
        session.execute(update(InboxEvent).where(InboxEvent.id == event_id).values(**values))

    def ids_with_status(
        self, session: Session, *, corp_id: uuid.UUID | None, status: InboxStatus
    ) -> list[uuid.UUID]:
        stmt = select(InboxEvent.id).where(InboxEvent.status == status).order_by(InboxEvent.id)
        if corp_id is not None:
            stmt = stmt.where(InboxEvent.corp_id == corp_id)
        return list(session.scalars(stmt))

    def delete_handled_before(self, session: Session, *, cutoff: datetime) -> int:
        result = session.execute(
            delete(InboxEvent)
            .where(InboxEvent.status == InboxStatus.handled, InboxEvent.received_at < cutoff)
            .returning(InboxEvent.id)
        )
        return len(result.all())

    def counts_by_status(self, session: Session, *, corp_id: uuid.UUID | None) -> dict[str, int]:
        stmt = select(InboxEvent.status, func.count()).group_by(InboxEvent.status)
        if corp_id is not None:
            stmt = stmt.where(InboxEvent.corp_id == corp_id)
        return {str(status): int(count) for status, count in session.execute(stmt)}


inbox_events = InboxRepository()
