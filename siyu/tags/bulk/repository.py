"""SQL of bulk tagging: the job rows, Siyu person-tag links, and the relations to mark."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from siyu.auth.scope import DataScope
from siyu.customers.models import FollowRelation, FollowRelationTag
from siyu.customers.repository import _active_condition as live_relation
from siyu.db.dialect import insert_ignoring_conflicts
from siyu.tags.bulk.models import BulkTagJob
from siyu.tags.models import CustomerTag


class BulkTagRepository:
    def add(self, session: Session, job: BulkTagJob) -> BulkTagJob:
        session.add(job)
        session.flush()
        return job

    def get(self, session: Session, corp_id: uuid.UUID, job_id: uuid.UUID) -> BulkTagJob | None:
        return session.scalar(
            select(BulkTagJob).where(BulkTagJob.corp_id == corp_id, BulkTagJob.id == job_id)
        )

    def lock(self, session: Session, job_id: uuid.UUID) -> BulkTagJob | None:
        """The job row, held until commit: a step and a cancel cannot interleave."""
        return session.scalar(select(BulkTagJob).where(BulkTagJob.id == job_id).with_for_update())

    def page(
        self, session: Session, corp_id: uuid.UUID, *, before_id: uuid.UUID | None, limit: int
    ) -> list[BulkTagJob]:
        stmt = select(BulkTagJob).where(BulkTagJob.corp_id == corp_id)
        if before_id is not None:
            stmt = stmt.where(BulkTagJob.id < before_id)
        return list(session.scalars(stmt.order_by(BulkTagJob.id.desc()).limit(limit)))

    def add_person_tags(
        self,
        session: Session,
        corp_id: uuid.UUID,
        customer_ids: Sequence[uuid.UUID],
        tag_ids: Sequence[uuid.UUID],
        *,
        source: str,
    ) -> int:
        """Insert the missing links; returns how many were new."""
        existing = self._existing(session, customer_ids, tag_ids)
        rows = [
            {"customer_id": c, "tag_id": t, "corp_id": corp_id, "source": source}
            for c in customer_ids
            for t in tag_ids
            if (c, t) not in existing
        ]
        if rows:
            stmt = insert_ignoring_conflicts(
                session, CustomerTag, None, conflict_columns=("customer_id", "tag_id")
            )
            session.execute(stmt, rows)
        return len(rows)

    def remove_person_tags(
        self, session: Session, customer_ids: Sequence[uuid.UUID], tag_ids: Sequence[uuid.UUID]
    ) -> int:
        found = len(self._existing(session, customer_ids, tag_ids))
        if found:
            session.execute(
                delete(CustomerTag).where(
                    CustomerTag.customer_id.in_(list(customer_ids)),
                    CustomerTag.tag_id.in_(list(tag_ids)),
                )
            )
        return found

    def _existing(
        self, session: Session, customer_ids: Sequence[uuid.UUID], tag_ids: Sequence[uuid.UUID]
    ) -> set[tuple[uuid.UUID, uuid.UUID]]:
        stmt = select(CustomerTag.customer_id, CustomerTag.tag_id).where(
            CustomerTag.customer_id.in_(list(customer_ids)), CustomerTag.tag_id.in_(list(tag_ids))
        )
        return {(row[0], row[1]) for row in session.execute(stmt)}

    def live_relations(
        self, session: Session, scope: DataScope, customer_ids: Sequence[uuid.UUID]
    ) -> list[FollowRelation]:
        """Live relations of these people owned inside `scope` (mark_tag acts per relation)."""
        stmt = select(FollowRelation).where(
            FollowRelation.customer_id.in_(list(customer_ids)),
            live_relation(),
            scope.condition(
                corp_column=FollowRelation.corp_id, owner_column=FollowRelation.staff_userid
            ),
        )
        return list(session.scalars(stmt.order_by(FollowRelation.id)))

    def relation_tags(
        self, session: Session, relation_ids: Sequence[uuid.UUID], tag_ids: Sequence[uuid.UUID]
    ) -> set[tuple[uuid.UUID, uuid.UUID]]:
        if not relation_ids:
            return set()
        stmt = select(FollowRelationTag.relation_id, FollowRelationTag.tag_id).where(
            FollowRelationTag.relation_id.in_(list(relation_ids)),
            FollowRelationTag.tag_id.in_(list(tag_ids)),
        )
        return {(row[0], row[1]) for row in session.execute(stmt)}


bulk_tag_jobs = BulkTagRepository()
