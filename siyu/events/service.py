"""Emitting and reading domain events.

Emit from services, inside the transaction that changes the state, with a `dedup_key` derived
from the cause: handlers are re-run on retries and replays, and a fact must be recorded once.
Consumers (journeys, outbound webhooks, timelines) read the table in id order; UUIDv7 ids follow
insertion order, so `id > last_seen` is a correct resume point.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.db.dialect import insert_ignoring_conflicts
from siyu.events.models import DomainEvent
from siyu.kit.clock import utcnow
from siyu.kit.ids import new_id

# The vocabulary, so names stay consistent across domains.
CUSTOMER_ADDED = "customer.added"  # a follow relation began (staff added the customer)
CUSTOMER_LOST = "customer.lost"  # the customer deleted the staff member
CUSTOMER_REMOVED = "customer.removed"  # the staff member deleted the customer
CUSTOMER_UPDATED = "customer.updated"
TAG_ADDED = "tag.added"
TAG_REMOVED = "tag.removed"
GROUP_JOINED = "group.joined"
GROUP_LEFT = "group.left"
MESSAGE_SENT = "message.sent"
STAFF_CAPACITY_WARNING = "staff.capacity_warning"  # a member reached 80 % / 95 % of a cap
NAMES = frozenset(
    {
        CUSTOMER_ADDED,
        CUSTOMER_LOST,
        CUSTOMER_REMOVED,
        CUSTOMER_UPDATED,
        TAG_ADDED,
        TAG_REMOVED,
        GROUP_JOINED,
        GROUP_LEFT,
        MESSAGE_SENT,
        STAFF_CAPACITY_WARNING,
    }
)


class DomainEventService:
    def emit(
        self,
        session: Session,
        *,
        corp_id: uuid.UUID,
        name: str,
        subject_type: str,
        subject_id: str,
        payload: dict[str, Any] | None = None,
        occurred_at: datetime | None = None,
        dedup_key: str | None = None,
    ) -> bool:
        """Record a fact; returns False when `dedup_key` was already recorded."""
        if name not in NAMES:
            raise ValueError(f"unknown domain event {name!r}; add it to siyu.events.service")
        values = {
            "id": new_id(),
            "corp_id": corp_id,
            "name": name,
            "subject_type": subject_type,
            "subject_id": subject_id,
            "payload": payload or {},
            "occurred_at": occurred_at or utcnow(),
            "recorded_at": utcnow(),
            "dedup_key": dedup_key,
        }
        if dedup_key is None:
            session.add(DomainEvent(**values))
            session.flush()
            return True
        stmt = insert_ignoring_conflicts(
            session, DomainEvent, values, conflict_columns=["dedup_key"]
        ).returning(DomainEvent.id)
        return session.execute(stmt).first() is not None

    def list_after(
        self,
        session: Session,
        *,
        corp_id: uuid.UUID,
        after_id: uuid.UUID | None = None,
        names: Sequence[str] | None = None,
        limit: int = 500,
    ) -> list[DomainEvent]:
        stmt = select(DomainEvent).where(DomainEvent.corp_id == corp_id)
        if after_id is not None:
            stmt = stmt.where(DomainEvent.id > after_id)
        if names:
            stmt = stmt.where(DomainEvent.name.in_(names))
        return list(session.scalars(stmt.order_by(DomainEvent.id).limit(limit)))

    def for_subject(
        self,
        session: Session,
        *,
        corp_id: uuid.UUID,
        subject_type: str,
        subject_id: str,
        limit: int = 200,
    ) -> list[DomainEvent]:
        stmt = (
            select(DomainEvent)
            .where(
                DomainEvent.corp_id == corp_id,
                DomainEvent.subject_type == subject_type,
                DomainEvent.subject_id == subject_id,
            )
            .order_by(DomainEvent.occurred_at.desc(), DomainEvent.id.desc())
            .limit(limit)
        )
        return list(session.scalars(stmt))


domain_events = DomainEventService()
