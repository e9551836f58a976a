"""The timeline of everything that happened to a person, newest first.

Two feeds write it: this domain's own actions (field changes, stage moves, follow-ups) record
their entry in the same transaction, and `feed_from_events` copies the domain event outbox
(customer added / lost / removed, tags, group joins and leaves, messages) behind a per-corp
cursor. Every entry carries the key of its cause, so a re-run or a replay adds nothing.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from siyu.customers.models import Customer
from siyu.events import service as events
from siyu.events.models import DomainEvent
from siyu.kit.clock import utcnow
from siyu.kit.ids import new_id
from siyu.kit.pagination import decode_time_id_cursor, encode_time_id_cursor
from siyu.profile.models import TimelineEntry
from siyu.profile.queries import timeline_queries

FEED = "timeline"
# Outbox events that belong on a person's timeline; group events name the person as a member.
CUSTOMER_EVENTS = (
    events.CUSTOMER_ADDED,
    events.CUSTOMER_LOST,
    events.CUSTOMER_REMOVED,
    events.TAG_ADDED,
    events.TAG_REMOVED,
    events.MESSAGE_SENT,
)
GROUP_EVENTS = (events.GROUP_JOINED, events.GROUP_LEFT)


class TimelineService:
    def record(
        self,
        session: Session,
        *,
        customer: Customer,
        kind: str,
        staff_userid: str | None,
        details: dict[str, Any],
        occurred_at: datetime | None = None,
        cause: str | None = None,
    ) -> None:
        entry_id = new_id()
        timeline_queries.add_entries(
            session,
            [
                {
                    "id": entry_id,
                    "corp_id": customer.corp_id,
                    "customer_id": customer.id,
                    "kind": kind,
                    "staff_userid": staff_userid,
                    "details": details,
                    "occurred_at": occurred_at or utcnow(),
                    "dedup_key": cause or f"{kind}:{entry_id}",
                }
            ],
        )

    def page(
        self,
        session: Session,
        *,
        customer: Customer,
        cursor: str | None,
        limit: int,
        kinds: list[str] | None = None,
    ) -> tuple[list[TimelineEntry], str | None]:
        rows = timeline_queries.page(
            session,
            customer_id=customer.id,
            after=decode_time_id_cursor(cursor),
            limit=limit + 1,
            kinds=kinds or (),
        )
        next_cursor = None
        if len(rows) > limit:
            last = rows[limit - 1]
            next_cursor = encode_time_id_cursor(last.occurred_at, last.id)
        return rows[:limit], next_cursor

    def feed_from_events(self, session: Session, *, corp_id: uuid.UUID, batch: int = 500) -> int:
        """Copy the next batch of outbox events to timelines; returns how many were read."""
        after = timeline_queries.cursor(session, FEED, corp_id)
        rows = events.domain_events.list_after(
            session,
            corp_id=corp_id,
            after_id=after,
            names=[*CUSTOMER_EVENTS, *GROUP_EVENTS],
            limit=batch,
        )
        if not rows:
            return 0
        people = self._people(session, corp_id, rows)
        entries = []
        for event in rows:
            external_userid = self._person_of(event)
            customer_id = people.get(external_userid or "")
            if customer_id is None:
                continue  # a staff member joining a group, or a contact Siyu never stored
            details = {k: v for k, v in event.payload.items() if k != "customer_id"}
            if event.subject_type == "group":
                details["chat_id"] = event.subject_id
            entries.append(
                {
                    "id": new_id(),
                    "corp_id": corp_id,
                    "customer_id": customer_id,
                    "kind": event.name,
                    "staff_userid": event.payload.get("staff_userid"),
                    "details": details,
                    "occurred_at": event.occurred_at,
                    "dedup_key": f"event:{event.id}",
                }
            )
        timeline_queries.add_entries(session, entries)
        timeline_queries.advance(session, FEED, corp_id, rows[-1].id)
        return len(rows)

    @staticmethod
    def _person_of(event: DomainEvent) -> str | None:
        if event.subject_type == "customer":
            return event.subject_id
        member = event.payload.get("member_id")
        return str(member) if member else None

    @staticmethod
    def _people(
        session: Session, corp_id: uuid.UUID, rows: list[DomainEvent]
    ) -> dict[str, uuid.UUID]:
        wanted = {p for p in (TimelineService._person_of(e) for e in rows) if p}
        if not wanted:
            return {}
        from siyu.customers.service import customer_service

        return customer_service.ids_by_external_userid(
            session, corp_id=corp_id, external_userids=sorted(wanted)
        )


timeline_service = TimelineService()
