"""Follow-up records and notes: any staff member may write one on a customer they can see,
so a handover loses nothing; a follow-up can move the customer's stage in the same step."""

from __future__ import annotations

from sqlalchemy.orm import Session

from siyu.audit.context import audit_context
from siyu.customers.models import Customer
from siyu.kit.pagination import decode_id_cursor, split_id_page
from siyu.profile.models import FollowUp
from siyu.profile.queries import timeline_queries
from siyu.profile.schemas import FollowUpCreate
from siyu.profile.stages import stage_service
from siyu.profile.timeline import timeline_service

EXCERPT = 200  # characters of the text repeated on the timeline


class FollowUpService:
    def create(
        self,
        session: Session,
        *,
        customer: Customer,
        data: FollowUpCreate,
        staff_userid: str | None,
    ) -> FollowUp:
        move = None
        if data.stage_id is not None:
            move = stage_service.move(
                session, customer=customer, stage_id=data.stage_id, staff_userid=staff_userid
            )
        row = timeline_queries.add_follow_up(
            session,
            FollowUp(
                corp_id=customer.corp_id,
                customer_id=customer.id,
                staff_userid=staff_userid,
                author=audit_context(session).actor_label[:128],
                kind=data.kind,
                content=data.content,
                next_follow_up_at=data.next_follow_up_at,
                stage_move_id=move.id if move is not None else None,
            ),
        )
        timeline_service.record(
            session,
            customer=customer,
            kind="follow_up.added",
            staff_userid=staff_userid,
            details={
                "follow_up_id": str(row.id),
                "kind": row.kind,
                "excerpt": row.content[:EXCERPT],
                "author": row.author,
                "next_follow_up_at": row.next_follow_up_at.isoformat()
                if row.next_follow_up_at
                else None,
            },
            occurred_at=row.created_at,
            cause=f"follow_up:{row.id}",
        )
        return row

    def page(
        self, session: Session, *, customer: Customer, cursor: str | None, limit: int
    ) -> tuple[list[FollowUp], str | None]:
        rows = timeline_queries.follow_ups(
            session, customer_id=customer.id, after=decode_id_cursor(cursor), limit=limit + 1
        )
        return split_id_page(rows, limit)


follow_up_service = FollowUpService()
