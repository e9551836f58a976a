"""SQL over `audit_events`."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.audit.models import AuditEvent


class AuditRepository:
    def add(self, session: Session, event: AuditEvent) -> AuditEvent:
        session.add(event)
        session.flush()
        return event

    def list(
        self,
        session: Session,
        *,
        corp_id: uuid.UUID | None,
        installation_only: bool,
        action: str | None,
        actor_user_id: uuid.UUID | None,
        actor_api_key_id: uuid.UUID | None,
        since: datetime | None,
        until: datetime | None,
        before_id: uuid.UUID | None,
        limit: int,
    ) -> list[AuditEvent]:
        """Newest first by id (UUIDv7, so insertion order); `before_id` is the keyset cursor.

        `action` ending in "." or "*" matches a prefix ("staff." → every staff action).
        """
        stmt = select(AuditEvent)
        if installation_only:
            stmt = stmt.where(AuditEvent.corp_id.is_(None))
        elif corp_id is not None:
            stmt = stmt.where(AuditEvent.corp_id == corp_id)
        if action:
            if action.endswith(("*", ".")):
                stmt = stmt.where(AuditEvent.action.startswith(action.rstrip("*"), autoescape=True))
            else:
                stmt = stmt.where(AuditEvent.action == action)
        if actor_user_id is not None:
            stmt = stmt.where(AuditEvent.actor_user_id == actor_user_id)
        if actor_api_key_id is not None:
            stmt = stmt.where(AuditEvent.actor_api_key_id == actor_api_key_id)
        if since is not None:
            stmt = stmt.where(AuditEvent.created_at >= since)
        if until is not None:
            stmt = stmt.where(AuditEvent.created_at < until)
        if before_id is not None:
            stmt = stmt.where(AuditEvent.id < before_id)
        stmt = stmt.order_by(AuditEvent.id.desc()).limit(limit)
        return list(session.scalars(stmt))


audit_events = AuditRepository()
